"""The node against a real hub over loopback HTTP: enrol, pull, save offline, push, recover."""

from __future__ import annotations

import json
import os
import random
import stat

import pytest

from devtools import synthetic
from devtools.station import station_body
from field_node.outbox import records
from field_node.store.db import database
from field_node.store.models import Household, Record
from field_node.store.state import get_state, set_state
from field_node.sync import passes
from hub.store import db as hub_db_module
from hub.store.models import Record as HubRecord
from shared.errors import ErrorCode, FieldsyncError
from shared.records import record_hash, signature_valid
from tests.support import VILLAGES, households_of


def visits_for(hub, villages, month="2026-10"):
    """Visit entries as the station's forms make them: labourers by the live hub's person keys."""
    rnd = random.Random(3)
    return [("visit", station_body(synthetic.visit_body(rnd, members, month, "网格员"), hub["person_key"]))
            for village in villages for members in households_of(hub["rows"], village).values()]


def hub_count(app) -> int:
    with app.app_context(), hub_db_module.database.connection_context():
        return HubRecord.select().count()


def test_the_private_key_is_readable_by_its_owner_only(enrolled):
    assert stat.S_IMODE(os.stat(enrolled.key_path).st_mode) == 0o600


def test_a_full_pass_pulls_the_roster_and_pushes_everything_once(app, live_hub, enrolled):
    lines: list[str] = []
    passes.sync_once(enrolled, lines.append)
    with database.connection_context():
        assert Household.select().count() == len(households_of(live_hub["rows"], VILLAGES[0])) + len(
            households_of(live_hub["rows"], VILLAGES[1]))
        saved, problems = records.save_records(enrolled.key(), enrolled.node_id,
                                             visits_for(live_hub, VILLAGES[:2]))
    assert saved and not problems
    enrolled.settings["BATCH_SIZE"] = 4
    report = passes.sync_once(enrolled, lines.append)
    assert report.sent == len(saved) and report.batches == -(-len(saved) // 4)
    assert any(line.startswith("第 1 批") for line in lines)
    assert hub_count(app) == len(saved)
    with database.connection_context():
        assert records.counts() == {"pending": 0, "sent": len(saved), "rejected": 0}
    assert passes.sync_once(enrolled, lines.append).sent == 0
    assert hub_count(app) == len(saved)


def test_saved_records_form_a_signed_chain(enrolled, live_hub):
    passes.sync_once(enrolled, lambda _: None)
    with database.connection_context():
        records.save_records(enrolled.key(), enrolled.node_id, visits_for(live_hub, VILLAGES[:1]))
        rows = list(Record.select().order_by(Record.seq))
    public = enrolled.key().public_key()
    prev = bytes(32)
    for expected_seq, row in enumerate(rows, start=1):
        assert row.seq == expected_seq and bytes(row.prev) == prev
        assert signature_valid(public, bytes(row.prev), bytes(row.content), bytes(row.signature))
        prev = record_hash(bytes(row.prev), bytes(row.content))
        assert bytes(row.hash) == prev


def test_bad_entries_are_reported_and_good_ones_saved(enrolled, live_hub):
    passes.sync_once(enrolled, lambda _: None)
    good = visits_for(live_hub, VILLAGES[:1])[:2]
    bad_money = ("visit", dict(good[0][1], income=dict(good[0][1]["income"], wage=12.5)))
    unknown_household = ("visit", dict(good[0][1], household="9999"))
    with database.connection_context():
        saved, problems = records.save_records(enrolled.key(), enrolled.node_id,
                                             [good[0], bad_money, unknown_household, good[1]])
    assert [r.seq for r in saved] == [1, 2]
    assert [(p.index, list(p.details)) for p in problems] == [(1, ["income"]), (2, ["household"])]


def test_an_unreachable_hub_loses_nothing_and_says_so(enrolled, live_hub):
    passes.sync_once(enrolled, lambda _: None)
    with database.connection_context():
        saved, _ = records.save_records(enrolled.key(), enrolled.node_id, visits_for(live_hub, VILLAGES[:1]))
        set_state("hub_url", "http://127.0.0.1:9")
    with pytest.raises(FieldsyncError) as caught:
        passes.sync_once(enrolled, lambda _: None)
    assert caught.value.code.name == "HUB_UNREACHABLE" and "安全保存" in caught.value.message
    with database.connection_context():
        assert records.counts()["pending"] == len(saved)


def test_a_sync_while_another_runs_says_busy_and_keeps_the_last_outcome(enrolled, live_hub):
    passes.sync_once(enrolled, lambda _: None)
    with database.connection_context():
        before = get_state("last_sync")
    with passes.sync_lock(enrolled), pytest.raises(FieldsyncError) as caught:
        passes.sync_once(enrolled, lambda _: None)
    assert caught.value.code is ErrorCode.SYNC_BUSY and "另一次同步正在进行" in caught.value.message
    with database.connection_context():
        assert get_state("last_sync") == before and json.loads(before)["ok"]
    passes.sync_once(enrolled, lambda _: None)  # the lock is free again once the other pass ends


def test_records_the_hub_lost_are_sent_again(app, enrolled, live_hub):
    passes.sync_once(enrolled, lambda _: None)
    with database.connection_context():
        saved, _ = records.save_records(enrolled.key(), enrolled.node_id, visits_for(live_hub, VILLAGES[:1]))
    passes.sync_once(enrolled, lambda _: None)
    with app.app_context(), hub_db_module.database.connection_context():  # a restore from an older backup
        from hub.store.models import Node, Visit, VisitEmployment

        VisitEmployment.delete().execute()
        Visit.delete().execute()
        HubRecord.delete().where(HubRecord.seq > 2).execute()
        Node.update(hwm=2, head=2).execute()
    report = passes.sync_once(enrolled, lambda _: None)
    assert report.requeued == len(saved) - 2 and report.sent == len(saved) - 2
    assert hub_count(app) == len(saved)


def test_watch_backs_off_with_jitter_while_the_hub_is_down(enrolled):
    with database.connection_context():
        set_state("hub_url", "http://127.0.0.1:9")
    waits: list[float] = []
    lines: list[str] = []
    passes.watch(enrolled, lines.append, sleep=waits.append, passes=4)
    assert len(waits) == 3 and all("同步未完成" in line for line in lines)
    for failures, wait in enumerate(waits, start=1):
        assert 0 <= wait <= enrolled.settings["BACKOFF_BASE"] * 2 ** (failures - 1)


def test_backoff_delay_is_capped():
    assert passes.backoff_delay(50, 5, 900, rng=lambda: 1.0) == 900
    assert passes.backoff_delay(1, 5, 900, rng=lambda: 0.5) == 2.5


def test_a_second_enrolment_of_the_same_folder_is_refused(enrolled, live_hub):
    from field_node.sync import node as node_module

    with pytest.raises(FieldsyncError) as caught:
        node_module.enroll(enrolled, live_hub["url"], "AAAA-BBBB-CCCC")
    assert caught.value.code.name == "ALREADY_ENROLLED"


STATE_OK = {"node_id": 1, "hwm": 0, "head": 0, "held": 0, "missing": []}
PUSH_OK = {"hwm": 0, "head": 0, "missing": [], "accepted": [], "duplicates": [], "rejected": []}
HOSTILE_REPLIES = [
    ({**STATE_OK, "head": 2**63 - 1}, None),  # the poisoned head an earlier hub kept: OverflowError before
    ({**STATE_OK, "head": 2**64}, None),
    ({**STATE_OK, "missing": [[1, 2**64]]}, None),
    ({**STATE_OK, "missing": [[5, 2]]}, None),
    ({**STATE_OK, "head": "3"}, None),
    (["not", "an", "object"], None),
    (STATE_OK, {**PUSH_OK, "hwm": 2**64}),
    (STATE_OK, {**PUSH_OK, "accepted": [[1]]}),
    (STATE_OK, {**PUSH_OK, "rejected": [{"seq": 1, "code": 7, "message": "", "details": {}, "final": True}]}),
    (STATE_OK, {**PUSH_OK, "rejected": [{"seq": 2**70, "code": "X", "message": "", "details": {}, "final": 1}]}),
]


@pytest.fixture
def hostile_hub():
    """A 'hub' on loopback that answers /state and /push with whatever the test sets."""
    import json as json_module
    import threading

    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    replies: dict[str, object] = {}

    @Request.application
    def answer(request):
        reply = replies.get(request.path.rsplit("/", 1)[-1], {"code": "NOT_FOUND", "message": "", "details": {}})
        return Response(json_module.dumps(reply), mimetype="application/json")

    server = make_server("127.0.0.1", 0, answer, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", replies
    server.shutdown()
    thread.join(timeout=10)


def test_the_node_survives_any_reply_and_says_so_in_status(enrolled, live_hub, hostile_hub, app):
    from click.testing import CliRunner

    from field_node.cli import main

    passes.sync_once(enrolled, lambda _: None)
    with database.connection_context():
        saved, _ = records.save_records(enrolled.key(), enrolled.node_id, visits_for(live_hub, VILLAGES[:1]))
        set_state("hub_url", hostile_hub[0])
    for state, push in HOSTILE_REPLIES:
        hostile_hub[1].update(state=state, push=push)
        with pytest.raises(FieldsyncError) as raised:
            passes.sync_once(enrolled, lambda _: None)
        assert raised.value.code.name == "HUB_UNREACHABLE", (state, push)
        with database.connection_context():
            assert records.counts()["pending"] == len(saved)
    status = CliRunner().invoke(main, ["--data-dir", str(enrolled.data_dir), "status"]).output
    assert f"已连续失败 {len(HOSTILE_REPLIES)} 次" in status and "无法识别的同步答复" in status, status
    assert "Traceback" not in status
    with database.connection_context():
        set_state("hub_url", live_hub["url"])
    assert passes.sync_once(enrolled, lambda _: None).sent == len(saved)
    assert hub_count(app) == len(saved)
    assert "最后一次同步" in CliRunner().invoke(main, ["--data-dir", str(enrolled.data_dir), "status"]).output


def test_a_reply_claiming_more_than_was_sent_marks_only_the_batch(enrolled, live_hub, hostile_hub):
    passes.sync_once(enrolled, lambda _: None)
    with database.connection_context():
        saved, _ = records.save_records(enrolled.key(), enrolled.node_id, visits_for(live_hub, VILLAGES[:1]))
        set_state("hub_url", hostile_hub[0])
    enrolled.settings["BATCH_SIZE"] = 2
    hostile_hub[1].update(state=STATE_OK, push={**PUSH_OK, "accepted": [[1, 2**53 - 1]], "hwm": 2**53 - 1,
                                                "head": 2**53 - 1})
    passes.push_outbox(enrolled, enrolled.hub(), lambda _: None, passes.SyncReport())
    with database.connection_context():
        assert records.counts()["sent"] == len(saved)  # batch by batch, never a list of 2^53 numbers

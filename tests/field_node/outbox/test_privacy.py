"""A stolen station card yields no citizen ID number (issue 12): node.db after a sync holds no ID number or phone
of the roster, a number typed at a visit is sealed (and arrives at the hub readable), old-format records still
reach the hub intact, and an upgraded station loses its plain-text numbers."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from importlib import resources
from pathlib import Path

from devtools import synthetic
from devtools.station import station_body
from field_node.outbox import records
from field_node.store.db import database
from field_node.store.models import Draft, Member, Record
from field_node.store.state import set_state
from field_node.sync import client as node_client
from field_node.sync import node as node_module
from field_node.sync import passes
from hub.store import db as hub_database
from hub.store.models import Record as HubRecord
from hub.store.models import VisitChange, VisitEmployment
from hub.sync import nodes
from shared import idnumber, keys
from shared.records import GENESIS_PREV, seal, signature_valid
from tests.support import VILLAGES, households_of

NEWBORN = "450224202609120015"  # a valid number (check character 5), typed at the visit
ID_SHAPE = re.compile(rb"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")


def card_bytes(folder: Path) -> bytes:
    """Everything a thief reads off the card: node.db and its WAL and SHM files, byte for byte."""
    return b"".join(path.read_bytes() for path in sorted(folder.glob("node.db*")))


def readable_numbers(data: bytes, rows: list[dict]) -> list[str]:
    """Roster ID numbers and phones found in ``data``, and any valid ID number at all."""
    found = [value for row in rows for value in (row["id_number"], row["phone"])
             if value and value.encode() in data]
    found += [m.decode() for m in ID_SHAPE.findall(data) if idnumber.problem(m.decode()) is None]
    return found


def birth_visit(hub: dict, village: tuple[str, str]) -> tuple[str, dict]:
    members = next(iter(households_of(hub["rows"], village).values()))
    body = station_body(synthetic.visit_body(random.Random(9), members, "2026-10", "网格员"), hub["person_key"])
    body["changes"] = [{"type": "birth", "name": "韦小宝", "id_number": NEWBORN, "date": "2026-09-12"}]
    return "visit", body


def test_after_a_sync_the_card_holds_no_id_number_or_phone(app, live_hub, enrolled):
    passes.sync_once(enrolled, lambda _: None)
    entries = [("visit", station_body(synthetic.visit_body(random.Random(3), members, "2026-10", "网格员"),
                                      live_hub["person_key"]))
               for members in households_of(live_hub["rows"], VILLAGES[0]).values()]
    entries.append(birth_visit(live_hub, VILLAGES[1]))
    with database.connection_context():
        saved, problems = records.save_records(enrolled.key(), enrolled.node_id, entries)
        assert not problems
        assert Member.select().count() > 0
    passes.sync_once(enrolled, lambda _: None)
    data = card_bytes(enrolled.data_dir)
    assert readable_numbers(data, live_hub["rows"]) == []
    assert NEWBORN.encode() not in data
    signed = json.loads(saved[-1].content)
    assert signed["v"] == 3 and "id_number" not in signed["body"]["changes"][0]
    assert signed["body"]["changes"][0]["id_sealed"].startswith("s1.")


def test_a_typed_number_arrives_at_the_hub_readable_and_labourers_resolve(app, live_hub, enrolled):
    passes.sync_once(enrolled, lambda _: None)
    kind, body = birth_visit(live_hub, VILLAGES[0])
    plain = synthetic.visit_body(random.Random(9), next(iter(households_of(live_hub["rows"], VILLAGES[0]).values())),
                                 "2026-10", "网格员")
    with database.connection_context():
        records.save_records(enrolled.key(), enrolled.node_id, [(kind, body)])
    assert passes.sync_once(enrolled, lambda _: None).sent == 1
    with app.app_context(), hub_database.database.connection_context():
        change = VisitChange.get()
        assert (change.type, change.name, change.id_number, change.id_unreadable) == ("birth", "韦小宝", NEWBORN, False)
        held = sorted(job.id_number for job in VisitEmployment.select())
        held_content = bytes(HubRecord.get().content)
    assert held == sorted(job["person"] for job in plain["employment"])  # the keys resolved to the roster's numbers
    assert NEWBORN.encode() not in held_content  # the signed bytes the hub keeps are sealed too


def test_a_typed_number_waits_for_the_hub_key(opened_node):
    """Before its first sync a station has no key to seal to: the visit is refused with what to do, not saved."""
    with database.connection_context():
        set_state("node_id", 1)
        keys.save_private_key(keys.generate(), opened_node.key_path)
        saved, problems = records.save_records(opened_node.key(), 1, [birth_visit(
            {"rows": synthetic.generate_roster(1, VILLAGES[:1], 1), "person_key": lambda n: "p" + "a" * 32},
            VILLAGES[0])])
    assert saved == [] and "请先同步" in problems[0].message


def _old_station(folder: Path, key, node_id: int, hub_url: str, rows: list[dict]) -> list:
    """A station of the previous release (schema 4): plain roster rows, a draft with a typed number, and two
    format-1 records not yet synced."""
    folder.mkdir(mode=0o700)
    keys.save_private_key(key, folder / "node.key")
    households = households_of(rows, VILLAGES[0])
    records, prev = [], GENESIS_PREV
    for seq, members in enumerate(list(households.values())[:2], start=1):
        body = synthetic.visit_body(random.Random(seq), members, "2026-10", "网格员")
        body["employment"] = [{"person": members[0]["id_number"], "place": "county", "months": 10, "wage": 2600}]
        record = seal(key, node_id, seq, prev, "visit", body, "2026-10-15T08:00:00Z")
        records.append(record)
        prev = record.hash
    with sqlite3.connect(folder / "node.db") as db:
        db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        for version, name in enumerate(("initial", "station_app", "postings", "tasks"), start=1):
            sql = resources.files("field_node.store.migrations").joinpath(f"{version:04d}_{name}.sql").read_text()
            db.executescript(sql)
            db.execute("INSERT INTO schema_version VALUES (?, ?)", (version, name))
        db.executemany("INSERT INTO state VALUES (?, ?)", [("node_id", str(node_id)), ("hub_url", hub_url),
                                                           ("roster_cursor", "9:9")])
        for number, members in households.items():
            db.execute("INSERT INTO household VALUES (?, ?, ?, '脱贫户', '', NULL)", (number, *VILLAGES[0]))
            for row in members:
                db.execute("INSERT INTO member (household, id_number, name, gender, birth_date, relation, "
                           "labour_ability, student, phone, status, dibao, tekun, relocated, disabled) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, '正常', 0, 0, 0, 0)",
                           (number, row["id_number"], row["name"], row["gender"], row["birth_date"],
                            row["relation"], row["labour_ability"], row["phone"]))
        db.execute("INSERT INTO draft VALUES (?, 'wang', ?, 'x')", (next(iter(households)), json.dumps(
            {"change_0_type": ["birth"], "change_0_id_number": [NEWBORN], "note": ["草稿"]})))
        for record in records:
            body = json.loads(record.content)["body"]
            db.execute("INSERT INTO record (seq, kind, household, month, prev, content, signature, hash, status, "
                       "created_at) VALUES (?, 'visit', ?, ?, ?, ?, ?, ?, 'pending', 'x')",
                       (record.seq, body["household"], body["month"], record.prev, record.content,
                        record.signature, record.hash))
    return records


def test_an_upgraded_station_drops_its_numbers_and_its_old_records_reach_the_hub_intact(app, live_hub, tmp_path):
    with app.app_context(), hub_database.database.connection_context():
        _, code = nodes.register("老站点", [nodes.find_village("/".join(VILLAGES[0]))], 24, actor="test")
    key = keys.generate()
    node_id = node_client.enroll(live_hub["url"], code, key, 10)["node_id"]
    folder = tmp_path / "old-station"
    records = _old_station(folder, key, node_id, live_hub["url"], live_hub["rows"])
    upgraded = node_module.open_node(folder)  # migration 0005
    with database.connection_context():
        assert {m.person_key for m in Member.select()} == {""}  # no number until the roster comes again
        assert "change_0_id_number" not in json.loads(Draft.get().fields)
        assert json.loads(Draft.get().fields)["note"] == ["草稿"]
    assert NEWBORN.encode() not in card_bytes(folder)
    report = passes.sync_once(upgraded, lambda _: None)
    assert report.sent == 2 and report.rejected == 0
    with app.app_context(), hub_database.database.connection_context():
        held = {r.seq: bytes(r.content) for r in HubRecord.select().where(HubRecord.node == node_id)}
        public = nodes.public_key(nodes.Node.get_by_id(node_id))
    assert held == {r.seq: r.content for r in records}  # exactly the bytes signed before the upgrade
    assert all(signature_valid(public, r.prev, r.content, r.signature) for r in records)
    with database.connection_context():
        assert all(m.person_key.startswith("p") for m in Member.select())
        assert {r.redacted for r in Record.select()} == {True}  # their numbers blanked once the hub held them
    assert readable_numbers(card_bytes(folder), live_hub["rows"]) == []
    assert passes.sync_once(upgraded, lambda _: None).requeued == 0


JOBSEEKER_ID = "450224199001010013"  # a valid number (check character 3), given with an interest
JOBSEEKER_PHONE = "13912345670"
DRAFT_ID = "450224202610010013"  # a valid number, typed into a visit form left as a draft


def every_file_on_the_card(folder: Path) -> bytes:
    """Every byte the station wrote under its data folder: node.db, WAL, SHM, logs, keys, certificates, locks."""
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def test_a_stolen_card_after_visits_a_draft_an_interest_a_posting_and_a_sync_holds_no_number(
        app, live_hub, enrolled):
    """Everything the station writes (node.db with WAL and SHM, logs, drafts, outbox, interests, postings) holds
    no roster ID number or phone, no number typed at a visit or into a draft, and neither the ID number nor the
    phone a job-seeker gave with 我想报名 — before the sync that carries them and after it."""
    from field_node import accounts
    from field_node.web import create_app
    from hub.store.models import Interest
    from tests.field_node.web.test_postings import FUTURE

    assert idnumber.check_character(JOBSEEKER_ID[:17]) == JOBSEEKER_ID[17]
    assert idnumber.check_character(DRAFT_ID[:17]) == DRAFT_ID[17]
    passes.sync_once(enrolled, lambda _: None)
    with database.connection_context():
        accounts.create_account("wang", "王网格", "station-pass-1")
        records.save_records(enrolled.key(), enrolled.node_id, [birth_visit(live_hub, VILLAGES[0])])
    station = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, data_dir=enrolled.data_dir).test_client()
    assert station.post("/login", data={"username": "wang", "password": "station-pass-1"}).status_code == 302
    household = next(iter(households_of(live_hub["rows"], VILLAGES[0])))
    draft = station.post(f"/h/{household}/draft", data={"change_0_type": "birth", "change_0_name": "韦小红",
                                                        "change_0_id_number": DRAFT_ID, "note": "草稿"})
    assert draft.status_code == 204
    posted = station.post("/postings/new", data={
        "kind": "gig", "employer": "东岭村砂糖橘合作社", "title": "砂糖橘采摘", "place": "东岭村果园", "pay": "130",
        "pay_unit": "day", "headcount": "8", "contact_name": "韦队长", "contact_phone": "13877001234",
        "valid_until": FUTURE})
    assert posted.status_code == 302
    with database.connection_context():
        posting_id = Record.select().where(Record.kind == "posting").get().content
    posting_id = json.loads(bytes(posting_id))["body"]["posting_id"]
    interest = station.post(f"/j/{posting_id}/interest", data={
        "name": "韦求职", "phone": JOBSEEKER_PHONE, "village": "东岭村", "id_number": JOBSEEKER_ID})
    assert interest.status_code == 200 and "已登记" in interest.get_data(as_text=True)
    private = [NEWBORN, DRAFT_ID, JOBSEEKER_ID, JOBSEEKER_PHONE]
    for moment in ("before the sync", "after the sync"):
        data = every_file_on_the_card(enrolled.data_dir)
        assert readable_numbers(data, live_hub["rows"]) == [], moment
        assert [value for value in private if value.encode() in data] == [], moment
        if moment == "before the sync":
            assert passes.sync_once(enrolled, lambda _: None).sent == 3
    with database.connection_context():
        assert json.loads(Draft.get().fields)["note"] == ["草稿"]  # the draft keeps what is not a number
        signed = json.loads(bytes(Record.select().where(Record.kind == "interest").get().content))
    assert signed["v"] == 3 and {"phone", "id_number"}.isdisjoint(signed["body"])
    with app.app_context(), hub_database.database.connection_context():
        held = Interest.get()
    assert (held.name, held.phone, held.id_number) == ("韦求职", JOBSEEKER_PHONE, JOBSEEKER_ID)  # the hub opens them


def _format_2_interest(node, seq: int, prev: bytes, posting_id: str, phone: str, status: str):
    """An interest as a station of release 0.3 signed it (format 2: phone and ID number in plain text)."""
    body = {"posting_id": posting_id, "name": "韦旧版", "phone": phone, "village": "东岭村", "id_number": JOBSEEKER_ID,
            "date": "2026-10-15", "channel": "node"}
    record = seal(node.key(), node.node_id, seq, prev, "interest", body, "2026-10-15T08:00:00Z", 2)
    Record.create(seq=seq, kind="interest", prev=record.prev, content=record.content, signature=record.signature,
                  hash=record.hash, status=status, created_at="2026-10-15T08:00:00Z")
    return record


def test_interests_signed_in_plain_by_the_last_release_reach_the_hub_intact_and_leave_the_card(
        app, live_hub, enrolled, monkeypatch):
    """An upgraded station's format-2 interests: one the hub acknowledged before the upgrade (the last release kept
    it as signed) is blanked at the next sync; one still waiting is sent as signed and blanked once the hub holds it."""
    from hub.store.models import Interest
    from hub.sync import own_records
    from tests.field_node.web.test_postings import hub_posting

    with app.app_context(), hub_database.database.connection_context():
        posting = hub_posting()
        own_records.sign("posting", posting)
    passes.sync_once(enrolled, lambda _: None)
    with database.connection_context():
        first = _format_2_interest(enrolled, 1, GENESIS_PREV, posting["posting_id"], "13900000011", "pending")
    with monkeypatch.context() as before_the_upgrade:  # the last release blanked format-1 records only
        before_the_upgrade.setattr(passes.records, "blank_acknowledged_interests", lambda: None)
        before_the_upgrade.setattr(passes.records.privacy, "redactions", lambda seqs: [])
        assert passes.sync_once(enrolled, lambda _: None).sent == 1
    assert b"13900000011" in every_file_on_the_card(enrolled.data_dir)
    with database.connection_context():
        second = _format_2_interest(enrolled, 2, first.hash, posting["posting_id"], "13900000022", "pending")
    assert passes.sync_once(enrolled, lambda _: None).sent == 1
    with app.app_context(), hub_database.database.connection_context():
        held = {r.seq: bytes(r.content) for r in HubRecord.select().where(HubRecord.node == enrolled.node_id)}
        phones = sorted(interest.phone for interest in Interest.select())
    assert held == {1: first.content, 2: second.content} and phones == ["13900000011", "13900000022"]
    with database.connection_context():
        assert {r.redacted for r in Record.select()} == {True}
    data = every_file_on_the_card(enrolled.data_dir)
    assert [value for value in (JOBSEEKER_ID, "13900000011", "13900000022") if value.encode() in data] == []

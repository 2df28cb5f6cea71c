"""Hostile input at the hub's doors: the public posting page and 我想报名 form, and broken import files.  Nothing
gets a 500 or a stack trace, and nothing personal comes back in a reply."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import random
import re
import struct
import zipfile
from pathlib import Path

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools import synthetic
from devtools.processes import run
from hub.postings.importer import import_postings
from hub.roster.department_lists import import_list
from hub.roster.importer import import_roster
from hub.store.db import write_transaction
from hub.store.models import Alarm, AuditLog, Node, Record, Visit
from hub.sync import nodes, own_records
from hub.sync.projections import KINDS, KindHandling
from shared.errors import FieldsyncError
from shared.kinds import BODY_SCHEMAS, BODY_SCHEMAS_V1
from shared.postings import new_posting_id
from shared.protocol import HEAD_LEAD_MAX, expand
from shared.schemas import StrictSchema, Text
from tests.hub.postings.test_postings import posting_body
from tests.hub.roster.test_table_imports import many_rows, one_string, write_xlsx
from tests.support import VILLAGES, SimNode, households_of, import_county

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(st.characters(codec="utf-8"), max_size=300)


@pytest.fixture
def posting(app, hub_db, tmp_path):
    import_county(tmp_path)
    app.config["INTEREST_RATE_LIMIT"] = "100000/minute"
    body = posting_body()
    own_records.sign("posting", body)
    return body


def assert_clean(reply) -> None:
    body = reply.get_data(as_text=True)
    assert reply.status_code < 500, body[:300]
    assert "Traceback" not in body and "File \"" not in body


@FUZZ
@given(path=st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), min_size=1, max_size=80))
def test_random_public_paths(anonymous, posting, path):
    for url in (f"/j/{path}", f"/j/{path}/qr.svg", f"/j/{path}/poster?size={path}", f"/jobs?{path}"):
        assert_clean(anonymous.get(url))


@FUZZ
@given(name=text, phone=text, village=text, id_number=text, extra=st.dictionaries(text, text, max_size=3))
def test_random_interest_forms(anonymous, posting, name, phone, village, id_number, extra):
    reply = anonymous.post(f"/j/{posting['posting_id']}/interest",
                           data={**extra, "name": name, "phone": phone, "village": village, "id_number": id_number})
    assert_clean(reply)
    assert not re.search(r'name="id_number"[^>]*value=', reply.get_data(as_text=True))  # never sent back


def broken_files(folder: Path) -> list[Path]:
    files = []
    for name, content in (("random.csv", os.urandom(2000)), ("random.xlsx", os.urandom(2000)),
                          ("empty.csv", b""), ("gbk.csv", "户编号,姓名\n1,张三\n".encode("gbk")),
                          ("header-only.csv", "\ufeff户编号\n".encode()), ("notes.txt", b"hello"),
                          ("random.xls", os.urandom(2000)), ("random.ods", os.urandom(2000)),
                          ("semicolons.csv", "户编号;姓名;证件号码\n1;张三;1\n".encode()),
                          ("nul.csv", b"\x00" * 100)):
        path = folder / name
        path.write_bytes(content)
        files.append(path)
    truncated = folder / "truncated.xlsx"
    with zipfile.ZipFile(truncated, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
    truncated.write_bytes(truncated.read_bytes()[:40])
    bomb = write_xlsx(folder / "rows.xlsx", many_rows(2_000_000), one_string(0))  # 2,000,000 rows in 128 KB
    return [*files, truncated, bomb]


def test_broken_files_get_a_message_not_a_crash(app, hub_db, tmp_path):
    importers = [import_roster, lambda path: import_postings(path, own_records.sign),
                 lambda path: import_list("death", path, "2026-10")]
    for path in broken_files(tmp_path):
        for importer in importers:
            try:
                report = importer(path)
            except FieldsyncError as error:
                assert error.message and "Traceback" not in error.message
            else:
                assert report.errors or not getattr(report, "rows", 0), (importer, path.name)


def test_a_posting_id_from_the_url_never_reaches_a_query_unchecked(anonymous, posting):
    for probe in ("' OR 1=1 --", "%00", "../" * 10, new_posting_id().upper(), "x" * 5000):
        assert_clean(anonymous.get(f"/j/{probe}"))


# --- Sync: a station written from docs/protocol.md and docs/records.md alone -----------------------------------
# Requests, records and batches are built here byte by byte (struct, gzip, Ed25519, RFC 8785 from the reference
# `rfc8785` package), never with the project's own encoder, so a fault shared by encoder and decoder cannot hide.

SEQ_MAX = 2**53 - 1  # docs/protocol.md, "Bounds"
PUSH = "/api/v1/push"


class RawStation:
    """An enrolled station that speaks the wire protocol by hand."""

    def __init__(self, client, node):
        self.client, self.node_id, self.key = client, node.node_id, node.key
        self.counter = node.counter
        self.prev, self.seq = bytes(32), 0

    def authorization(self, method: str, path: str, body: bytes, counter: int | None = None,
                      node_id: int | None = None) -> str:
        self.counter += 1
        counter = self.counter if counter is None else counter
        node_id = self.node_id if node_id is None else node_id
        message = (b"fieldsync-request-v1\n" + f"{method}\n{path}\n{node_id}\n{counter}\n".encode()
                   + hashlib.sha256(body).digest())
        signature = base64.urlsafe_b64encode(self.key.sign(message)).decode().rstrip("=")
        return f"Fieldsync node={node_id},counter={counter},signature={signature}"

    def post(self, body: bytes, **auth):
        return self.client.post(PUSH, data=body, headers={
            "Authorization": self.authorization("POST", PUSH, body, **auth), "X-Fieldsync-Protocol": "1",
            "Content-Type": "application/vnd.fieldsync.batch"})

    def envelope(self, body, seq: int | None = None) -> dict:
        return {"v": 1, "node": self.node_id, "seq": self.seq + 1 if seq is None else seq, "kind": "visit",
                "created_at": "2026-10-15T08:00:00Z", "body": body}

    def frame(self, content: bytes) -> tuple[bytes, bytes]:
        """Sign the next record's exact bytes and chain it; return (content, signature)."""
        message = b"fieldsync-record-v1\x00" + self.prev + content
        self.seq += 1
        self.prev = hashlib.sha256(message).digest()
        return content, self.key.sign(message)

    def honest(self, body) -> tuple[bytes, bytes]:
        return self.frame(rfc8785.dumps(self.envelope(body)))

    @staticmethod
    def batch(first_seq: int, head: int, first_prev: bytes, frames: list[tuple[bytes, bytes]]) -> bytes:
        parts = [b"FSB1", struct.pack(">QQ", first_seq, head), first_prev]
        for content, signature in frames:
            parts += [struct.pack(">I", len(content)), content, signature]
        return gzip.compress(b"".join(parts))

    def push(self, frames: list[tuple[bytes, bytes]], first_prev: bytes, head: int | None = None):
        first = self.seq - len(frames) + 1
        return self.post(self.batch(first, self.seq if head is None else head, first_prev, frames))


@pytest.fixture
def station(app, client, hub_db, tmp_path):
    rows = import_county(tmp_path, households_per_village=3)
    node = SimNode(app, client, "手写站", VILLAGES[:1])
    return RawStation(client, node), list(households_of(rows, VILLAGES[0]).values())


def visit(members, rnd=None) -> dict:
    return synthetic.visit_body(rnd or random.Random(5), members, "2026-10", "网格员")


def outcome(reply) -> dict[int, str]:
    """seq -> accepted / duplicate / rejection code."""
    assert reply.status_code == 200, reply.get_data(as_text=True)
    found = {seq: "accepted" for seq in expand(reply.json["accepted"])}
    found.update({seq: "duplicate" for seq in expand(reply.json["duplicates"])})
    found.update({item["seq"]: item["code"] for item in reply.json["rejected"]})
    return found


def test_a_visit_without_its_optional_lists_is_stored_and_every_later_record_too(station):
    raw, families = station
    first_prev = raw.prev
    bodies = []
    for missing in ("risks", "employment", "changes"):
        body = visit(families[0])
        del body[missing]
        bodies.append(body)
    bodies.append({key: value for key, value in visit(families[1]).items()
                   if key not in ("risks", "employment", "changes")})
    bodies.append(visit(families[2]))
    reply = raw.push([raw.honest(body) for body in bodies], first_prev)
    assert outcome(reply) == dict.fromkeys(range(1, 6), "accepted")
    assert reply.json["hwm"] == 5
    assert Visit.select().count() == 5
    assert [v.risks for v in Visit.select().order_by(Visit.id)][:4] == ["", "", "", ""]


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def test_hostile_bodies_are_final_rejections_and_the_honest_records_around_them_are_stored(station):
    raw, families = station
    first_prev = raw.prev
    envelope = rfc8785.dumps(raw.envelope({"x": 0}, seq=0))
    frames = [raw.honest(visit(families[0])),
              raw.frame(envelope.replace(b'{"x":0}', deep(100_000)).replace(b'"seq":0', b'"seq":2')),
              raw.honest(visit(families[1])),
              raw.frame(envelope.replace(b'{"x":0}', b'{"x":1' + b"0" * 5000 + b"}").replace(b'"seq":0', b'"seq":4')),
              raw.frame(envelope.replace(b'"seq":0', b'"seq":5' + b"0" * 5000)),
              raw.frame(envelope.replace(b'{"x":0}', b'{"x":' + deep(900) + b"}").replace(b'"seq":0', b'"seq":6')),
              raw.honest(visit(families[2]))]
    reply = raw.push(frames, first_prev)
    assert outcome(reply) == {1: "accepted", 2: "RECORD_INVALID", 3: "accepted", 4: "RECORD_INVALID",
                              5: "RECORD_INVALID", 6: "RECORD_INVALID", 7: "accepted"}
    assert all(item["final"] for item in reply.json["rejected"]) and reply.json["hwm"] == 7
    assert Visit.select().count() == 3


def non_canonical_variants(raw: RawStation, body: dict) -> dict[str, bytes]:
    envelope = raw.envelope(body, seq=0)
    canonical = rfc8785.dumps(envelope)
    with_note = dict(envelope, body=dict(body, note="户主外出"))
    return {
        "spacing": json.dumps(envelope, sort_keys=True, ensure_ascii=False).encode(),
        "key order": json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode(),
        "duplicate key": canonical.replace(b'"v":1}', b'"v":2,"v":1}'),
        "utf-16": canonical.decode().encode("utf-16"),
        "bom": b"\xef\xbb\xbf" + canonical,
        "escaped ascii": canonical.replace(b'"kind":"visit"', b'"kind":"vis\\u0069t"'),
        "ascii-escaped chinese": rfc8785.dumps(with_note).replace("户主外出".encode(), b"\\u6237\\u4e3b\\u5916\\u51fa"),
        "escaped lone surrogate": rfc8785.dumps(with_note).replace("户主外出".encode(), b"\\ud800"),
        "raw lone surrogate": rfc8785.dumps(with_note).replace("户主外出".encode(), b"\xed\xa0\x80"),
        "trailing space": canonical + b" ",
    }


def test_records_whose_content_is_not_rfc8785_are_refused_and_the_rest_stored(station):
    raw, families = station
    first_prev = raw.prev
    variants = non_canonical_variants(raw, visit(families[0]))
    frames = []
    for content in variants.values():
        seq = raw.seq + 1
        frames.append(raw.frame(content.replace(b'"seq":0', f'"seq":{seq}'.encode())
                                if b'"seq":0' in content else content))
    frames.append(raw.honest(visit(families[1])))
    reply = raw.push(frames, first_prev)
    found = outcome(reply)
    assert found == {**dict.fromkeys(range(1, len(variants) + 1), "RECORD_INVALID"), len(variants) + 1: "accepted"}, \
        dict(zip(variants, found.values(), strict=False))
    assert Visit.select().count() == 1


@pytest.mark.parametrize(("first_seq", "head"), [(2**53, 2**53), (2**63 - 1, 2**63 - 1), (2**64 - 1, 2**64 - 1),
                                                 (1, 2**53), (1, 2**63 - 1), (1, 2**64 - 1), (SEQ_MAX, SEQ_MAX + 1)])
def test_sequence_numbers_and_heads_beyond_the_documented_range_are_refused(station, first_seq, head):
    raw, families = station
    envelope = rfc8785.dumps(raw.envelope(visit(families[0]), seq=0))  # RFC 8785 has no integers beyond 2^53
    content, signature = raw.frame(envelope.replace(b'"seq":0', f'"seq":{first_seq}'.encode()))
    reply = raw.post(raw.batch(first_seq, head, bytes(32), [(content, signature)]))
    assert reply.status_code == 400 and reply.json["code"] == "SEQ_OUT_OF_RANGE"
    assert reply.json["details"] == {"min_seq": 1, "max_seq": SEQ_MAX}
    assert Record.select().count() == 0 and Node.get_by_id(raw.node_id).head == 0


def test_the_largest_sequence_number_is_stored_alike_on_every_database(station):
    raw, families = station
    content, signature = raw.frame(rfc8785.dumps(raw.envelope(visit(families[0]), seq=SEQ_MAX)))
    reply = raw.post(raw.batch(SEQ_MAX, SEQ_MAX, bytes(32), [(content, signature)]))
    assert outcome(reply) == {SEQ_MAX: "accepted"}
    assert [r.seq for r in Record.select()] == [SEQ_MAX]


def test_a_claimed_head_never_moves_past_what_is_plausible(station):
    raw, families = station
    first_prev = raw.prev
    frames = [raw.honest(visit(members)) for members in families]
    assert outcome(raw.push(frames, first_prev)) == dict.fromkeys(range(1, 4), "accepted")
    reply = raw.push(frames[-1:], raw_hash_before_last(raw, frames), head=SEQ_MAX)
    assert outcome(reply) == {3: "duplicate"}
    assert reply.json["head"] == 3 + HEAD_LEAD_MAX == Node.get_by_id(raw.node_id).head


def raw_hash_before_last(raw: RawStation, frames: list[tuple[bytes, bytes]]) -> bytes:
    prev = bytes(32)
    for content, _ in frames[:-1]:
        prev = hashlib.sha256(b"fieldsync-record-v1\x00" + prev + content).digest()
    return prev


@pytest.mark.parametrize("auth", [{"counter": 2**64}, {"counter": 2**63}, {"counter": 0}, {"node_id": 2**64},
                                  {"node_id": 2**63 - 1}])
def test_counters_and_node_ids_beyond_the_range_are_unauthenticated(station, auth):
    raw, families = station
    first_prev = raw.prev
    reply = raw.post(raw.batch(1, 1, first_prev, [raw.honest(visit(families[0]))]), **auth)
    assert reply.status_code == 401 and reply.json["code"] in ("UNAUTHENTICATED", "UNKNOWN_NODE")


def test_a_record_the_projection_cannot_take_fails_alone(station, monkeypatch, caplog):
    """The mechanism under every kind: a projection that raises for one record makes that record a final
    RECORD_UNPROCESSABLE, logged without its content, and the records around it are stored."""
    raw, families = station
    first_prev = raw.prev

    class ProbeSchema(StrictSchema):
        household = Text(required=True, max_length=40)
        marker = Text(required=True, max_length=40)

    def project_probes(stored, now):
        for item in stored:
            if item.body["marker"] == PERSONAL:
                raise KeyError(item.body["marker"])  # what hub/sync/projections.py did with a visit lacking risks

    monkeypatch.setitem(BODY_SCHEMAS, "probe", ProbeSchema())
    monkeypatch.setitem(BODY_SCHEMAS_V1, "probe", ProbeSchema())  # this client signs format 1
    monkeypatch.setitem(KINDS, "probe", KindHandling("household", project_probes))
    household = families[0][0]["household_id"]
    probe = [rfc8785.dumps(dict(raw.envelope({"household": household, "marker": marker}, seq=0), kind="probe"))
             for marker in ("fine", PERSONAL)]
    frames = [raw.honest(visit(families[0])), raw.frame(probe[0].replace(b'"seq":0', b'"seq":2')),
              raw.frame(probe[1].replace(b'"seq":0', b'"seq":3')), raw.honest(visit(families[1]))]
    reply = raw.push(frames, first_prev)
    assert outcome(reply) == {1: "accepted", 2: "accepted", 3: "RECORD_UNPROCESSABLE", 4: "accepted"}
    assert reply.json["rejected"][0]["final"] and reply.json["hwm"] == 4
    assert Visit.select().count() == 2
    assert Record.get(Record.seq == 3).status == "rejected"
    assert Alarm.select().where(Alarm.code == "RECORD_UNPROCESSABLE").count() == 1
    assert "event=record_failed stage=project" in caplog.text and PERSONAL not in caplog.text
    again = raw.post(raw.batch(3, 4, raw_hash_before_last(raw, frames[:3]), frames[2:3]))
    assert outcome(again) == {3: "RECORD_UNPROCESSABLE"}  # held for good: resending changes nothing


PERSONAL = "450224198503120317"


def hub_cli(app, *args: str):
    """`fieldsync-hub` as the county runs it: a real process on the test's database."""
    return run("fieldsync-hub", "--data-dir", app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"],
               *args)


def test_pushes_that_keep_failing_show_in_nodes_and_on_the_overview(app, client, station):
    raw, families = station
    for _ in range(2):
        assert raw.post(gzip.compress(b"FSB1 not a batch")).json["code"] == "BAD_BATCH"
    listing = hub_cli(app, "nodes")
    assert "同步失败：连续 2 次未能入库" in listing.stdout and "BAD_BATCH" in listing.stdout, listing.stdout
    assert "同步失败：连续 2 次未能入库" in client.get("/").get_data(as_text=True)
    first_prev = raw.prev
    assert outcome(raw.push([raw.honest(visit(families[0]))], first_prev)) == {1: "accepted"}
    assert Node.get_by_id(raw.node_id).push_failures == 0


def test_nodes_shows_a_quarantined_station_as_quarantined(app, station):
    raw, _ = station
    with write_transaction():
        nodes.quarantine(Node.get_by_id(raw.node_id), "测试")
    listing = hub_cli(app, "nodes")
    assert "已隔离" in listing.stdout and "已登记" not in listing.stdout, listing.stdout


def test_release_node_brings_a_poisoned_head_back_and_is_audited(app, station):
    raw, families = station
    first_prev = raw.prev
    assert outcome(raw.push([raw.honest(visit(members)) for members in families], first_prev))
    Node.update(head=2**63 - 1).where(Node.id == raw.node_id).execute()  # what an earlier release let in
    released = hub_cli(app, "release-node", "手写站", "--why", "核实")
    assert "已恢复为县里实际持有的 3" in released.stdout
    assert Node.get_by_id(raw.node_id).head == 3
    entry = AuditLog.select().where(AuditLog.action == "node.release").get()
    assert entry.before["head"] == str(2**63 - 1) and entry.after["head"] == 3


def test_a_nul_character_is_refused_alike_on_every_database(station):
    """PostgreSQL text cannot hold U+0000 (SQLite can): the schema refuses it, so both hubs answer the same."""
    raw, families = station
    first_prev = raw.prev
    frames = [raw.honest(dict(visit(families[0]), visitor="网格\x00员")), raw.honest(visit(families[1]))]
    reply = raw.push(frames, first_prev)
    assert outcome(reply) == {1: "RECORD_INVALID", 2: "accepted"}
    assert "visitor" in reply.json["rejected"][0]["details"]["fields"]


def test_a_code_whose_expiry_is_missing_is_refused_not_a_crash(app, hub_db):
    """A node row with a code but no expiry (written by hand, or half restored) refuses the code."""
    node, code = nodes.register("no-expiry", [], 1, actor="test")
    Node.update(enrolment_expires_at=None).where(Node.id == node.id).execute()
    with pytest.raises(FieldsyncError) as raised:
        nodes.enrol(code, b"\x00" * 32, b"\x00" * 64)
    assert raised.value.code.name == "ENROLMENT_CODE_INVALID"


def test_the_key_of_a_node_not_yet_enrolled_is_an_unknown_node_not_a_crash(app, hub_db):
    node, _ = nodes.register("not-enrolled", [], 1, actor="test")
    with pytest.raises(FieldsyncError) as raised:
        nodes.public_key(node)
    assert raised.value.code.name == "UNKNOWN_NODE"

"""The county's staging into its upward outbox (docs/upward.md), on both databases: forwarded records staged by
pages keep one exact chain, and a staging killed midway (the database refuses a row in the middle of a page, as a
process killed there leaves it) loses and stages twice nothing when it runs again.  And the fast encoder the
county signs with gives the RFC 8785 bytes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.store import db
from hub.store.models import Node, Record, UpwardLink, UpwardRecord
from hub.upward import county
from shared import keys
from shared.migrations import dialect
from shared.records import FORMAT_VERSION, GENESIS_PREV, canonical, record_hash, seal, signature_valid
from shared.upward import STATION_KEPT, STATION_KEYS, STATION_RECORD

FORWARDED = 23
PAGE = 5
ABORT_AT_SEQ = 14  # inside the third page of forwarded records (the statement is seq 1)

plain_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
plain_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | plain_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(st.characters(max_codepoint=127), max_size=8), inner, max_size=4),
    max_leaves=12)


@given(plain_values)
def test_the_fast_encoder_gives_the_rfc_8785_bytes(value):
    assert county.canonical_json(value) == canonical(value)


def test_values_rfc_8785_encodes_its_own_way_go_to_the_general_encoder():
    for value in ({"wage": 1.5}, {"中": 1}, {"big": 2**60}, ["\ud800"]):
        assert not county._plain_json(value)
    assert county.canonical_json({"wage": 1.5, "note": "\u2028\x7f\x1f\"\\"}) == \
        canonical({"wage": 1.5, "note": "\u2028\x7f\x1f\"\\"})


def _station_with_records(count: int) -> Node:
    """A station of the county with ``count`` accepted format-3 visits, each signed and chained by its key; one
    in the middle is format 1 (plain ID numbers: it stays at the county)."""
    key = keys.generate()
    station = Node.create(name="测试站", public_key=keys.public_bytes(key), created_at=datetime(2026, 10, 1),
                          enrolled_at=datetime(2026, 10, 1))
    prev = GENESIS_PREV
    for seq in range(1, count + 1):
        version = 1 if seq == 9 else FORMAT_VERSION
        record = seal(key, station.id, seq, prev, "visit", {"month": "2026-10", "household": f"H{seq}"},
                      "2026-10-15T08:00:00Z", version)
        Record.create(node=station, seq=seq, kind="visit", status="accepted", hash=record.hash, prev=prev,
                      content=record.content, signature=record.signature, received_at=datetime(2026, 10, 15))
        prev = record.hash
    return station


@pytest.fixture
def enrolled(app, hub_db) -> Path:
    """A county enrolled at a city (the link only: staging never talks to the city) with one station."""
    data_dir = Path(app.config["DATA_DIR"])
    UpwardLink.create(city_url="http://127.0.0.1:9", signer_id=4, public_key=b"k" * 32,
                      enrolled_at=datetime(2026, 11, 1))
    _station_with_records(FORWARDED)
    return data_dir


def assert_one_exact_chain(data_dir: Path) -> None:
    """seq 1 … n without a gap, each record after the one before, each signed by the upward key; each eligible
    station record forwarded exactly once, in the order of the county's records."""
    public_key = county.upward_key(data_dir).public_key()
    prev = GENESIS_PREV
    rows = list(UpwardRecord.select().order_by(UpwardRecord.seq))
    for expected, row in enumerate(rows, start=1):
        assert row.seq == expected and bytes(row.prev) == prev
        assert bytes(row.hash) == record_hash(prev, bytes(row.content))
        assert signature_valid(public_key, prev, bytes(row.content), bytes(row.signature))
        prev = bytes(row.hash)
    eligible = [r.id for r in Record.select(Record.id).order_by(Record.id) if r.id != _format_1_record_id()]
    forwarded = [int(row.source.split(":")[1]) for row in rows if row.kind == STATION_RECORD]
    assert forwarded == eligible
    kept = [int(row.source.split(":")[1]) for row in rows if row.kind == STATION_KEPT]
    assert kept == [_format_1_record_id()]  # the plain record by its hash, once


def _format_1_record_id() -> int:
    return Record.get(Record.seq == 9).id


def test_forwarded_records_are_staged_by_pages_into_one_exact_chain(enrolled):
    staged = county.stage(enrolled, None, [], page=PAGE)
    assert staged.added == {STATION_KEYS: 1, STATION_RECORD: FORWARDED - 1, STATION_KEPT: 1}
    assert staged.kept_in_plain == 1  # the format-1 record goes up by its hash only
    assert_one_exact_chain(enrolled)
    again = county.stage(enrolled, None, [], page=PAGE)
    assert again.added == {}  # nothing staged twice
    assert UpwardRecord.select().count() == FORWARDED + 1


def _abort_inserts_at(seq: int) -> None:
    """The database refuses the upward row ``seq``: the staging transaction holding it fails there, as a process
    killed in the middle of a page leaves the database (that page's transaction never commits)."""
    if dialect(db.database) == "postgresql":
        db.database.execute_sql(f"CREATE FUNCTION abort_upward() RETURNS trigger AS $$ BEGIN IF NEW.seq = {seq} "
                                "THEN RAISE EXCEPTION 'killed'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
        db.database.execute_sql("CREATE TRIGGER abort_upward BEFORE INSERT ON upward_record FOR EACH ROW "
                                "EXECUTE FUNCTION abort_upward()")
    else:
        db.database.execute_sql(f"CREATE TRIGGER abort_upward BEFORE INSERT ON upward_record WHEN NEW.seq = {seq} "
                                "BEGIN SELECT RAISE(ABORT, 'killed'); END")


def _let_inserts_through() -> None:
    db.database.execute_sql("DROP TRIGGER abort_upward" + (" ON upward_record" if dialect(db.database) ==
                                                          "postgresql" else ""))


def test_a_staging_killed_mid_page_loses_and_duplicates_nothing_when_run_again(enrolled):
    _abort_inserts_at(ABORT_AT_SEQ)
    with pytest.raises(Exception, match="killed"):
        county.stage(enrolled, None, [], page=PAGE)
    kept = UpwardRecord.select().count()
    assert 1 < kept < ABORT_AT_SEQ  # the statement and the pages before the failed one stand; that page is gone
    assert_one_exact_chain_so_far(enrolled)
    _let_inserts_through()
    before = staged_station_records()
    staged = county.stage(enrolled, None, [], page=PAGE)
    assert _station_kinds(staged.added) == FORWARDED - before
    assert_one_exact_chain(enrolled)


def staged_station_records() -> int:
    """Station records staged so far, forwarded whole or kept by hash."""
    return UpwardRecord.select().where(UpwardRecord.kind.in_([STATION_RECORD, STATION_KEPT])).count()


def _station_kinds(added: dict[str, int]) -> int:
    assert set(added) <= {STATION_RECORD, STATION_KEPT}, added
    return added.get(STATION_RECORD, 0) + added.get(STATION_KEPT, 0)


def assert_one_exact_chain_so_far(data_dir: Path) -> None:
    seqs = [row.seq for row in UpwardRecord.select(UpwardRecord.seq).order_by(UpwardRecord.seq)]
    assert seqs == list(range(1, len(seqs) + 1))


KILLED_RECORDS = 600
STAGE_ONE_BY_ONE = """
import sys
from hub.store import db
from hub.upward import county
from hub.web.app import create_app
app = create_app({"DATA_DIR": sys.argv[1], "DATABASE_URL": sys.argv[2]}, check_schema=False)
with app.app_context(), db.database.connection_context():
    county.stage(county.Path(sys.argv[1]), None, [], page=1)
"""


def test_a_staging_process_killed_midway_loses_and_duplicates_nothing(app, hub_db):
    """A real process staging page by page (one record a page, so the kill lands mid-staging), killed with
    SIGKILL; the next staging continues after what it committed."""
    data_dir = Path(app.config["DATA_DIR"])
    UpwardLink.create(city_url="http://127.0.0.1:9", signer_id=4, public_key=b"k" * 32,
                      enrolled_at=datetime(2026, 11, 1))
    _station_with_records(KILLED_RECORDS)
    child = subprocess.Popen([sys.executable, "-c", STAGE_ONE_BY_ONE, str(data_dir), app.config["DATABASE_URL"]])
    try:
        deadline = time.monotonic() + 120
        while UpwardRecord.select().count() < 20:
            assert child.poll() is None and time.monotonic() < deadline, "the staging ended before the kill"
            time.sleep(0.01)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    kept = UpwardRecord.select().count()
    assert 20 <= kept < KILLED_RECORDS  # killed midway
    before = staged_station_records()
    staged = county.stage(data_dir, None, [], page=PAGE)
    assert _station_kinds(staged.added) == KILLED_RECORDS - before
    assert_one_exact_chain(data_dir)

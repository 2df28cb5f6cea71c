"""Each station's chain as the city holds it, kept at ingest (hub/upward/chain.py, hub migration 0031), through the
real sync API on both databases: records arriving in any order, a gap filled later, a break that stays, a record
held both whole and by hash, a revoked station; and the migration's fill of the state for links already held.
Wherever the read-time window the pages used before (REFERENCE_SQL, kept here as the oracle) is well defined, the
state gives the same faults."""

from __future__ import annotations

from typing import Any

from hub.store import db
from hub.store.models import UpwardChain, UpwardChainFault
from hub.upward import overview
from shared import migrations
from tests.conftest import make_user, signed_in
from tests.hub.upward.test_city import Signer, city, codes, forwarded
from tests.hub.upward.test_city_checks import Chain, _with_keys, kept

__all__ = ["city"]  # the fixture, imported for these tests

# The window over every link the /city/ page ran when read, before the state was kept at ingest.
REFERENCE_SQL = """
WITH links AS (
    SELECT county_id, station, station_seq AS seq, prev, hash FROM upward_forwarded
    UNION ALL
    SELECT county_id, station, station_seq AS seq, prev, hash FROM upward_kept
), ordered AS (
    SELECT county_id, station, seq, prev,
           LAG(seq) OVER (PARTITION BY county_id, station ORDER BY seq) AS before_seq,
           LAG(hash) OVER (PARTITION BY county_id, station ORDER BY seq) AS before_hash
    FROM links
)
SELECT county_id, station, COALESCE(before_seq, 0) + 1 AS first, seq - 1 AS last, 0 AS broken FROM ordered
WHERE seq > COALESCE(before_seq, 0) + 1
UNION ALL
SELECT county_id, station, seq, seq, 1 FROM ordered
WHERE before_seq = seq OR (before_seq = seq - 1 AND prev IS NOT NULL AND prev <> before_hash)
ORDER BY 1, 2, 3
"""


def reference() -> list[tuple[int, int, bool]]:
    return [(int(first), int(last), bool(broken))
            for _, _, first, last, broken in db.database.execute_sql(REFERENCE_SQL)]


def faults() -> list[tuple[int, int, bool]]:
    return [(f.first, f.last, f.broken) for f in overview.chain_faults()]


def state(county: Signer, station: int = 7) -> tuple[int, bytes | None, int]:
    row = UpwardChain.get(UpwardChain.county == county.node_id, UpwardChain.station == station)
    return row.head_seq, bytes(row.head_hash) if row.head_hash is not None else None, row.top_seq


def check(app, expected: list[tuple[int, int, bool]], *, same_as_reference: bool = True) -> None:
    with app.app_context(), db.database.connection_context():
        assert faults() == expected
        if same_as_reference:
            assert reference() == expected


def whole(county: Signer, station: Chain, *seqs: int) -> list[Any]:
    return [county.seal("station_record", forwarded(station.records[seq - 1], station.number)) for seq in seqs]


def by_hash(county: Signer, station: Chain, *seqs: int, **extra: Any) -> list[Any]:
    return [county.seal("station_kept", kept(station.records[seq - 1], station.number, **extra)) for seq in seqs]


def test_records_arriving_out_of_order_open_gaps_that_close_when_filled(city):
    station = Chain(7)
    county = _with_keys(city, "融安县", station)
    for n in range(1, 8):
        station.visit_of(f"H{n}")
    assert county.push(whole(county, station, 5))["rejected"] == []
    check(city, [(1, 4, False)])
    county.push(whole(county, station, 3))
    check(city, [(1, 2, False), (4, 4, False)])
    county.push([*whole(county, station, 7, 1), *whole(county, station, 5)])  # 5 again: held once, nothing moves
    check(city, [(2, 2, False), (4, 4, False), (6, 6, False)])
    with city.app_context(), db.database.connection_context():
        assert state(county) == (1, station.records[0].hash, 7)
    county.push([*whole(county, station, 4, 2), *by_hash(county, station, 6)])
    check(city, [])
    with city.app_context(), db.database.connection_context():
        assert state(county) == (7, station.records[6].hash, 7)
        assert UpwardChainFault.select().count() == 0


def test_every_other_record_withheld_then_sent_backwards_in_one_batch(city):
    station = Chain(7)
    county = _with_keys(city, "柳江区", station)
    for n in range(1, 32):
        station.visit_of(f"H{n}")
    county.push(whole(county, station, *range(1, 32, 2)))
    check(city, [(seq, seq, False) for seq in range(2, 31, 2)])
    county.push([*whole(county, station, *range(30, 9, -2)), *by_hash(county, station, 8, 4)])
    check(city, [(2, 2, False), (6, 6, False)])
    with city.app_context(), db.database.connection_context():
        assert state(county) == (1, station.records[0].hash, 31)
    county.push(whole(county, station, 6, 2))
    check(city, [])
    with city.app_context(), db.database.connection_context():
        assert state(county) == (31, station.records[30].hash, 31)


def test_a_break_stays_whatever_comes_after_and_a_gap_filled_by_a_lie_breaks_at_the_next(city):
    station = Chain(7)
    county = _with_keys(city, "三江县", station)
    for n in range(1, 6):
        station.visit_of(f"H{n}")
    county.push(whole(county, station, 3, 1))  # 3 before 2: the check of 3's prev waits for 2
    check(city, [(2, 2, False)])
    lie = county.seal("station_kept", {**kept(station.records[1], 7), "hash": "ab" * 32})
    assert county.push([lie])["rejected"] == []
    check(city, [(3, 3, True)])
    county.push(whole(county, station, 5))
    check(city, [(3, 3, True), (4, 4, False)])
    county.push(whole(county, station, 4))
    check(city, [(3, 3, True)])
    with city.app_context(), db.database.connection_context():
        assert state(county) == (5, station.records[4].hash, 5)  # contiguous: every seq is held, one link false


def test_a_record_held_both_whole_and_by_hash_is_a_break_at_its_seq_only(city):
    station = Chain(7)
    county = _with_keys(city, "融水县", station)
    for n in range(1, 4):
        station.visit_of(f"H{n}")
    county.push(whole(county, station, 1, 2, 3))
    county.push(by_hash(county, station, 2))  # the same record, its true hash: held twice all the same
    check(city, [(2, 2, True)])
    with city.app_context(), db.database.connection_context():
        assert "同一序号收到两次" in overview.chain_faults()[0].words


def test_a_record_held_twice_with_another_hash_breaks_the_next_link_too(city):
    """The record after a seq held twice follows only one of them: a break at both (the window before picked
    either copy as 'the one before', so it is not compared here)."""
    station = Chain(7)
    county = _with_keys(city, "柳城县", station)
    for n in range(1, 4):
        station.visit_of(f"H{n}")
    county.push(whole(county, station, 1, 2, 3))
    county.push([county.seal("station_kept", {**kept(station.records[1], 7), "hash": "cd" * 32})])
    check(city, [(2, 2, True), (3, 3, True)], same_as_reference=False)


def test_a_revoked_station_keeps_its_faults_and_what_was_made_after_does_not_move_its_chain(city):
    station = Chain(7)
    county = _with_keys(city, "鹿寨县", station)
    for n in range(1, 6):
        station.visit_of(f"H{n}")
    county.push(whole(county, station, 1, 3))
    check(city, [(2, 2, False)])
    county.push([county.seal("station_keys", {"stations": [station.entry(revoked=True, held=3)]})])
    reply = county.push([*whole(county, station, 5), *by_hash(county, station, 4)])
    assert set(codes(reply).values()) == {"STATION_RECORD_FORGED"} and len(reply["rejected"]) == 2
    check(city, [(2, 2, False)])  # still shown once the station is revoked; 4 and 5 refused, no gap after 3
    county.push(by_hash(county, station, 2, month="2026-10", household="H2"))  # held before the revocation
    check(city, [])
    with city.app_context(), db.database.connection_context():
        assert state(county) == (3, station.records[2].hash, 3)


def test_the_migration_fills_the_state_of_links_held_before_it(city):
    """Links held when a city upgrades: the migration's statements give the state the ingest would have kept."""
    first, second = Chain(7), Chain(8)
    one, two = _with_keys(city, "融安县", first), _with_keys(city, "三江县", second)
    for n in range(1, 9):
        first.visit_of(f"H{n}")
        second.visit_of(f"H{n}")
    one.push([*whole(one, first, 1, 2, 4, 8), *by_hash(one, first, 5)])
    one.push([one.seal("station_kept", {**kept(first.records[2], 7), "hash": "ab" * 32})])  # a lie at 3
    two.push([*whole(two, second, 2, 3, 4), *by_hash(two, second, 3)])
    with city.app_context(), db.database.connection_context():
        before = faults()
        heads = sorted((r.county_id, r.station, r.head_seq, bytes(r.head_hash or b""), r.top_seq)
                       for r in UpwardChain.select())
        assert before == [(4, 4, True), (6, 7, False), (1, 1, False), (3, 3, True)]
        assert reference() == before
        UpwardChainFault.delete().execute()
        UpwardChain.delete().execute()
        assert faults() == []
        [migration] = [m for m in migrations.available(db.MIGRATIONS_PACKAGE) if m.version == 31]
        for statement in migrations.statements(migration.sql, db.database):
            if statement.startswith("WITH"):
                db.database.execute_sql(statement)
        assert faults() == before
        assert sorted((r.county_id, r.station, r.head_seq, bytes(r.head_hash or b""), r.top_seq)
                      for r in UpwardChain.select()) == heads
    assert heads == [(one.node_id, 7, 5, first.records[4].hash, 8), (two.node_id, 8, 0, b"", 4)]


def test_the_region_keeps_each_stations_chain_under_the_county_node_and_its_page_shows_the_gap(app):
    """At a region the county's station records arrive inside the city's county records, two levels down: the
    same state, under the county's node there, read by /region/."""
    from tests.hub.upward.test_region import County, _city_with_county, relayed

    app.config["HUB_LEVEL"] = "region"
    county, station = County(4, "融安县"), Chain(7)
    city = _city_with_county(app, app.test_client(), "柳州市", county, station)
    visits = [station.visit_of(f"H{n}") for n in range(1, 5)]
    batch = [county.seal("station_record", forwarded(visits[i], 7)) for i in (0, 3, 2)]  # 2 withheld, 4 before 3
    reply = city.push([city.seal("county_record", relayed(record, county.number)) for record in batch])
    assert reply["rejected"] == []
    check(app, [(2, 2, False)])
    with app.app_context(), db.database.connection_context():
        [row] = UpwardChain.select()
        assert (row.county.name, row.station, row.head_seq, bytes(row.head_hash), row.top_seq) == (
            "融安县（柳州市）", 7, 1, visits[0].hash, 4)
    page = signed_in(app, make_user(app, "qu", "viewer")).get("/region/").get_data(as_text=True)
    section = page[page.index('id="chains"'):]
    assert "融安县（柳州市）" in section and "序号 2（共 1 条）" in section

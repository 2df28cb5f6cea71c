"""A region's big tables partitioned by county and month (hub/store/partitions.py, docs/scale.md): the same
cleaning run finds the same anomalies as on the plain tables, and queries naming a month or a county read only
their partitions."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from devtools import bench_region, synthetic
from devtools.scratch import postgres_schema
from hub.cleaning import runner
from hub.cli import main
from hub.county import setup
from hub.store import db, partitions
from hub.store.models import Anomaly, Node, Record, UpwardPerson, Visit
from hub.sync import nodes
from hub.upward import city
from hub.web.app import create_app
from shared import keys, wire
from shared.protocol import ENROLL_PATH, PUSH_PATH
from shared.records import FORMAT_VERSION, GENESIS_PREV, SealedRecord, seal
from tests.conftest import POSTGRES_URL, at_level, make_user, signed_in
from tests.hub.upward.test_city import MONTH, Signer, Station, codes, forwarded
from tests.hub.upward.test_region import County, relayed

COUNTIES, MEMBERS, VILLAGES = 2, 400, 2
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="partitioning is PostgreSQL's (set "
                                                              "FIELDSYNC_TEST_POSTGRES_URL)")


@contextmanager
def region(tmp_path: Path, url: str, partitioned: bool) -> Iterator[Flask]:
    """A migrated hub holding two generated counties, partitioned or plain; the app context is open.  One data
    folder for both, so both key persons by the same person key (anomaly keys name persons by it)."""
    app = create_app({"DATA_DIR": str(tmp_path / "hub"), "DATABASE_URL": url}, check_schema=False)
    with app.app_context(), db.database.connection_context():
        db.migrate()
        if partitioned:
            partitions.partition(range(1, COUNTIES + 1), bench_region.MONTHS)
        counties = bench_region.create_places(COUNTIES, MEMBERS, VILLAGES, partitioned)
        if url:
            for county in counties:
                bench_region.load_county(url, county, partitioned)
        else:
            bench_region.load_sqlite(counties)
        yield app
    if hasattr(db.database.obj, "close_all"):
        db.database.obj.close_all()


def cleaning_result() -> tuple[dict, set[tuple[str, str, int | None]]]:
    record = runner.run(bench_region.PERIOD, date(2026, 11, 11))

    keys = {(a.rule, a.key, a.township_id) for a in Anomaly.select(Anomaly.rule, Anomaly.key, Anomaly.township)}
    return json.loads(record.counts), keys


def planted_check_digits() -> int:
    return sum(1 for county in range(1, COUNTIES + 1) for rows in bench_region.county_rows(
        bench_region.County(county, county, (1,), MEMBERS)) for person in rows["person"] if person[16])


def test_a_region_wide_run_on_the_plain_tables_finds_the_planted_errors(tmp_path: Path) -> None:
    with region(tmp_path, "", partitioned=False):
        counts, keys = cleaning_result()
    assert counts["rules"]["I1"] == planted_check_digits() > 0
    assert counts["rules"]["P5"] > 0
    assert {township for _, _, township in keys} >= {101, 201}  # both counties' first townships have findings


@needs_postgres
def test_the_partitioned_tables_give_the_same_cleaning_results_as_the_plain_ones(tmp_path: Path) -> None:
    with region(tmp_path, "", partitioned=False):
        plain = cleaning_result()
    with postgres_schema(POSTGRES_URL) as url, region(tmp_path, url, partitioned=True):
        assert partitions.is_partitioned()
        partitioned = cleaning_result()
    assert partitioned[0] == plain[0]
    assert partitioned[1] == plain[1]
    assert sum(plain[0]["rules"].values()) > 0


def scanned(sql: str) -> set[str]:
    """The tables PostgreSQL's plan reads for ``sql``."""
    plan = db.database.execute_sql(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()[0]
    found: set[str] = set()

    def walk(node: dict) -> None:
        if "Relation Name" in node:
            found.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)
    walk(plan[0]["Plan"])
    return found


@needs_postgres
def test_a_month_or_a_county_reads_only_its_partitions(tmp_path: Path) -> None:
    with postgres_schema(POSTGRES_URL) as url, region(tmp_path, url, partitioned=True):
        db.database.execute_sql("ANALYZE")
        every = scanned("SELECT * FROM visit")
        assert {"visit_c1_202610", "visit_c2_202511", "visit_c1_default"} <= every
        two_months = scanned("SELECT household_id, month, COUNT(*) FROM visit "
                             "WHERE month BETWEEN '2026-09' AND '2026-10' GROUP BY household_id, month")
        assert two_months == {"visit_c1_202609", "visit_c1_202610", "visit_c2_202609", "visit_c2_202610"}
        sql, params = Visit.select().where((Visit.month == "2026-10") & Visit.is_current()).sql()
        current = db.database.cursor().mogrify(sql, params).decode()  # the rules' own query of the visits
        assert scanned(current) == {"visit_c1_202610", "visit_c2_202610"}
        assert scanned("SELECT * FROM visit WHERE county_id = 2 AND month = '2026-10'") == {"visit_c2_202610"}
        assert scanned("SELECT * FROM person WHERE county_id = 1") == {"person_c1"}


def test_partitioning_is_refused_on_sqlite(tmp_path: Path) -> None:
    app = create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": ""}, check_schema=False)
    with app.app_context(), db.database.connection_context():
        db.migrate()
        with pytest.raises(ValueError):
            partitions.partition([1], bench_region.MONTHS)


# --- The region's received tables (partitions.partition_received, docs/scale.md) --------------------------------

OTHER_MONTH = "2026-09"
SHARED_PERSON = "cd" * 32  # one keyed hash registered in both counties


class FixedSigner(Signer):
    """A city hub enrolled at the region with a key given, so that two regions can be sent the same bytes."""

    def __init__(self, app: Flask, key: Ed25519PrivateKey, name: str):  # Signer's, with the key given
        with app.app_context(), db.database.connection_context():
            _, code = nodes.register(name, [], 24, actor="test", level="city")
        self.key, self.client, self.counter, self.records = key, app.test_client(), 0, []
        public = keys.public_bytes(key)
        proof = keys.b64encode(key.sign(wire.enrol_message(code, public)))
        reply = self.client.post(ENROLL_PATH, json={"code": code, "public_key": keys.b64encode(public),
                                                    "proof": proof})
        assert reply.status_code == 200, reply.json
        self.node_id = reply.json["node_id"]


def _station_visit(station: Station, month: str, household: str) -> SealedRecord:
    prev = station.records[-1].hash if station.records else GENESIS_PREV
    record = seal(station.key, station.number, len(station.records) + 1, prev, "visit",
                  {"month": month, "household": household}, "2026-10-15T08:00:00Z", FORMAT_VERSION)
    station.records.append(record)
    return record


def _station_note(station: Station) -> SealedRecord:
    """A station record that names no month (its upward_forwarded row has month NULL)."""
    prev = station.records[-1].hash if station.records else GENESIS_PREV
    record = seal(station.key, station.number, len(station.records) + 1, prev, "posting", {"title": "保洁员"},
                  "2026-10-16T08:00:00Z", FORMAT_VERSION)
    station.records.append(record)
    return record


@dataclass
class World:
    """What a city sends its region, fixed once (keys included) so that every region gets the same bytes."""

    city_key: Ed25519PrivateKey
    counties: list[tuple[County, Station]]
    batches: list[list[tuple[str, dict[str, Any]]]]  # per push: the city's (kind, body) in order


def _world() -> World:
    counties = [(County(4, "融安县"), Station(7)), (County(5, "三江县"), Station(8))]
    statement: list[tuple[str, dict[str, Any]]] = [("county_keys", {"counties": [c.entry() for c, _ in counties]})]
    first: list[tuple[str, dict[str, Any]]] = []  # a push is checked against the statements before it
    second: list[tuple[str, dict[str, Any]]] = []
    for county, station in counties:
        first.append(("county_record", relayed(county.seal("station_keys", {"stations": [station.entry()]}),
                                                county.number)))
        visits = [_station_visit(station, month, f"H{n}") for month in (OTHER_MONTH, MONTH) for n in range(3)]
        note = _station_note(station)
        records = [county.seal("station_record", forwarded(record, station.number)) for record in [*visits, note]]
        records.append(county.seal("county_persons", {"persons": [{"person": SHARED_PERSON, "household": "H1"}]}))
        records.append(county.month())
        second += [("county_record", relayed(record, county.number)) for record in records]
    return World(keys.generate(), counties, [statement, first, second])


@contextmanager
def received_region(tmp_path: Path, url: str, partitioned: bool, world: World) -> Iterator[tuple[Flask, Signer]]:
    """A region hub on its own PostgreSQL schema, its received tables partitioned or plain, that took in
    ``world``'s pushes from one city through the real sync API; yields with the app context open."""
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / ("parted" if partitioned else "plain")),
                      "DATABASE_URL": url, "WTF_CSRF_ENABLED": False}, check_schema=False)
    with app.app_context(), db.database.connection_context():
        db.migrate()
        setup.init_county(synthetic.COUNTY, synthetic.RONGAN_TOWNSHIPS)
    if partitioned:
        at_level(app, "region")
    else:
        app.config["HUB_LEVEL"] = "region"
    city = FixedSigner(app, world.city_key, "柳州市")
    for batch in world.batches:
        assert codes(city.push([city.seal(kind, body) for kind, body in batch])) == {}
    with app.app_context(), db.database.connection_context():
        yield app, city
    db.database.obj.close_all()


RECEIVED = ("record", "upward_forwarded", "upward_person", "upward_kept", "upward_transferred", "upward_month",
            "upward_relay", "upward_station", "node")


def _table(table: str) -> list[tuple]:
    """The table's rows, but for when each arrived and the one-time codes (never the same twice)."""
    cursor = db.database.execute_sql(f"SELECT * FROM {table} ORDER BY id")
    kept = [i for i, column in enumerate(cursor.description)
            if not column.name.endswith("_at") and column.name != "enrolment_code_hash"]
    return [tuple(bytes(row[i]) if isinstance(row[i], memoryview) else row[i] for i in kept)
            for row in cursor.fetchall()]


def _relations(sql: str, params: Any) -> set[str]:
    """The tables and partitions PostgreSQL's plan for ``sql`` reads."""
    plan = db.database.execute_sql("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()[0]
    found: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            found.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)
    walk(plan[0]["Plan"])
    return found


@contextmanager
def queries_run(caplog: pytest.LogCaptureFixture) -> Iterator[list[tuple[str, Any]]]:
    """Every (sql, params) the hub runs inside the block, as peewee logs it."""
    caplog.clear()
    found: list[tuple[str, Any]] = []
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        yield found
    found += [record.msg for record in caplog.records if record.name == "peewee" and isinstance(record.msg, tuple)]


def _node_id(name: str) -> int:
    return int(Node.get(Node.name == name).id)


@needs_postgres
def test_fieldsync_hub_migrate_partitions_a_region_or_city_hub_and_never_a_county_hub(tmp_path: Path) -> None:
    for level, expected in (("county", False), ("city", True), ("region", True)):
        with postgres_schema(POSTGRES_URL) as url:
            result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / level), "--database-url", url,
                                               "migrate"], env={"FIELDSYNC_HUB_LEVEL": level})
            assert result.exit_code == 0, result.output
            assert ("已按下级平台分区建表" in result.output) is expected
            again = CliRunner().invoke(main, ["--data-dir", str(tmp_path / level), "--database-url", url, "migrate"],
                                       env={"FIELDSYNC_HUB_LEVEL": level})
            assert again.exit_code == 0 and "分区" not in again.output  # once; a second migrate leaves them be
            app = create_app({"DATA_DIR": str(tmp_path / level), "DATABASE_URL": url}, check_schema=False)
            with app.app_context(), db.database.connection_context():
                assert partitions.received_partitioned() is expected
            db.database.obj.close_all()


@needs_postgres
def test_a_region_holding_rows_is_left_plain_and_says_so(tmp_path: Path) -> None:
    with postgres_schema(POSTGRES_URL) as url:
        app = create_app({"DATA_DIR": str(tmp_path / "hub"), "DATABASE_URL": url}, check_schema=False)
        with app.app_context(), db.database.connection_context():
            db.migrate()
            nodes.register("柳州市", [], 24, actor="test", level="city")  # a node: no row in the received tables
            assert partitions.partition_received("region") == "partitioned"
            assert db.database.execute_sql("SELECT to_regclass('record_n1')").fetchone()[0] == "record_n1"
        db.database.obj.close_all()
    with postgres_schema(POSTGRES_URL) as url:
        app = create_app({"DATA_DIR": str(tmp_path / "hub2"), "DATABASE_URL": url}, check_schema=False)
        with app.app_context(), db.database.connection_context():
            db.migrate()
            node, _ = nodes.register("柳州市", [], 24, actor="test", level="city")
            Record.create(node=node, seq=1, kind="county_keys", status="accepted", hash=b"h", prev=b"p",
                          content=b"{}", signature=b"s", received_at="2026-11-03T08:00:00")
            assert partitions.partition_received("region") == "held"
            assert not partitions.received_partitioned() and Record.select().count() == 1
        db.database.obj.close_all()


@needs_postgres
def test_the_same_pushes_give_the_same_rows_partitioned_and_plain(tmp_path: Path) -> None:
    world = _world()
    with postgres_schema(POSTGRES_URL) as url, received_region(tmp_path, url, False, world):
        assert not partitions.received_partitioned()
        plain = {table: _table(table) for table in RECEIVED}
    with postgres_schema(POSTGRES_URL) as url, received_region(tmp_path, url, True, world):
        assert partitions.received_partitioned()
        parted = {table: _table(table) for table in RECEIVED}
        county = _node_id("融安县（柳州市）")
        by_partition = {name: count for name, count in db.database.execute_sql(
            "SELECT tableoid::regclass::text, COUNT(*) FROM upward_forwarded GROUP BY 1").fetchall()}
        records_by_partition = dict(db.database.execute_sql(
            "SELECT tableoid::regclass::text, COUNT(*) FROM record GROUP BY 1").fetchall())
    assert parted == plain
    assert len(plain["upward_forwarded"]) == 14 and len(plain["upward_person"]) == 2
    # each county's visits in its month partitions, the record without a month in its county's DEFAULT one
    assert by_partition[f"upward_forwarded_c{county}_202609"] == 3
    assert by_partition[f"upward_forwarded_c{county}_202610"] == 3
    assert by_partition[f"upward_forwarded_c{county}_default"] == 1
    assert "upward_forwarded_default" not in by_partition  # no county without its partitions
    assert set(records_by_partition) == {"record_n1"}  # the city's wrappers, in the city's partition


@needs_postgres
def test_the_region_page_reads_only_the_months_partitions_and_a_countys_checks_only_its_own(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with postgres_schema(POSTGRES_URL) as url, received_region(tmp_path, url, True, _world()) as (app, _):
        client = signed_in(app, make_user(app, "区级管理员", "county_admin"))
        with queries_run(caplog) as page_queries:
            page = client.get(f"/region/?month={MONTH}")
        assert page.status_code == 200 and "融安县（柳州市）" in page.get_data(as_text=True)
        monthly = [(sql, params) for sql, params in page_queries
                   if "upward_forwarded" in sql and MONTH in (params or ())]
        assert monthly  # the counties' reporting: each county's records of the month
        both = {f"upward_forwarded_c{_node_id(name)}_202610" for name in ("融安县（柳州市）", "三江县（柳州市）")}
        for sql, params in monthly:
            assert _relations(sql, params) == both
        county = _node_id("融安县（柳州市）")
        with queries_run(caplog) as check_queries:  # what the region recomputes of one county's month
            assert city.visited_households(county, MONTH, 10**6) == 3
            overview_persons = list(UpwardPerson.select().where(UpwardPerson.county == county))
        assert len(overview_persons) == 1
        read = set().union(*(_relations(sql, params) for sql, params in check_queries))
        assert {r for r in read if r.startswith("upward_forwarded")} == {f"upward_forwarded_c{county}_202610"}
        assert {r for r in read if r.startswith("upward_kept")} == {f"upward_kept_c{county}"}
        assert {r for r in read if r.startswith("upward_person")} == {f"upward_person_c{county}"}
        # joined by record id, which names no signer: every signer's partition (docs/scale.md)
        assert {r for r in read if r.startswith("record")} == {"record_n1", "record_default"}


@needs_postgres
def test_duplicates_are_refused_once_on_the_signers_seq_and_on_the_countys_station_seq(tmp_path: Path) -> None:
    world = _world()
    with postgres_schema(POSTGRES_URL) as url, received_region(tmp_path, url, True, world) as (app, city_signer):
        held = [table for table in RECEIVED if table != "node"]  # the node counts the city's requests
        before = {table: _table(table) for table in held}
        # the city sends its last records again (a restore): duplicates on (signer, seq), nothing stored twice
        resent = city_signer.records[-3:]
        body = wire.encode_batch(resent, len(city_signer.records))
        city_signer.counter += 1
        auth = wire.authorization_header(city_signer.key, "POST", PUSH_PATH, city_signer.node_id,
                                         city_signer.counter, body)
        reply = app.test_client().post(PUSH_PATH, data=body, headers={"Authorization": auth,
                                                                      "Content-Type": wire.BATCH_CONTENT_TYPE})
        assert reply.status_code == 200 and reply.json["rejected"] == []
        assert {table: _table(table) for table in held} == before
        # a county restored from a backup forwards a visit and the record without a month again, under new seqs
        county, station = world.counties[0]
        visit, note = station.records[-2], station.records[-1]
        repeats = [county.seal("station_record", forwarded(record, station.number)) for record in (visit, note)]
        assert codes(city_signer.push([city_signer.seal("county_record", relayed(record, county.number))
                                       for record in repeats])) == {}
        node = _node_id("融安县（柳州市）")
        held = db.database.execute_sql(
            "SELECT station_seq, month, COUNT(*) FROM upward_forwarded WHERE county_id = %s AND station = %s "
            "AND station_seq IN (%s, %s) GROUP BY 1, 2 ORDER BY 1", (node, station.number, visit.seq, note.seq))
        assert held.fetchall() == [(visit.seq, MONTH, 1), (note.seq, None, 1)]  # NULLS NOT DISTINCT: once
        assert len(_table("record")) == len(before["record"]) + 2  # the new wrappers are the city's new records


@needs_postgres
def test_the_cleaning_tables_are_not_partitioned_over_a_region_whose_record_is_the_signers(tmp_path: Path) -> None:
    with postgres_schema(POSTGRES_URL) as url:
        app = create_app({"DATA_DIR": str(tmp_path / "hub"), "DATABASE_URL": url}, check_schema=False)
        with app.app_context(), db.database.connection_context():
            db.migrate()
            assert partitions.partition_received("region") == "partitioned"
            with pytest.raises(ValueError, match="received tables are partitioned"):
                partitions.partition([1], bench_region.MONTHS)
            assert partitions.received_partitioned() and not partitions.is_partitioned()
        db.database.obj.close_all()

"""A region's big tables partitioned by county and month (hub/store/partitions.py, docs/scale.md): the same
cleaning run finds the same anomalies as on the plain tables, and queries naming a month or a county read only
their partitions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from devtools import bench_region
from devtools.scratch import postgres_schema
from hub.cleaning import runner
from hub.store import db, partitions
from hub.store.models import Anomaly, Visit
from hub.web.app import create_app
from tests.conftest import POSTGRES_URL

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

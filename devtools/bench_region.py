"""Region benchmark: a region-sized PostgreSQL, its big tables partitioned, one cleaning run over it (issue 17).

Builds its own database (default ``bench_region`` on the PostgreSQL at 127.0.0.1:5432, dropped at the end unless
``--keep``): ``--counties`` counties (default 10) of ``--members`` members each (default 600,000) with twelve
months of visits, written with COPY straight into the hub's tables — partitioned by county and month
(hub/store/partitions.py; ``--plain`` keeps the plain tables) — with about 2 % planted errors as
devtools/bench_cleaning.py plants them.  Then it times one region-wide cleaning run (the county hub's own
``hub.cleaning.runner.run``, unchanged) and one plain full scan of the visits (`SELECT * FROM visit`, every row
fetched by the client), and prints time, ratio, the database's size on disk and the rows per table.
Target (issue 17, as at a county): ratio under 30.  See docs/scale.md.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg2
from pypinyin import lazy_pinyin

from devtools import synthetic
from devtools.scratch import execute_autocommit
from hub.store import db, partitions
from shared.migrations import dialect
from shared.months import months_back, parse_month
from shared.vocabulary import LIVING

PERIOD = "2026-10"
MONTHS = months_back(PERIOD, 12)  # 2025-11 … 2026-10
TARGET_RATIO = 30
ID_SPAN = 10**9  # county c's rows have ids c * ID_SPAN + 1 …: unique across the region, no shared sequence

COLUMNS = {
    "household": ("id", "number", "village_id", "household_type", "monitoring_type", "monitoring_since", "digest",
                  "change_seq"),
    "person": ("id", "household_id", "id_number", "name", "name_pinyin", "gender", "birth_date", "relation",
               "labour_ability", "student", "phone", "dibao", "tekun", "relocated", "disabled", "status",
               "id_problem", "phone_problem", "checked"),
    "record": ("id", "node_id", "seq", "kind", "status", "hash", "prev", "content", "signature", "household_id",
               "received_at"),
    "visit": ("id", "record_id", "household_id", "month", "visit_date", "visitor", "method", "wage", "business",
              "property", "transfer", "expenses", "ack_status", "risks", "corrects", "received_at"),
    "visit_employment": ("id", "visit_id", "id_number", "place", "province", "months", "wage"),
}
Rows = dict[str, list[tuple]]


@dataclass(frozen=True)
class County:
    """One generated county: its id (the partition key), its node and villages, its size."""
    id: int
    node_id: int
    villages: tuple[int, ...]
    members: int

    @property
    def region_code(self) -> str:  # the ID numbers' first six digits: one per county, so numbers never collide
        return f"4502{self.id + 20:02d}"


def county_name(index: int) -> str:
    return f"第{index}县"


def create_places(counties: int, members: int, villages_per_township: int, partitioned: bool) -> list[County]:
    """Counties, their townships (named after the county: township names are unique), villages and one station
    each, through plain SQL on the bound database."""
    p = db.database.param
    made = []
    with db.database.atomic():
        for index in range(1, counties + 1):
            db.database.execute_sql(f"INSERT INTO county (id, name) VALUES ({p}, {p})", (index, county_name(index)))
            villages = []
            for position, township in enumerate(synthetic.RONGAN_TOWNSHIPS, start=1):
                township_id = index * 100 + position
                columns, values = ("id, name, position", [township_id, f"{county_name(index)}{township}", position])
                if partitioned:
                    columns, values = columns + ", county_id", values + [index]
                db.database.execute_sql(f"INSERT INTO township ({columns}) VALUES ({', '.join([p] * len(values))})",
                                        tuple(values))
                for number in range(villages_per_township):
                    village_id = township_id * 1000 + number + 1
                    db.database.execute_sql(f"INSERT INTO village (id, township_id, name) VALUES ({p}, {p}, {p})",
                                            (village_id, township_id, f"{township[:2]}{number + 1}村"))
                    villages.append(village_id)
            db.database.execute_sql(f"INSERT INTO node (id, name, created_at) VALUES ({p}, {p}, {p})",
                                    (index, f"基准站{index}", date(2026, 1, 1)))
            made.append(County(index, index, tuple(villages), members))
    return made


def county_rows(county: County, chunk: int = 5000) -> Iterator[Rows]:
    """The county's households, persons, records, visits and employment, ``chunk`` households at a time —
    the distribution and the planted errors of devtools/bench_cleaning.py."""
    rnd = random.Random(county.id)
    base_id = county.id * ID_SPAN
    pinyin: dict[str, str] = {}
    used: set[str] = set()
    person_id = record_id = visit_id = employment_id = base_id
    households = county.members // 4
    for start in range(0, households, chunk):
        rows: Rows = {table: [] for table in COLUMNS}
        for h in range(start, min(households, start + chunk)):
            hid = base_id + h + 1
            rows["household"].append((hid, f"H{county.id:02d}{h + 1:08d}", county.villages[h % len(county.villages)],
                                      "脱贫户", "", None, "bench", 1))
            people = []
            for m in range(4):
                adult = m < 2
                birth = date(1970 + rnd.randint(0, 25), rnd.randint(1, 12), rnd.randint(1, 28)) if adult else \
                    date(2010 + rnd.randint(0, 10), rnd.randint(1, 12), rnd.randint(1, 28))
                male = m != 1
                id_number = synthetic.make_id_number(rnd, birth, male, county.region_code)
                while id_number in used:
                    id_number = synthetic.make_id_number(rnd, birth, male, county.region_code)
                used.add(id_number)
                if rnd.random() < 0.005:  # planted: a mistyped check character (I1)
                    id_number = id_number[:17] + ("0" if id_number[17] != "0" else "1")
                name = rnd.choice(synthetic.SURNAMES) + "".join(rnd.choice(synthetic.GIVEN) for _ in range(2))
                if name not in pinyin:
                    pinyin[name] = "".join(lazy_pinyin(name))
                id_problem = "" if id_number[17] == synthetic.check_character(id_number[:17]) else "check_digit"
                person_id += 1
                rows["person"].append((person_id, hid, id_number, name, pinyin[name], "男" if male else "女",
                                       birth.isoformat(), "户主" if m == 0 else "其他",
                                       "普通劳动力" if adult else "无劳动力", "", "13800000000" if m == 0 else "",
                                       False, False, False, False, LIVING, id_problem, "", True))
                people.append((id_number, adult))
            base = rnd.randint(2_200, 4_500)  # per labourer and month
            workers = [number for number, adult in people if adult and rnd.random() < 0.8]
            for month in MONTHS:
                if rnd.random() < 0.01:  # planted: a month without a visit (P5)
                    continue
                record_id += 1
                visit_id += 1
                rows["record"].append((record_id, county.node_id, record_id - base_id, "visit", "accepted",
                                       record_id.to_bytes(32, "big"), bytes(32), b"{}", bytes(64), hid,
                                       "2026-11-01 00:00:00"))
                wages = [base + rnd.randint(-200, 200) for _ in workers]
                rows["visit"].append((visit_id, record_id, hid, month, f"{month}-10", "网格员", "in_person",
                                      sum(wages), rnd.choice([0, 300, 800, 1500]), 0, rnd.choice([200, 420]), 100,
                                      "confirmed", "", None, "2026-11-01 00:00:00"))
                for worker, wage in zip(workers, wages, strict=True):
                    employment_id += 1
                    rows["visit_employment"].append((employment_id, visit_id, worker, "county", "",
                                                     parse_month(month)[1], wage))
        yield rows


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    return str(value)


def copy_rows(cursor: psycopg2.extensions.cursor, table: str, rows: list[tuple], county_id: int | None) -> None:
    """COPY the rows in (with the partition key appended when the tables are partitioned)."""
    columns = COLUMNS[table] + (("county_id",) if county_id is not None else ())
    suffix = f"\t{county_id}\n" if county_id is not None else "\n"
    text = "".join("\t".join(map(_copy_value, row)) + suffix for row in rows)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(text))


def insert_rows(rows: Rows) -> None:
    """The SQLite writer (the test's plain reference database): the same rows through executemany."""
    cursor = db.database.cursor()
    for table, batch in rows.items():
        columns = COLUMNS[table]
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                           batch)


def load_county(url: str, county: County, partitioned: bool) -> dict[str, int]:
    """One county through its own connection (a worker process): COPY, committed chunk by chunk."""
    counts = dict.fromkeys(COLUMNS, 0)
    connection = psycopg2.connect(url)
    try:
        for rows in county_rows(county):
            with connection, connection.cursor() as cursor:
                for table, batch in rows.items():
                    copy_rows(cursor, table, batch, county.id if partitioned else None)
                    counts[table] += len(batch)
    finally:
        connection.close()
    return counts


def load_sqlite(counties: list[County]) -> None:
    for county in counties:
        for rows in county_rows(county):
            with db.database.atomic():
                insert_rows(rows)


def generate(url: str, counties: list[County], partitioned: bool, jobs: int,
             report: Callable[[str], None] = print) -> dict[str, int]:
    """Every county's rows, ``jobs`` counties at a time; then the ids' sequences moved past them."""
    totals = dict.fromkeys(COLUMNS, 0)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(load_county, url, county, partitioned) for county in counties]
        for county, future in zip(counties, futures, strict=True):
            for table, count in future.result().items():
                totals[table] += count
            report(f"  {time.strftime('%H:%M:%S')} {county_name(county.id)} loaded: {totals['person']:,} members, "
                   f"{totals['visit']:,} visits so far")
    return totals


def finish_load(deferred_indexes: list[str], report: Callable[[str], None] = print) -> None:
    """The indexes built after the load (faster than kept up during it), sequences past the ids, statistics."""
    started = time.perf_counter()
    partitions.run_all(deferred_indexes)
    report(f"  indexes built in {time.perf_counter() - started:.0f} s")
    if dialect(db.database) == "postgresql":
        for table in COLUMNS:
            db.database.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT MAX(id) FROM {table}))")
    db.database.execute_sql("VACUUM ANALYZE" if dialect(db.database) == "postgresql" else "ANALYZE")


def full_scan_seconds() -> float:
    started = time.perf_counter()
    cursor = db.database.execute_sql("SELECT * FROM visit")
    while cursor.fetchmany(10_000):
        pass
    return time.perf_counter() - started


def database_size() -> tuple[int, dict[str, int], dict[str, int]]:
    """Bytes on disk of the whole database, and per big table (all its partitions with their indexes), and
    its rows."""
    total = db.database.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0]
    sizes, rows = {}, {}
    for table in COLUMNS:
        sizes[table] = db.database.execute_sql(
            "SELECT COALESCE(SUM(pg_total_relation_size(relid)), 0) FROM pg_partition_tree(%s) "
            "WHERE isleaf", (table,)).fetchone()[0]
        rows[table] = db.database.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    return total, sizes, rows


def with_database(url: str, name: str) -> str:
    return f"{url.rsplit('/', 1)[0]}/{name}"


def generate_region(url: str, options: argparse.Namespace, result: dict) -> None:
    """The schema (partitioned unless --plain), the places, the rows, then indexes and statistics."""
    db.migrate()
    ids = range(1, options.counties + 1)
    deferred = [] if options.plain else partitions.partition(ids, MONTHS, defer_indexes=True)
    counties = create_places(options.counties, options.members, options.villages_per_township, not options.plain)
    started = time.perf_counter()
    result["counts"] = generate(url, counties, not options.plain, options.jobs)
    finish_load(deferred)
    result["generation"] = time.perf_counter() - started
    print(f"  generation took {result['generation']:.0f} s")


def bench(url: str, options: argparse.Namespace) -> dict:
    from hub.cleaning import runner
    from hub.web.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="fieldsync-region-bench-"))
    app = create_app({"DATA_DIR": str(folder), "DATABASE_URL": url}, check_schema=False)
    result: dict = {}
    with app.app_context(), db.database.connection_context():
        if options.reuse:
            result["generation"], result["counts"] = 0.0, {}
        else:
            generate_region(url, options, result)
        result["scan"] = min(full_scan_seconds() for _ in range(2))
        print(f"  full scan {result['scan']:.1f} s")
        started = time.perf_counter()
        record = runner.run(PERIOD, date(2026, 11, 11))
        result["cleaning"] = time.perf_counter() - started
        result["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        result["anomalies"] = record.opened
        result["by_rule"] = json.loads(record.counts)["rules"]
        result["size"] = database_size()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--members", type=int, default=600_000, help="members per county")
    parser.add_argument("--villages-per-township", type=int, default=20)
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL database to connect to for CREATE/DROP DATABASE")
    parser.add_argument("--database", default="bench_region", help="the database made (and dropped) for the run")
    parser.add_argument("--jobs", type=int, default=2, help="counties generated at once (one process each)")
    parser.add_argument("--plain", action="store_true", help="keep the plain tables (no partitions), to compare")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--reuse", action="store_true", help="time the run again on the database a --keep run left "
                                                             "(no generation)")
    options = parser.parse_args()
    if not options.reuse:
        execute_autocommit(options.server_url, f"DROP DATABASE IF EXISTS {options.database}")
        execute_autocommit(options.server_url, f"CREATE DATABASE {options.database}")
    url = with_database(options.server_url, options.database)
    try:
        result = bench(url, options)
    finally:
        if hasattr(db.database.obj, "close_all"):
            db.database.obj.close_all()
        if not options.keep:
            execute_autocommit(options.server_url, f"DROP DATABASE IF EXISTS {options.database}")
    report(options, result)
    return 0 if result["cleaning"] / result["scan"] < TARGET_RATIO else 1


def report(options: argparse.Namespace, result: dict) -> None:
    total, sizes, rows = result["size"]
    layout = "plain tables" if options.plain else "partitioned by county (LIST) and month (RANGE)"
    print(f"\nfieldsync region bench — {options.counties} counties × {options.members:,} members, 12 months of "
          f"visits, PostgreSQL, {layout}\n")
    print(f"cleaning run {result['cleaning']:.1f} s; full scan {result['scan']:.1f} s; ratio "
          f"{result['cleaning'] / result['scan']:.1f} (target < {TARGET_RATIO}); generation "
          f"{result['generation']:.0f} s (0: reused); anomalies opened {result['anomalies']:,}; the run's peak RSS "
          f"{result['peak_rss'] / 2**30:.1f} GiB")
    print(f"database on disk: {total / 2**30:.1f} GiB")
    for table in COLUMNS:
        print(f"  {table:<17} {rows[table]:>13,} rows {sizes[table] / 2**30:>8.2f} GiB (with indexes)")
    print(f"findings per rule: {result['by_rule']}")
    print("full scan = `SELECT * FROM visit`, every row fetched by the client once")


if __name__ == "__main__":
    sys.exit(main())

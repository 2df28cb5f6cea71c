"""Region benchmark, the received tables: the region page's queries on partitioned vs plain tables (issue 17).

Builds its own database (default ``bench_region_received`` on the PostgreSQL at 127.0.0.1:5432, dropped at the
end unless ``--keep``) with two schemas, ``plain`` and ``parted``: each migrated as a region hub, ``parted`` then
partitioned as ``fieldsync-hub migrate`` partitions a region (hub/store/partitions.py: ``record`` LIST by signer,
``upward_forwarded`` LIST by county and RANGE by month, ``upward_person``, ``upward_kept``,
``upward_transferred`` LIST by county).  Both get the same rows, written server-side (``INSERT … SELECT`` over
``generate_series``, the fastest bulk path — no client round trip per row): ``--cities`` cities' wrappers in
``record``, ``--counties`` counties × ``--forwarded`` station records over twelve months (5 % without a month,
1 % kept at the county by hash, one gap planted per county), ``--persons`` keyed persons per county (0.5 % shared
by two counties), and a tenth of them in transferred employment each month.  Then it times each query of the
region page (hub/web/city.py ``render_summary``: the counties reporting a month, the region-wide table, persons
registered twice, labourers transferred twice, the stations' chain faults, the alarms) and the region's check of
one county's month (``city.visited_households``, run on every county month it receives), as the page runs them,
on both, and prints the best of three after one warm-up, and the tables' sizes.  The stations' chain state
(hub/upward/chain.py, kept by the ingest as links arrive) is built once from the generated links by hub migration
0031's own fill statements, timed (what a city upgraded to 0031 spends once); the page then reads that state.

The default (10 counties × 100,000 records) runs in a few minutes; ``--full`` is a region-year at ten counties'
scale of the real 110: 10 × 2,200,000 records (22 M) and 10 × 600,000 persons (about 60 GB, an hour or more).
Not a test: figures go to docs/scale.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from devtools.scratch import execute_autocommit
from hub.store import db, partitions
from shared import migrations
from shared.months import months_back

PERIOD = "2026-10"
MONTHS = months_back(PERIOD, 12)  # 2025-11 … 2026-10, oldest first
STATIONS = 40  # per county
LAYOUTS = ("plain", "parted")


def with_database(url: str, name: str, schema: str | None = None) -> str:
    base = f"{url.rsplit('/', 1)[0]}/{name}"
    return f"{base}?options=-csearch_path%3D{schema}" if schema else base


def _sql(sql: str, params: tuple = ()) -> None:
    db.database.execute_sql(sql, params)


def _nodes(options: argparse.Namespace) -> tuple[list[int], list[int]]:
    """The cities (they sign the region's records) and the counties they relay, as the hub makes them (their
    partitions made with them where the tables are partitioned)."""
    from hub.sync import nodes

    cities = [nodes.register(f"市{n}", [], 24, actor="bench", level="city")[0].id for n in range(options.cities)]
    counties = [nodes.relayed_county(f"县{n}", actor="bench") for n in range(options.counties)]
    for county in counties:
        partitions.add_months((county, month) for month in MONTHS)  # as the first record of each month would
    return cities, counties


def generate(options: argparse.Namespace) -> tuple[list[int], list[int]]:
    """The rows, server-side; a county's rows in one statement per table."""
    cities, counties = _nodes(options)
    per_station = options.forwarded // STATIONS
    months = "ARRAY[" + ", ".join(f"'{m}'" for m in MONTHS) + "]"
    for index, county in enumerate(counties):
        city = cities[index % len(cities)]
        started = time.perf_counter()
        base = index * STATIONS * per_station  # the county's records' ids start after the counties before
        link = ("sha256(convert_to('{c}:' || s || ':' || {q}, 'UTF8'))")
        # every station record the county sent: one city wrapper each (node = the city, seq = its id)
        _sql(f"""INSERT INTO record (id, node_id, seq, kind, status, hash, prev, content, signature, received_at)
            SELECT {base} + (s - 1) * {per_station} + q, {city}, {base} + (s - 1) * {per_station} + q,
                   'county_record', 'accepted', {link.format(c='w' + str(county), q='q')},
                   {link.format(c='w' + str(county), q='(q - 1)')},
                   convert_to(repeat(md5(s || ':' || q), {options.content_bytes // 32}), 'UTF8'), '\\x00'::bytea,
                   TIMESTAMP '2026-11-03 08:00:00'
            FROM generate_series(1, {STATIONS}) s, generate_series(1, {per_station}) q""")
        # forwarded (95 % visits, month along the chain; every 20th a record with no month), except every 97th,
        # which the county keeps (by hash), and station 1's seqs 500-502, sent by neither: a gap
        chain = (f"FROM generate_series(1, {STATIONS}) s, generate_series(1, {per_station}) q "
                 f"WHERE NOT (s = 1 AND q BETWEEN 500 AND 502)")
        month = f"({months})[1 + ((q - 1) * 12) / {per_station}]"
        common = (f"{county}, s, q, {link.format(c=str(county), q='(q - 1)')}, "
                  f"{link.format(c=str(county), q='q')}")
        _sql(f"""INSERT INTO upward_forwarded (county_id, station, station_seq, prev, hash, kind, month, household,
                                             record_id)
            SELECT {common}, CASE WHEN mod(q, 20) = 0 THEN 'posting' ELSE 'visit' END,
                   CASE WHEN mod(q, 20) = 0 THEN NULL ELSE {month} END,
                   CASE WHEN mod(q, 20) = 0 THEN NULL ELSE 'H' || mod(q * 7919 + s * 104729, {options.persons // 4 + 1})
                   END, {base} + (s - 1) * {per_station} + q
            {chain} AND mod(q, 97) <> 0""")
        _sql(f"""INSERT INTO upward_kept (county_id, station, station_seq, prev, hash, reason, kind, month,
                                        household, record_id)
            SELECT {common}, 'plain', 'visit', {month}, 'H' || q, {base} + (s - 1) * {per_station} + q
            {chain} AND mod(q, 97) = 0""")
        _sql(f"""INSERT INTO upward_station (county_id, station, name, public_key, villages, record_id)
            SELECT {county}, s, '站点' || s, '\\x00'::bytea, '[]', {base} + 1 FROM generate_series(1, {STATIONS}) s""")
        person = (f"encode(sha256(convert_to(CASE WHEN mod(i, 200) = 0 THEN 'shared:{index // 2}:' || i "
                  f"ELSE '{county}:' || i END, 'UTF8')), 'hex')")
        _sql(f"""INSERT INTO upward_person (county_id, person, household, seq, withdrawn)
            SELECT {county}, {person}, 'H' || (i / 4), 1, FALSE FROM generate_series(1, {options.persons}) i""")
        _sql(f"""INSERT INTO upward_transferred (county_id, month, person, place, seq, withdrawn)
            SELECT {county}, m, {person}, 'out_of_province', 1, FALSE
            FROM unnest({months}) m, generate_series(10, {options.persons}, 10) i""")
        for month_name in MONTHS:
            figures = ('{"untransferred": [{"township": "板榄镇", "type": "监测户", "count": 12}, '
                       '{"township": "板榄镇", "type": "脱贫户", "count": 30}]}')
            _sql("INSERT INTO upward_month (county_id, month, figures, record_id, first_received_at, received_at) "
                 "VALUES (%s, %s, %s, %s, TIMESTAMP '2026-11-04 08:00:00', TIMESTAMP '2026-11-04 08:00:00')",
                 (county, month_name, figures, base + 1))
        _sql("INSERT INTO alarm (node_id, code, seq, detail, evidence, created_at) VALUES "
             "(%s, 'COUNTY_FIGURES_DISAGREE', 1, '数据与站点记录不符', NULL, TIMESTAMP '2026-11-04 08:00:00')",
             (county,))
        print(f"    county {index + 1}/{len(counties)}: {time.perf_counter() - started:.0f} s", flush=True)
    for table in ("record", "upward_forwarded", "upward_kept", "upward_station", "upward_person",
                  "upward_transferred", "upward_month", "alarm"):
        _sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))")
    _sql("ANALYZE")
    return cities, counties


def queries(counties: list[int]) -> dict[str, Callable[[], Any]]:
    """The region page's queries, as the page runs them, and the region's check of one county's month."""
    from hub.upward import city, overview, region

    return {
        "counties reporting the month (reports)": lambda: overview.reports(PERIOD, date(2026, 11, 20), 5,
                                                                          "Asia/Shanghai"),
        "region-wide table (untransferred)": lambda: overview.untransferred(PERIOD),
        "registered twice": overview.registered_twice,
        "transferred twice (the month)": lambda: overview.transferred_twice(PERIOD),
        "chain faults": overview.chain_faults,
        "alarms": region.alarms,
        "one county's month checked (visited_households)": lambda: city.visited_households(
            counties[len(counties) // 2], PERIOD, 10**12),
    }


def timed(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    found = run()  # warm-up: the pages a first reader would bring into the cache
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        found = run()
        seconds.append(time.perf_counter() - started)
    return min(seconds), found


def _size(table: str) -> tuple[int, int]:
    size = db.database.execute_sql("SELECT COALESCE((SELECT SUM(pg_total_relation_size(relid)) FROM "
                                   "pg_partition_tree(%s) WHERE isleaf), pg_total_relation_size(%s))",
                                   (table, table)).fetchone()[0]
    rows = db.database.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    return int(size), int(rows)


def fill_chain_state() -> float:
    """Seconds to build the stations' chain state from the links held, as migration 0031 builds it."""
    chain = next(m for m in migrations.available(db.MIGRATIONS_PACKAGE) if m.version == 31)
    started = time.perf_counter()
    with db.database.atomic():
        for statement in migrations.statements(chain.sql, db.database):
            if statement.startswith("WITH"):  # the fill, not the CREATE TABLEs
                db.database.execute_sql(statement)
    _sql("ANALYZE upward_chain")
    _sql("ANALYZE upward_chain_fault")
    return time.perf_counter() - started


def bench_layout(url: str, layout: str, options: argparse.Namespace) -> dict[str, Any]:
    from hub.web.app import create_app

    folder = Path(tempfile.mkdtemp(prefix=f"fieldsync-received-{layout}-"))
    app = create_app({"DATA_DIR": str(folder), "DATABASE_URL": url, "HUB_LEVEL": "region"}, check_schema=False)
    result: dict[str, Any] = {"times": {}, "found": {}}
    with app.app_context(), db.database.connection_context():
        db.migrate()
        if layout == "parted":
            assert partitions.partition_received("region") == "partitioned"
        started = time.perf_counter()
        _, counties = generate(options)
        result["generation"] = time.perf_counter() - started
        print(f"  {layout}: generation {result['generation']:.0f} s", flush=True)
        result["chain_fill"] = fill_chain_state()
        print(f"  {layout}: chain state built from the links {result['chain_fill']:.1f} s", flush=True)
        for name, run in queries(counties).items():
            seconds, found = timed(run, options.repeats)
            result["times"][name] = seconds
            result["found"][name] = found
            print(f"    {name}: {seconds * 1000:.1f} ms", flush=True)
        result["sizes"] = {table: _size(table) for table in partitions.RECEIVED_NAMES}
    db.database.obj.close_all()
    return result


def report(options: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    print(f"\nfieldsync region bench, the received tables — {options.counties} counties × {options.forwarded:,} "
          f"station records over 12 months, {options.persons:,} persons per county, {options.cities} cities; "
          "PostgreSQL\n")
    print(f"{'query (best of ' + str(options.repeats) + ')':<52} {'plain':>11} {'partitioned':>12} {'ratio':>7}")
    for name, plain in results["plain"]["times"].items():
        parted = results["parted"]["times"][name]
        same = "" if results["plain"]["found"][name] == results["parted"]["found"][name] else "  DIFFERENT RESULTS"
        print(f"{name:<52} {plain * 1000:>8.1f} ms {parted * 1000:>9.1f} ms {parted / plain:>7.2f}{same}")
    print("\ntable: rows, size with indexes (plain / partitioned)")
    for table in partitions.RECEIVED_NAMES:
        (plain_size, rows), (parted_size, _) = results["plain"]["sizes"][table], results["parted"]["sizes"][table]
        print(f"  {table:<20} {rows:>12,} rows {plain_size / 2**20:>9,.0f} / {parted_size / 2**20:,.0f} MiB")
    print(f"generation: plain {results['plain']['generation']:.0f} s, partitioned "
          f"{results['parted']['generation']:.0f} s")
    print(f"chain state built once from the links (migration 0031's fill): plain "
          f"{results['plain']['chain_fill']:.1f} s, partitioned {results['parted']['chain_fill']:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--cities", type=int, default=2)
    parser.add_argument("--forwarded", type=int, default=100_000, help="station records per county (a year)")
    parser.add_argument("--persons", type=int, default=30_000, help="keyed persons per county")
    parser.add_argument("--content-bytes", type=int, default=1024, help="size of each city wrapper's content")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="a region-year at ten counties: 2,200,000 records and "
                                                            "600,000 persons per county (about an hour)")
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL database to connect to for CREATE/DROP DATABASE")
    parser.add_argument("--database", default="bench_region_received", help="the database made (and dropped)")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    options = parser.parse_args()
    if options.full:
        options.forwarded, options.persons = 2_200_000, 600_000
    execute_autocommit(options.server_url, f"DROP DATABASE IF EXISTS {options.database}")
    execute_autocommit(options.server_url, f"CREATE DATABASE {options.database}")
    results: dict[str, dict[str, Any]] = {}
    try:
        for layout in LAYOUTS:
            execute_autocommit(with_database(options.server_url, options.database), f"CREATE SCHEMA {layout}")
            results[layout] = bench_layout(with_database(options.server_url, options.database, layout), layout,
                                           options)
    finally:
        if hasattr(db.database.obj, "close_all"):
            db.database.obj.close_all()
        if not options.keep:
            execute_autocommit(options.server_url, f"DROP DATABASE IF EXISTS {options.database}")
    report(options, results)
    differ = [name for name in results["plain"]["found"]
              if results["plain"]["found"][name] != results["parted"]["found"][name]]
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

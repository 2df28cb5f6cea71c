"""Cleaning-run benchmark: a county of 1,000,000 members with twelve months of visits.

Prints the time of a full cleaning run on SQLite (and on PostgreSQL with --database-url) and its ratio to
one plain full scan of the visits table (every row read by the client once).  Targets: under 60 s on SQLite,
ratio under 30.  The county is written with bulk inserts straight into the hub's tables (a real import of a
million-row spreadsheet is not what is measured here); about 2 % of values are planted errors.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from pypinyin import lazy_pinyin

from devtools import synthetic
from devtools.scratch import postgres_schema
from hub.county import setup as county_setup
from hub.store import db
from hub.web.app import create_app
from shared.migrations import dialect
from shared.months import months_back, parse_month
from shared.vocabulary import LIVING

PERIOD = "2026-10"
MONTHS = months_back(PERIOD, 12)  # 2025-11 … 2026-10
TARGET_SECONDS, TARGET_RATIO = 60, 30


def executemany(sql: str, rows: list[tuple]) -> None:
    if not rows:
        return
    if dialect(db.database) == "postgresql":
        from psycopg2.extras import execute_values

        cursor = db.database.cursor()
        execute_values(cursor, sql.split(" VALUES ")[0] + " VALUES %s", rows, page_size=5000)
    else:
        db.database.cursor().executemany(sql, rows)


def generate(members: int, villages_per_township: int, seed: int = 1) -> dict[str, Any]:
    """Bulk-write the county: townships, villages, households, persons, records, visits, employment."""
    rnd = random.Random(seed)
    county_setup.init_county(synthetic.COUNTY, synthetic.RONGAN_TOWNSHIPS)
    from hub.store.models import Node, Township, Village

    villages = []
    with db.write_transaction():
        for township in Township.select():
            for index in range(villages_per_township):
                villages.append(Village.create(township=township, name=f"{township.name[:2]}{index + 1}村").id)
        node = Node.create(name="基准站", created_at=date(2026, 1, 1))
    households = members // 4
    pinyin: dict[str, str] = {}
    used: set[str] = set()
    p = db.database.param
    counts = {"households": 0, "persons": 0, "visits": 0}
    record_id = visit_id = 0
    for start in range(0, households, 5000):
        with db.write_transaction():
            h_rows, p_rows, r_rows, v_rows, e_rows = [], [], [], [], []
            for h in range(start, min(households, start + 5000)):
                hid = h + 1
                h_rows.append((hid, f"H{hid:08d}", villages[h % len(villages)], "脱贫户", "", None, "bench", 1))
                people = []
                for m in range(4):
                    adult = m < 2
                    birth = date(1970 + rnd.randint(0, 25), rnd.randint(1, 12), rnd.randint(1, 28)) if adult else \
                        date(2010 + rnd.randint(0, 10), rnd.randint(1, 12), rnd.randint(1, 28))
                    male = m != 1
                    id_number = synthetic.make_id_number(rnd, birth, male)
                    while id_number in used:
                        id_number = synthetic.make_id_number(rnd, birth, male)
                    used.add(id_number)
                    if rnd.random() < 0.005:  # planted: a mistyped check character (I1)
                        id_number = id_number[:17] + ("0" if id_number[17] != "0" else "1")
                    name = rnd.choice(synthetic.SURNAMES) + "".join(rnd.choice(synthetic.GIVEN) for _ in range(2))
                    if name not in pinyin:
                        pinyin[name] = "".join(lazy_pinyin(name))
                    labour = "普通劳动力" if adult else "无劳动力"
                    id_problem = "" if id_number[17] == synthetic.check_character(id_number[:17]) else "check_digit"
                    p_rows.append((hid, id_number, name, pinyin[name], "男" if male else "女", birth.isoformat(),
                                   "户主" if m == 0 else "其他", labour, "", "13800000000" if m == 0 else "",
                                   False, False, False, False, LIVING, id_problem, "", True))
                    people.append((id_number, adult))
                base = rnd.randint(2_200, 4_500)  # per labourer and month
                workers = [number for number, adult in people if adult and rnd.random() < 0.8]
                for month in MONTHS:
                    if rnd.random() < 0.01:  # planted: a month without a visit (P5)
                        continue
                    record_id += 1
                    visit_id += 1
                    r_rows.append((record_id, node.id, record_id, "visit", "accepted", record_id.to_bytes(32, "big"),
                                   bytes(32), b"{}", bytes(64), hid, "2026-11-01 00:00:00"))
                    wages = [base + rnd.randint(-200, 200) for _ in workers]
                    v_rows.append((visit_id, record_id, hid, month, f"{month}-10", "网格员", "in_person", sum(wages),
                                   rnd.choice([0, 300, 800, 1500]), 0, rnd.choice([200, 420]), 100, "confirmed", "",
                                   None, "2026-11-01 00:00:00"))
                    e_rows += [(visit_id, worker, "county", "", parse_month(month)[1], wage)
                               for worker, wage in zip(workers, wages, strict=True)]
            executemany(f"INSERT INTO household (id, number, village_id, household_type, monitoring_type, "
                        f"monitoring_since, digest, change_seq) VALUES ({', '.join([p] * 8)})", h_rows)
            executemany(f"INSERT INTO person (household_id, id_number, name, name_pinyin, gender, birth_date, "
                        f"relation, labour_ability, student, phone, dibao, tekun, relocated, disabled, status, "
                        f"id_problem, "
                        f"phone_problem, checked) VALUES ({', '.join([p] * 18)})", p_rows)
            executemany(f"INSERT INTO record (id, node_id, seq, kind, status, hash, prev, content, signature, "
                        f"household_id, received_at) VALUES ({', '.join([p] * 11)})", r_rows)
            executemany(f"INSERT INTO visit (id, record_id, household_id, month, visit_date, visitor, method, wage, "
                        f"business, property, transfer, expenses, ack_status, risks, corrects, received_at) "
                        f"VALUES ({', '.join([p] * 16)})", v_rows)
            executemany(f"INSERT INTO visit_employment (visit_id, id_number, place, province, months, wage) "
                        f"VALUES ({', '.join([p] * 6)})", e_rows)
            counts["households"] += len(h_rows)
            counts["persons"] += len(p_rows)
            counts["visits"] += len(v_rows)
        print(f"\r  generated {counts['persons']:,} members, {counts['visits']:,} visits", end="", flush=True)
    print()
    if dialect(db.database) == "postgresql":
        for table in ("household", "person", "record", "visit", "visit_employment"):
            db.database.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT MAX(id) FROM {table}))")
        db.database.execute_sql("ANALYZE")
    else:
        db.database.execute_sql("ANALYZE")
    return counts


def full_scan_seconds() -> float:
    start = time.perf_counter()
    cursor = db.database.execute_sql("SELECT * FROM visit")
    rows = 0
    while batch := cursor.fetchmany(10_000):
        rows += len(batch)
    return time.perf_counter() - start


def queued_run_seconds(folder: Path, database_url: str) -> float:
    """The same run started as from the cleaning page's 运行清洗: queued, taken by `fieldsync-hub worker` (a
    real process, started beforehand as in production), timed from the click to the job's end.  It runs second,
    on the anomalies the first run opened."""
    import signal
    import subprocess

    from devtools.processes import BIN, stop_group
    from hub.jobs import queue, records
    from hub.store.models import Job

    worker = subprocess.Popen([str(BIN / "fieldsync-hub"), "--data-dir", str(folder), "--database-url",
                               database_url, "worker"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        time.sleep(3)  # the worker is up and waiting, as it is in production
        started = time.perf_counter()
        job = records.queue_cleaning("user:bench", {"period": PERIOD})
        queue.enqueue(job.id)
        while Job.get_by_id(job.id).status in records.ACTIVE:
            time.sleep(0.1)
        assert Job.get_by_id(job.id).status == records.DONE, Job.get_by_id(job.id).message
        return time.perf_counter() - started
    finally:
        stop_group(worker, signal.SIGINT)


def bench(database_url: str, members: int, villages_per_township: int) -> tuple[float, float, dict]:
    from hub.cleaning import runner

    folder = Path(tempfile.mkdtemp(prefix="fieldsync-clean-bench-"))
    app = create_app({"DATA_DIR": str(folder), "DATABASE_URL": database_url}, check_schema=False)
    with app.app_context(), db.database.connection_context():
        db.migrate()
        started = time.perf_counter()
        counts = generate(members, villages_per_township)
        print(f"  generation took {time.perf_counter() - started:.0f} s")
        scan = min(full_scan_seconds() for _ in range(2))
        started = time.perf_counter()
        record = runner.run(PERIOD, date(2026, 11, 11))
        cleaning = time.perf_counter() - started
        import json

        counts["anomalies"] = record.opened
        counts["by_rule"] = json.loads(record.counts)["rules"]
        counts["dashboard"] = dashboard_seconds()
        counts["queued"] = queued_run_seconds(folder, database_url)
    return cleaning, scan, counts


def dashboard_seconds() -> tuple[float, float]:
    """Seconds to compute the county dashboard's figures (by township) and one township's (by village)."""
    from hub.reports import figures
    from hub.store.models import Township

    started = time.perf_counter()
    figures.dashboard(None, PERIOD)
    county = time.perf_counter() - started
    started = time.perf_counter()
    figures.dashboard(Township.select().order_by(Township.position).first().id, PERIOD)
    return county, time.perf_counter() - started


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for one run, dropped afterwards ("" passes SQLite through)."""
    if not url:
        yield url
        return
    with postgres_schema(url, "bench") as scoped:
        try:
            yield scoped
        finally:
            if hasattr(db.database.obj, "close_all"):
                db.database.obj.close_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--villages-per-township", type=int, default=20)
    parser.add_argument("--database-url", default="", help="also bench on this PostgreSQL database")
    options = parser.parse_args()
    results, ok = [], True
    backends = [("SQLite", "")] + ([("PostgreSQL", options.database_url)] if options.database_url else [])
    for label, url in backends:
        print(f"{label}:")
        with scratch_schema(url) as scoped:
            cleaning, scan, counts = bench(scoped, options.members, options.villages_per_township)
        ratio = cleaning / scan
        results.append((label, cleaning, scan, ratio, counts))
        ok &= ratio < TARGET_RATIO and (label != "SQLite" or cleaning < TARGET_SECONDS)
    print(f"\nfieldsync cleaning bench — {options.members:,} members, 12 months of visits\n")
    print(f"{'backend':<11} {'cleaning run':>13} {'from the web':>13} {'full scan':>10} {'ratio':>7}  anomalies  "
          f"targets: < {TARGET_SECONDS} s (SQLite), ratio < {TARGET_RATIO}")
    for label, cleaning, scan, ratio, counts in results:
        print(f"{label:<11} {cleaning:>11.1f} s {counts['queued']:>11.1f} s {scan:>8.2f} s {ratio:>7.1f}  "
              f"{counts['anomalies']:>9,}")
    print(f"\nvisits: {results[0][4]['visits']:,}; findings per rule: {results[0][4]['by_rule']}")
    for label, _, _, _, counts in results:
        print(f"{label}: dashboard figures {counts['dashboard'][0]:.1f} s (county), {counts['dashboard'][1]:.1f} s "
              f"(one township)")
    print("full scan = `SELECT * FROM visit`, every row fetched by the client once; from the web = the same run "
          "queued as by 运行清洗 and taken by `fieldsync-hub worker`, from the click to the job's end (second run)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

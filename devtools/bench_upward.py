"""`make bench`: a county's month reported up to a city hub (issue 17, docs/upward.md), real processes on loopback.

A county hub (SQLite) with a roster and one station that has synced ``--visits`` format-2 visits; a city hub
above it.  Measured: the wall time of `fieldsync-hub push-up` (staging and sending, a fresh process), the push
bodies' bytes per upward record and per forwarded station record (gzip over the county-signed records, each
wrapping a station's record in base64), against the station's own push of the same records; and that a second
push-up sends nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import tempfile
import time
from pathlib import Path

from devtools import synthetic
from devtools.processes import CODE, Hub, Station
from devtools.station import hub_person_keys, station_body
from shared import wire
from shared.months import month_span
from shared.records import SealedRecord

MONTHS = month_span("2026-01", "2026-12")
STATION_BATCH = 500  # the station's BATCH_SIZE default



def found(pattern: str | re.Pattern[str], text: str) -> re.Match[str]:
    """The match of ``pattern`` in a command's output (the bench stops, saying which, when it is missing)."""
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"not in the command's output: {pattern!r}\n{text}")
    return match

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=10_000, help="station records the county forwards")
    parser.add_argument("--households", type=int, default=250, help="households per village (4 villages)")
    parser.add_argument("--members", type=int, default=0, help="a generated county of this many members instead "
                        "(the issue's run: 1000000)")
    parser.add_argument("--forwarded", type=int, default=300_000, help="with --members: station records forwarded")
    parser.add_argument("--work", default="", help="with --members: the folder for the hubs' data")
    parser.add_argument("--reuse", action="store_true", help="with --members and --work: the county generated "
                        "there by an earlier run, its upward outbox emptied (a fresh city each run)")
    options = parser.parse_args()
    if options.members:
        return scale(options.members, options.forwarded, Path(options.work or tempfile.mkdtemp(
            prefix="fieldsync-bench-upward-")), options.reuse)
    work = Path(tempfile.mkdtemp(prefix="fieldsync-bench-upward-"))
    villages = synthetic.default_villages(1)[:4]
    rows = synthetic.generate_roster(2026, villages, options.households)
    region = work / "region-person.key"
    region.write_bytes(random.Random(1).randbytes(32))
    city = Hub(work / "city", env={"FIELDSYNC_HUB_LEVEL": "city"})
    county = Hub(work / "county", env={"FIELDSYNC_REGION_PERSON_KEY_FILE": str(region)})
    try:
        city.set_up()
        city.start(workers=1)
        county.set_up(rows)
        county.start(workers=1)
        station_bytes = _station_pushes(county, work, villages, rows, options.visits)
        code = found(CODE, city.cli("add-county", "融安县").stdout)[0]
        county.cli("enroll-up", "--city", city.url, "--code", code)
        start = time.perf_counter()
        done = county.cli("push-up", "--month", "2026-12").stdout
        elapsed = time.perf_counter() - start
        again = county.cli("push-up", "--month", "2026-12").stdout
    finally:
        city.stop()
        county.stop()
    sent = int(found(r"新入库 (\d+) 条", done)[1])
    pushed = int(found(r"（\d+ 批，(\d+) 字节）", done)[1])
    assert "新入库 0 条" in again, again
    print(f"\nfieldsync bench — upward: {options.visits:,} station records, {len(rows):,} persons, one county\n")
    print(f"push-up (stage + send, fresh process): {elapsed:.1f} s, {sent:,} upward records "
          f"({sent / elapsed:,.0f} /s)")
    print(f"push bodies: {pushed / sent:.0f} bytes per upward record, {pushed / options.visits:.0f} bytes per "
          f"forwarded station record (the station's own push: {station_bytes / options.visits:.0f})")
    print("second push-up: nothing staged, nothing sent")
    return 0


def _station_pushes(county: Hub, work: Path, villages: list[tuple[str, str]], rows: list[dict], count: int) -> int:
    """A station saves ``count`` format-2 visits and syncs them to the county; the bytes it pushed."""
    from field_node.outbox.records import save_records
    from field_node.store.db import database
    from field_node.sync.node import open_node

    node = Station(work / "station")
    node.cli("enroll", "--hub", county.url, "--code", county.add_node("基准站", ["/".join(v) for v in villages]))
    node.cli("sync")
    opened, rnd, key_of = open_node(node.data_dir), random.Random(3), hub_person_keys(county.data_dir)
    families: dict[str, list[dict]] = {}
    for row in rows:
        families.setdefault(row["household_id"], []).append(row)
    groups = list(families.values())
    entries = [("visit", station_body(synthetic.visit_body(rnd, groups[i % len(groups)],
                                                           MONTHS[i // len(groups) % 12], "网格员"), key_of))
               for i in range(count)]
    with database.connection_context():
        saved, problems = save_records(opened.key(), opened.node_id, entries)
    assert len(saved) == count and not problems, problems[:3]
    node.cli("sync")
    with sqlite3.connect(node.data_dir / "node.db") as conn:
        records = [SealedRecord(seq, bytes(prev), bytes(content), bytes(signature)) for seq, prev, content, signature
                   in conn.execute("SELECT seq, prev, content, signature FROM record ORDER BY seq")]
    return sum(len(wire.encode_batch(records[i:i + STATION_BATCH], len(records)))
               for i in range(0, len(records), STATION_BATCH))  # the station's push bodies, as it sends them


SCALE_MONTH = "2026-10"  # the generated county's last month (devtools/bench_cleaning.py)


def scale(members: int, forwarded: int, work: Path, reuse: bool = False) -> int:
    """The 1,000,000-member county's month pushed up to a city hub (the module's docstring)."""
    import shutil
    import subprocess

    from devtools.processes import BIN

    region = work / "region-person.key"
    work.mkdir(parents=True, exist_ok=True)
    region.write_bytes(random.Random(1).randbytes(32))
    county = Hub(work / "county", env={"FIELDSYNC_REGION_PERSON_KEY_FILE": str(region)})
    if reuse:
        county.cli("migrate")
        with sqlite3.connect(county.data_dir / "hub.db") as conn:
            conn.execute("DELETE FROM upward_record")
            conn.execute("DELETE FROM upward_push")
    else:
        started = time.perf_counter()
        _generate_county(county.data_dir, members, forwarded)
        print(f"  generated in {time.perf_counter() - started:.0f} s")
    shutil.rmtree(work / "city", ignore_errors=True)
    city = Hub(work / "city", env={"FIELDSYNC_HUB_LEVEL": "city"})
    try:
        city.set_up()
        city.start(workers=1)
        code = found(CODE, city.cli("add-county", "融安县").stdout)[0]
        county.cli("enroll-up", "--city", city.url, "--code", code)
        start = time.perf_counter()
        output = work / "push-up.out"
        with output.open("w") as out:
            pushing = subprocess.Popen([str(BIN / "fieldsync-hub"), "--data-dir", str(county.data_dir), "push-up",
                                        "--month", SCALE_MONTH], stdout=out, stderr=subprocess.STDOUT,
                                       env={**os.environ, **county.env})
            _, status, usage = os.wait4(pushing.pid, 0)  # this process's own peak, not the other children's
        elapsed = time.perf_counter() - start
        pushing.returncode = os.waitstatus_to_exitcode(status)
        peak_mb = usage.ru_maxrss / 1024
        done = subprocess.CompletedProcess(pushing.args, pushing.returncode, output.read_text(), "")
        assert done.returncode == 0, done.stdout
    finally:
        city.stop()
    print(done.stdout)
    sent = int(found(r"新入库 (\d+) 条", done.stdout)[1])
    pushed = int(found(r"（\d+ 批，(\d+) 字节）", done.stdout)[1])
    print(f"\nfieldsync bench — upward at scale: a {members:,}-member county's month, {forwarded:,} forwarded "
          f"station records, {members:,} persons\n")
    print(f"push-up (stage + send, fresh process): {elapsed:.1f} s, {sent:,} upward records "
          f"({forwarded / elapsed:,.0f} forwarded records/s)")
    print(f"push bodies: {pushed:,} bytes, {pushed / sent:.0f} bytes per upward record, {pushed / forwarded:.0f} "
          f"bytes per forwarded station record (persons included)")
    print(f"peak memory of the county's push-up process: {peak_mb:,.0f} MB")
    return 0


def _generate_county(folder: Path, members: int, forwarded: int) -> None:
    """The cleaning bench's county, and one station with a key that signed ``forwarded`` format-3 visits of the
    month, written straight into the county's record table."""
    from devtools.bench_cleaning import executemany, generate
    from hub.store import db
    from hub.web.app import create_app

    app = create_app({"DATA_DIR": str(folder), "DATABASE_URL": ""}, check_schema=False)
    with app.app_context(), db.database.connection_context():
        db.migrate()
        generate(members, 20)
        _signed_station(forwarded, executemany)


def _signed_station(count: int, executemany) -> None:
    from hub.store import db
    from hub.store.models import Node, NodeVillage, Record, Village
    from shared import keys
    from shared.records import FORMAT_VERSION, GENESIS_PREV, seal

    station_key = keys.generate()
    with db.write_transaction():
        node = Node.create(name="上报基准站", public_key=keys.public_bytes(station_key), created_at="2026-01-01",
                           enrolled_at="2026-01-01")
        for village in Village.select().limit(20):
            NodeVillage.create(node=node, village=village)
    first_id = (Record.select(Record.id).order_by(Record.id.desc()).scalar() or 0) + 1
    villages = synthetic.default_villages(1)[:4]
    families: dict[str, list[dict]] = {}
    for row in synthetic.generate_roster(2026, villages, 250):
        families.setdefault(row["household_id"], []).append(row)
    groups, rnd, prev = list(families.values()), random.Random(3), GENESIS_PREV
    p = db.database.param
    for start in range(0, count, 10_000):
        rows = []
        for seq in range(start + 1, min(count, start + 10_000) + 1):
            body = station_body(synthetic.visit_body(rnd, groups[seq % len(groups)], SCALE_MONTH, "网格员"))
            record = seal(station_key, node.id, seq, prev, "visit", body, "2026-10-10T08:00:00Z", FORMAT_VERSION)
            rows.append((first_id + seq - 1, node.id, seq, "visit", "accepted", record.hash, prev, record.content,
                         record.signature, None, "2026-10-11 00:00:00"))
            prev = record.hash
        with db.write_transaction():
            executemany(f"INSERT INTO record (id, node_id, seq, kind, status, hash, prev, content, signature, "
                        f"household_id, received_at) VALUES ({', '.join([p] * 11)})", rows)
        print(f"\r  signed {start + len(rows):,} station records", end="", flush=True)
    print()
    with db.write_transaction():
        Node.update(hwm=count, head=count).where(Node.id == node.id).execute()


if __name__ == "__main__":
    raise SystemExit(main())

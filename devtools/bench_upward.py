"""`make bench`: a county's month reported up to a city hub (issue 17, docs/upward.md), real processes on loopback.

A county hub (SQLite) with a roster and one station that has synced ``--visits`` format-2 visits; a city hub
above it.  Measured: the wall time of `fieldsync-hub push-up` (staging and sending, a fresh process), the push
bodies' bytes per upward record and per forwarded station record (gzip over the county-signed records, each
wrapping a station's record in base64), against the station's own push of the same records; and that a second
push-up sends nothing.
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=10_000, help="station records the county forwards")
    parser.add_argument("--households", type=int, default=250, help="households per village (4 villages)")
    options = parser.parse_args()
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
        code = CODE.search(city.cli("add-county", "融安县").stdout)[0]
        county.cli("enroll-up", "--city", city.url, "--code", code)
        start = time.perf_counter()
        done = county.cli("push-up", "--month", "2026-12").stdout
        elapsed = time.perf_counter() - start
        again = county.cli("push-up", "--month", "2026-12").stdout
    finally:
        city.stop()
        county.stop()
    sent = int(re.search(r"新入库 (\d+) 条", done)[1])
    pushed = int(re.search(r"（\d+ 批，(\d+) 字节）", done)[1])
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


if __name__ == "__main__":
    raise SystemExit(main())

"""`make bench`: 200 stations syncing at once while county users browse (issue 7).

The hub runs under gunicorn on PostgreSQL.  Each simulated station is a real protocol client over HTTP: it enrols
with its one-time code (proof of key possession), then pushes its signed visits in batches; all records are signed
before the clock starts, so the figures are the hub's.  Meanwhile signed-in county users load pages.  Reports
records per second, p50/p99 latency of pushes and of page views, errors, and that every record is held exactly once.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psycopg2
import requests

from devtools import synthetic
from devtools.processes import Hub
from devtools.scratch import postgres_schema
from shared import keys, wire
from shared.protocol import ENROLL_PATH, PUSH_PATH
from shared.records import GENESIS_PREV, seal

VILLAGES = synthetic.default_villages(20)  # 240 villages in 12 townships
ROWS = synthetic.generate_roster(61, VILLAGES, 3)
PAGES = ("/", "/cleaning/anomalies", "/postings/", "/verify/spot-checks")


class SimStation:
    def __init__(self, url: str, code: str, households: list[list[dict]], records: int, batch: int, seed: int):
        self.url, self.code, self.batch = url, code, batch
        self.key = keys.generate()
        self.counter = 0
        self.households = households
        self.records_wanted = records
        self.rnd = random.Random(seed)
        self.session = requests.Session()
        self.session.headers[wire.PROTOCOL_HEADER] = str(wire.PROTOCOL_VERSION)

    def enrol(self) -> None:
        public = keys.public_bytes(self.key)
        proof = keys.b64encode(self.key.sign(wire.enrol_message(self.code, public)))
        reply = self.session.post(self.url + ENROLL_PATH, json={"code": self.code, "public_key": keys.b64encode(public),
                                                                "proof": proof}, timeout=60)
        reply.raise_for_status()
        self.node_id = reply.json()["node_id"]
        prev, self.records = GENESIS_PREV, []
        for seq in range(1, self.records_wanted + 1):
            body = synthetic.visit_body(self.rnd, self.households[seq % len(self.households)], "2026-10", "网格员")
            record = seal(self.key, self.node_id, seq, prev, "visit", body, "2026-10-15T08:00:00Z")
            self.records.append(record)
            prev = record.hash

    def push_all(self, latencies: list[float], errors: list[str]) -> None:
        for start in range(0, len(self.records), self.batch):
            part = self.records[start:start + self.batch]
            body = wire.encode_batch(part, len(self.records))
            self.counter += 1
            headers = {"Authorization": wire.authorization_header(self.key, "POST", PUSH_PATH, self.node_id,
                                                                  self.counter, body),
                       "Content-Type": wire.BATCH_CONTENT_TYPE}
            started = time.perf_counter()
            try:
                reply = self.session.post(self.url + PUSH_PATH, data=body, headers=headers, timeout=120)
                latencies.append(time.perf_counter() - started)
                if reply.status_code != 200 or reply.json()["rejected"]:
                    errors.append(f"push {reply.status_code}")
            except requests.RequestException as exc:
                errors.append(type(exc).__name__)


def browse(url: str, password: str, stop: threading.Event, latencies: list[float], errors: list[str]) -> None:
    try:
        _browse(url, password, stop, latencies, errors)
    except Exception as exc:  # a failing browser is a reported error, not a silent thread
        errors.append(f"browser: {exc!r}")


def _browse(url: str, password: str, stop: threading.Event, latencies: list[float], errors: list[str]) -> None:
    session = requests.Session()
    page = session.get(url + "/login").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "the sign-in page has no CSRF token"
    token = found[1]
    session.post(url + "/login", data={"username": "clerk", "password": password, "csrf_token": token})
    rnd = random.Random(3)
    while True:  # at least one view each, however short the sync
        started = time.perf_counter()
        reply = session.get(url + rnd.choice(PAGES), timeout=60)
        latencies.append(time.perf_counter() - started)
        if reply.status_code != 200:
            errors.append(f"page {reply.status_code}")
        if stop.is_set():
            return


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--records", type=int, default=200, help="records per station")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--browsers", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch, postgres_schema(args.database_url, "load") as url:
        # 200 stations enrol from one address here; in a county each has its own, under the default limit.
        hub = Hub(Path(scratch) / "hub", url, env={"FIELDSYNC_ENROLL_RATE_LIMIT": "1000/hour"})
        hub.set_up(ROWS)
        hub.cli("add-user", "clerk", "--name", "县级", "--role", "staff", "--password", "load-test-pass")
        by_village: dict[tuple[str, str], list[list[dict]]] = {}
        families: dict[str, list[dict]] = {}
        for row in ROWS:
            families.setdefault(row["household_id"], []).append(row)
        for members in families.values():
            by_village.setdefault((members[0]["township"], members[0]["village"]), []).append(members)
        hub.start(workers=args.workers)
        try:
            stations = []
            for index in range(args.stations):
                village = VILLAGES[index % len(VILLAGES)]
                code = hub.add_node(f"站{index:03d}", ["/".join(village)])
                stations.append(SimStation(hub.url, code, by_village[village], args.records, args.batch, index))
            for station in stations:
                station.enrol()
            print(f"{args.stations} stations enrolled, {args.stations * args.records:,} records signed")
            push_times: list[float] = []
            page_times: list[float] = []
            errors: list[str] = []
            stop = threading.Event()
            browsers = [threading.Thread(target=browse, args=(hub.url, "load-test-pass", stop, page_times, errors))
                        for _ in range(args.browsers)]
            for thread in browsers:
                thread.start()
            started = time.perf_counter()
            pushers = [threading.Thread(target=s.push_all, args=(push_times, errors)) for s in stations]
            for thread in pushers:
                thread.start()
            for thread in pushers:
                thread.join()
            elapsed = time.perf_counter() - started
            stop.set()
            for thread in browsers:
                thread.join()
            with psycopg2.connect(url) as conn, conn.cursor() as cursor:
                cursor.execute("SELECT COUNT(*), COUNT(DISTINCT (node_id, seq)) FROM record WHERE status = 'accepted'")
                counted = cursor.fetchone()
                assert counted is not None
                held, distinct = counted
        finally:
            hub.kill()
    sent = args.stations * args.records
    print(f"{args.stations} stations syncing at once, {args.workers} gunicorn workers, PostgreSQL:")
    print(f"  {sent:,} records in {elapsed:.1f} s = {sent / elapsed:,.0f} records/s; held {held:,} "
          f"(distinct {distinct:,}), lost {sent - distinct}, errors {len(errors)}")
    p50, p99 = percentile(push_times, 0.5), percentile(push_times, 0.99)
    print(f"  push of {args.batch}: p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    if page_times:
        print(f"  county pages while syncing ({len(page_times)} views): p50 {percentile(page_times, 0.5):.0f} ms, "
              f"p99 {percentile(page_times, 0.99):.0f} ms, median {statistics.median(page_times) * 1000:.0f} ms")
    ok = not errors and held == distinct == sent
    print("  ok" if ok else f"  FAILED: {errors[:5]}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""`make bench`: the spine's figures, measured in one run on this machine.

1. the raw Ed25519 verify rate of one core, with the library the hub uses;
2. the hub's ingest rate over HTTP (one gunicorn worker, batches of 500) and its ratio to (1);
3. bytes on the wire per record (bodies and HTTP headers, both directions);
4. the field node's peak RSS while `fieldsync-node sync` pushes 10,000 records.

Each figure is compared with its target; the exit status is non-zero when one is missed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

from devtools import synthetic
from devtools.processes import BIN, Hub, Station
from devtools.station import hub_person_keys, station_body
from shared import wire
from shared.months import month_span
from shared.protocol import PUSH_PATH, STATE_PATH
from shared.records import GENESIS_PREV, SealedRecord, seal, signature_valid

TARGET_RATIO, TARGET_BYTES, TARGET_RSS_MB = 0.50, 120, 80
MONTH_SPAN = month_span("2026-01", "2026-12")


def households(rows: list[dict], villages: list[tuple[str, str]]) -> list[list[dict]]:
    wanted = set(villages)
    found: dict[str, list[dict]] = {}
    for row in rows:
        if (row["township"], row["village"]) in wanted:
            found.setdefault(row["household_id"], []).append(row)
    return list(found.values())


def sign_visits(key, node_id: int, families: list[list[dict]], count: int, seed: int = 1) -> list[SealedRecord]:
    rnd = random.Random(seed)
    prev, sealed = GENESIS_PREV, []
    for seq in range(1, count + 1):
        family = families[seq % len(families)]
        body = synthetic.visit_body(rnd, family, MONTH_SPAN[(seq // len(families)) % 12], f"网格员{seq % 7}")
        record = seal(key, node_id, seq, prev, "visit", body, "2026-10-15T08:00:00Z")
        sealed.append(record)
        prev = record.hash
    return sealed


def verify_rate(key, records: list[SealedRecord], rounds: int = 3) -> float:
    public = key.public_key()
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for record in records:
            assert signature_valid(public, record.prev, record.content, record.signature)
        rates.append(len(records) / (time.perf_counter() - start))
    return statistics.median(rates)


def header_bytes(headers: dict[str, str], first_line: str) -> int:
    return len(first_line) + 2 + sum(len(k) + len(v) + 4 for k, v in headers.items()) + 2


class Pusher:
    """Signed pushes from the benchmark process, counting every byte both ways."""

    def __init__(self, url: str, key, node_id: int, counter: int):
        self.url, self.key, self.node_id, self.counter = url, key, node_id, counter
        self.session = requests.Session()
        self.wire_bytes = 0

    def request(self, method: str, path: str, body: bytes = b"") -> dict:
        self.counter += 1
        headers = {"Authorization": wire.authorization_header(self.key, method, path, self.node_id, self.counter,
                                                              body),
                   "Content-Type": wire.BATCH_CONTENT_TYPE, wire.PROTOCOL_HEADER: str(wire.PROTOCOL_VERSION)}
        response = self.session.request(method, self.url + path, data=body or None, headers=headers, timeout=120)
        response.raise_for_status()
        sent = response.request
        self.wire_bytes += header_bytes(dict(sent.headers), f"{method} {path} HTTP/1.1") + len(body)
        self.wire_bytes += header_bytes(dict(response.headers), f"HTTP/1.1 {response.status_code} OK")
        self.wire_bytes += len(response.content)
        return response.json()


def peak_rss_mb(process: psutil.Popen, stop: threading.Event) -> list[float]:
    peaks = [0.0]

    def sample() -> None:
        while not stop.is_set():
            try:
                members = [process, *process.children(recursive=True)]
                peaks[0] = max(peaks[0], sum(p.memory_info().rss for p in members) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.02)

    threading.Thread(target=sample, daemon=True).start()
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records pushed for the ingest rate")
    parser.add_argument("--batch", type=int, default=500, help="records per push")
    parser.add_argument("--node-records", type=int, default=10_000, help="records the node syncs for its RSS")
    parser.add_argument("--database-url", default="", help="postgresql://… to bench the hub on PostgreSQL")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fieldsync-bench-"))
    villages = synthetic.default_villages(1)[:4]
    rows = synthetic.generate_roster(2026, villages, 250)
    roster = work / "roster.csv"
    synthetic.write_roster_csv(rows, roster)

    hub = Hub(work / "hub", options.database_url)
    hub.cli("init", "--county", synthetic.COUNTY, *[a for t in synthetic.RONGAN_TOWNSHIPS for a in ("--township", t)])
    hub.cli("import-roster", str(roster))
    hub.start(workers=1)
    results: list[tuple[str, str, str, bool | None]] = []
    try:
        bench_station = Station(work / "bench-node")
        bench_station.cli("enroll", "--hub", hub.url, "--code", hub.add_node("基准站", ["/".join(villages[0]),
                                                                                     "/".join(villages[1])]))
        from field_node.sync.node import open_node

        opened = open_node(bench_station.data_dir)
        key, node_id = opened.key(), opened.node_id
        families = households(rows, villages[:2])
        t0 = time.perf_counter()
        records = sign_visits(key, node_id, families, options.records)
        signing = time.perf_counter() - t0
        verify = verify_rate(key, records[:5000])
        results.append(("raw Ed25519 verify, one core (cryptography)", f"{verify:,.0f} /s", "—", None))

        pusher = Pusher(hub.url, key, node_id, counter=1_000_000)
        batches = [wire.encode_batch(records[i:i + options.batch], len(records))
                   for i in range(0, len(records), options.batch)]
        start = time.perf_counter()
        for body in batches:
            reply = pusher.request("POST", PUSH_PATH, body)
            assert not reply["rejected"], reply["rejected"][:3]
        elapsed = time.perf_counter() - start
        state = pusher.request("GET", STATE_PATH)
        assert state["held"] == state["hwm"] == len(records), state
        ingest = len(records) / elapsed
        push_bytes = pusher.wire_bytes
        ratio = ingest / verify
        results.append((f"hub ingest over HTTP (1 worker, batches of {options.batch})", f"{ingest:,.0f} /s",
                        f"≥ {TARGET_RATIO:.0%} of verify", ratio >= TARGET_RATIO))
        results.append(("  ratio to the verify rate", f"{ratio:.0%}", "", None))
        per_record = push_bytes / len(records)
        results.append(("bytes on the wire per record (bodies + headers)", f"{per_record:.1f}", f"≤ {TARGET_BYTES}",
                        per_record <= TARGET_BYTES))

        node_station = Station(work / "rss-node")
        node_station.cli("enroll", "--hub", hub.url, "--code", hub.add_node("内存站", ["/".join(villages[2]),
                                                                                    "/".join(villages[3])]))
        node_station.cli("sync")
        rss_node = open_node(node_station.data_dir)
        from field_node.outbox.records import save_records
        from field_node.store.db import database

        rnd = random.Random(9)
        person_key = hub_person_keys(hub.data_dir)
        entries = [("visit", station_body(synthetic.visit_body(rnd, family, MONTH_SPAN[i % 12], "网格员"), person_key))
                   for i, family in enumerate(households(rows, villages[2:4]) * 60)][:options.node_records]
        with database.connection_context():
            saved, problems = save_records(rss_node.key(), rss_node.node_id, entries)
        assert len(saved) == options.node_records and not problems
        stop = threading.Event()
        start = time.perf_counter()
        process = psutil.Popen([str(BIN / "fieldsync-node"), "--data-dir", str(node_station.data_dir), "sync"],
                               stdout=subprocess.DEVNULL)
        peaks = peak_rss_mb(process, stop)
        process.wait(timeout=600)
        stop.set()
        node_sync = time.perf_counter() - start
        status = node_station.cli("status").stdout
        assert f"已发送 {options.node_records} 条" in status, status
        results.append((f"node peak RSS syncing {options.node_records:,} records", f"{peaks[0]:.1f} MB",
                        f"< {TARGET_RSS_MB} MB", peaks[0] < TARGET_RSS_MB))
        results.append((f"  node sync of {options.node_records:,} records took", f"{node_sync:.1f} s", "", None))
        results.append((f"  signing {options.records:,} records took", f"{signing:.1f} s", "", None))
    finally:
        hub.stop()

    backend = "PostgreSQL" if options.database_url else "SQLite"
    print(f"\nfieldsync bench — hub on {backend}, {psutil.cpu_count()} cores\n")
    print(f"{'figure':<52} {'measured':>14}  {'target':<18} result")
    for name, value, target, ok in results:
        verdict = "" if ok is None else ("ok" if ok else "MISSED")
        print(f"{name:<52} {value:>14}  {target:<18} {verdict}")
    return 0 if all(ok is not False for *_, ok in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

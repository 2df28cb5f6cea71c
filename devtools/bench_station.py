"""`make bench`: the station app with a full village station's data, served as the Pi serves it.

A station with 2,000 households and 24,000 signed visits (twelve months), served by `fieldsync-node serve`
(one process); a signed-in grid member's requests for every page, over HTTP on loopback.  Reports each
page's median and slowest time and the server's peak RSS, against the targets (every page < 150 ms,
RSS < 80 MB).  The exit status is non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

from devtools import station, synthetic
from devtools.processes import Station, free_port, stop_group
from field_node import visits
from field_node.store import now_text

TARGET_MS, TARGET_RSS_MB = 150.0, 80.0
JOB_ID = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"


def seeded(folder: Path, households: int, months: int) -> tuple[Path, list[dict]]:
    villages = synthetic.default_villages(1)[: max(1, households // 250)]
    per_village = households // len(villages)
    recent = visits.months_back(visits.previous_month(now_text()[:7]), months)
    started = time.perf_counter()
    opened, rows = station.seed_station(folder / "station", villages, per_village, recent)
    add_postings(opened, 40)
    print(f"seeded {len({r['household_id'] for r in rows}):,} households, "
          f"{len({r['household_id'] for r in rows}) * months:,} signed visits in {time.perf_counter() - started:.0f} s")
    return opened.data_dir, rows


def add_postings(opened, count: int) -> None:  # noqa: ANN001 - a field_node Node
    """The station's own gig postings, signed like any record: the board and its QR codes have work to do."""
    from field_node.db import database
    from field_node.store import save_records

    bodies = [("posting", {"posting_id": JOB_ID if index == 0 else f"{index:08x}abcdef0123456789abcdef01",
                           "kind": "gig", "employer": f"东岭村合作社{index}", "title": "砂糖橘采摘",
                           "place": "东岭村果园", "pay": 130, "pay_unit": "day", "headcount": 5,
                           "contact_name": "韦队长", "contact_phone": "13877001234", "valid_until": "2099-12-31"})
              for index in range(count)]
    with database.connection_context():
        saved, problems = save_records(opened.key(), 1, bodies)
        assert not problems, problems[0].details


def signed_in(url: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    reply = session.post(f"{url}/login", data={"csrf_token": token, "username": "wang",
                                                "password": station.PASSWORD}, allow_redirects=False)
    assert reply.status_code == 302, reply.status_code
    return session


class PeakRss(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)


def pages(rows: list[dict]) -> dict[str, str]:
    number = rows[len(rows) // 2]["household_id"]
    return {
        "coverage (本月)": "/",
        "coverage, not yet visited": "/?show=not_yet",
        "coverage, page 20": "/?page=20",
        "search by pinyin initials": "/?q=zl",
        "household": f"/h/{number}",
        "visit form": f"/h/{number}/visit",
        "sync": "/sync",
        "job board (public)": "/jobs",
        "job posting QR code": f"/j/{JOB_ID}/qr.svg",
        "job posting page (public)": f"/j/{JOB_ID}",
    }


def measure(session: requests.Session, url: str, path: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        reply = session.get(url + path)
        times.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200, (path, reply.status_code)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    missed = False
    with tempfile.TemporaryDirectory() as scratch:
        data_dir, rows = seeded(Path(scratch), args.households, args.months)
        port = free_port()
        server = Station(data_dir).serve(port)
        watcher = PeakRss(server.pid)
        watcher.start()
        try:
            url = f"http://127.0.0.1:{port}"
            session = signed_in(url)
            print(f"\n{'page':34} {'median ms':>10} {'slowest ms':>11}   target < {TARGET_MS:.0f} ms")
            for label, path in pages(rows).items():
                measure(session, url, path, 2)  # warm up
                times = measure(session, url, path, args.rounds)
                slowest = max(times)
                missed |= slowest >= TARGET_MS
                print(f"{label:34} {statistics.median(times):10.1f} {slowest:11.1f}   "
                      f"{'ok' if slowest < TARGET_MS else 'MISSED'}")
        finally:
            watcher.running = False
            watcher.join()
            stop_group(server)
    peak = watcher.peak / 2**20
    missed |= peak >= TARGET_RSS_MB
    print(f"station app peak RSS: {peak:.1f} MB (target < {TARGET_RSS_MB:.0f} MB) "
          f"{'ok' if peak < TARGET_RSS_MB else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())

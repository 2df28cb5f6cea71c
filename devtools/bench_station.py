"""`make bench`: the station app with a full village station's data, served as the Pi serves it.

A station with 2,000 households and 24,000 signed visits (twelve months), enrolled with a real hub process on
loopback and served by `fieldsync-node serve` (one process); a signed-in grid member's requests for every page,
over HTTP on loopback.  Measured in three phases, against the targets of issue 18:

1. on this machine's full cores (as before);
2. with ONLY the server process held to a quarter of one core — a cgroup CPU quota of 25,000 µs per 100,000 µs
   (cgroup v1 ``cpu.cfs_quota_us``, or v2 ``cpu.max``; the measuring client is not throttled) — a Pi-class core:
   every page's slowest time < 150 ms;
3. the same quota while `fieldsync-node sync` pushes 10,000 records to the hub (twice, ``--sync-passes``):
   every page < 300 ms.

Each page also shows the server's CPU time per request (from /proc, not wall time: the figure that holds on a
shared, loaded machine).  Then the server's peak RSS, as installed here and — the target, < 60 MB — with only the
station's packages (a second server that cannot import the hub's), and the bytes written to the card: per visit saved
through the form (the server's ``write_bytes`` from /proc/<pid>/io, plus its share of the WAL checkpoint that puts
those pages into node.db) and per sync of 500 records (the sync process's own written blocks, from its rusage).
The exit status is non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

from devtools import station, synthetic
from devtools.processes import BIN, Hub, Station, free_port, stop_group, wait_for
from field_node.store.state import now_text
from shared.months import months_back, previous_month

TARGET_MS, TARGET_SYNC_MS, TARGET_RSS_MB = 150.0, 300.0, 60.0
QUOTA_US, PERIOD_US = 25_000, 100_000
JOB_ID = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"
HUB_VILLAGES_PER_TOWNSHIP = 1
# Installed for the hub, never used by the station: a station installed with only its own dependencies
# lacks them.  psycopg2 is the one the station app loads anyway (peewee imports it when it is there).
NOT_NODE_PACKAGES = ("psycopg2", "gunicorn", "flask_smorest", "apispec", "openpyxl", "prometheus_client",
                     "python_calamine", "olefile", "PIL", "lxml", "flask_compress", "flask_limiter", "limits",
                     "brotli", "backports.zstd", "zstandard")  # fieldsync[node] installs none of them
NODE_ONLY_LAUNCHER = ("import sys\nfor name in {names!r}:\n    sys.modules[name] = None\n"
                      "from field_node.cli import main\nmain(prog_name='fieldsync-node')")


@dataclass
class Seeded:
    data_dir: Path
    rows: list[dict]
    hub: Hub | None
    key_of: Callable[[str], str]  # the person keys the station's roster holds


def seeded(folder: Path, households: int, months: int, with_hub: bool) -> Seeded:
    """The station's data: with a hub process it is enrolled there and its roster pulled over HTTP first."""
    villages = synthetic.default_villages(HUB_VILLAGES_PER_TOWNSHIP)[: max(1, households // 250)]
    per_village = households // len(villages)
    recent = months_back(previous_month(now_text()[:7]), months)
    started = time.perf_counter()
    hub = enrolled_station(folder, villages, per_village) if with_hub else None
    key_of = station.hub_person_keys(hub.data_dir) if hub else station.person_key
    opened, rows = station.seed_station(folder / "station", villages, per_village, recent, with_roster=not hub,
                                        key_of=key_of)
    add_postings(opened, 40, villages[0][0])
    print(f"seeded {len({r['household_id'] for r in rows}):,} households, "
          f"{len({r['household_id'] for r in rows}) * months:,} signed visits in {time.perf_counter() - started:.0f} s")
    return Seeded(opened.data_dir, rows, hub, key_of)


def enrolled_station(folder: Path, villages: list[tuple[str, str]], per_village: int) -> Hub:
    """A hub (SQLite, one worker) holding the same synthetic roster; the station enrolled and its roster pulled."""
    rows = synthetic.generate_roster(station.SEED, villages, per_village)
    roster = folder / "roster.csv"
    synthetic.write_roster_csv(rows, roster)
    hub = Hub(folder / "hub")
    hub.cli("init", "--county", synthetic.COUNTY,
            *[arg for township in synthetic.RONGAN_TOWNSHIPS for arg in ("--township", township)])
    hub.cli("import-roster", str(roster))
    hub.start(workers=1)
    node = Station(folder / "station")
    node.cli("enroll", "--hub", hub.url, "--code", hub.add_node("基准站", ["/".join(v) for v in villages]))
    node.cli("sync")
    return hub


def add_postings(opened, count: int, township: str) -> None:  # a field_node Node
    """The station's own gig postings, signed like any record: the board and its QR codes have work to do.
    They name the station's township: the hub refuses a station's posting for anywhere else."""
    from field_node.outbox.records import save_records
    from field_node.store.db import database

    bodies = [("posting", {"posting_id": JOB_ID if index == 0 else f"{index:08x}abcdef0123456789abcdef01",
                           "kind": "gig", "township": township, "employer": f"东岭村合作社{index}",
                           "title": "砂糖橘采摘",
                           "place": "东岭村果园", "pay": 130, "pay_unit": "day", "headcount": 5,
                           "contact_name": "韦队长", "contact_phone": "13877001234", "valid_until": "2099-12-31"})
              for index in range(count)]
    with database.connection_context():
        saved, problems = save_records(opened.key(), opened.node_id, bodies)
        assert not problems, problems[0].details


def sign_visits(data_dir: Path, rows: list[dict], months: list[str], limit: int,
                key_of: Callable[[str], str]) -> int:
    """``limit`` more signed visits (for ``months``, oldest households first), saved as the form saves them."""
    from field_node.outbox import records
    from field_node.store.db import database
    from field_node.sync import node as node_module

    opened = node_module.open_node(data_dir)
    families: dict[str, list[dict]] = {}
    for row in rows:
        families.setdefault(row["household_id"], []).append(row)
    import random

    rnd = random.Random(len(months) * 7 + limit)
    bodies = [("visit", station.station_body({**synthetic.visit_body(rnd, members, month, "王网格"),
                                              "author": "wang"}, key_of))
              for month in months for members in families.values()][:limit]
    with database.connection_context():
        for start in range(0, len(bodies), 2000):
            saved, problems = records.save_records(opened.key(), opened.node_id, bodies[start:start + 2000])
            assert not problems, problems[0].details
    return len(bodies)


def signed_in(url: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/login").text
    reply = session.post(f"{url}/login", data={"csrf_token": csrf_token(page), "username": "wang",
                                                "password": station.PASSWORD}, allow_redirects=False)
    assert reply.status_code == 302, reply.status_code
    session.csrf_token = csrf_token(session.get(url).text)  # type: ignore[attr-defined]
    return session


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "the page has no CSRF token"
    return found[1]


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
        "coverage, last month": f"/?month={previous_month(now_text()[:7])}",
        "search by pinyin initials": "POST /?q=zl",  # a search is POSTed: names stay out of URLs
        "household": f"/h/{number}",
        "visit form": f"/h/{number}/visit",
        "sync": "/sync",
        "job board (public)": "/jobs",
        "job posting QR code": f"/j/{JOB_ID}/qr.svg",
        "job posting page (public)": f"/j/{JOB_ID}",
    }


def fetch(session: requests.Session, base: str, path: str) -> float:
    """One request for a page: a GET, or ``POST <path>?<form>`` for a form the station takes by POST (with the
    session's CSRF token)."""
    url = base + path
    started = time.perf_counter()
    if path.startswith("POST "):
        address, _, form = path.removeprefix("POST ").partition("?")
        data = dict(urllib.parse.parse_qsl(form), csrf_token=session.csrf_token)  # type: ignore[attr-defined]
        reply = session.post(base + address, data=data)
    else:
        reply = session.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert reply.status_code == 200, (url, reply.status_code)
    return elapsed


def server_cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


@dataclass
class PageFigures:
    median: float
    slowest: float
    cpu_ms: float
    count: int


def measure_pages(session: requests.Session, base: str, paths: dict[str, str], rounds: int,
                  server: psutil.Process) -> dict[str, PageFigures]:
    found = {}
    for label, path in paths.items():
        for _ in range(2):  # warm up
            fetch(session, base, path)
        cpu = server_cpu_seconds(server)
        times = [fetch(session, base, path) for _ in range(rounds)]
        cpu_ms = (server_cpu_seconds(server) - cpu) * 1000 / rounds
        found[label] = PageFigures(statistics.median(times), max(times), cpu_ms, rounds)
    return found


def measure_while(running: subprocess.Popen, session: requests.Session, base: str, paths: dict[str, str],
                  server: psutil.Process) -> dict[str, PageFigures]:
    """Every page in turn, again and again, for as long as ``running`` runs (the server's CPU is then shared)."""
    times: dict[str, list[float]] = {label: [] for label in paths}
    while running.poll() is None:
        for label, path in paths.items():
            times[label].append(fetch(session, base, path))
    return {label: PageFigures(statistics.median(found), max(found), float("nan"), len(found))
            for label, found in times.items() if found}


def print_pages(title: str, figures: dict[str, PageFigures], target: float) -> bool:
    print(f"\n{title}")
    print(f"{'page':34} {'median ms':>10} {'slowest ms':>11} {'server CPU ms':>14} {'n':>4}   target < {target:.0f} ms")
    missed = False
    for label, found in figures.items():
        missed |= found.slowest >= target
        cpu = "" if found.cpu_ms != found.cpu_ms else f"{found.cpu_ms:.1f}"
        print(f"{label:34} {found.median:10.1f} {found.slowest:11.1f} {cpu:>14} {found.count:4}   "
              f"{'ok' if found.slowest < target else 'MISSED'}")
    return missed


# --- the CPU quota -------------------------------------------------------------------------------------------

def _mounts() -> list[tuple[str, str, list[str]]]:
    found = []
    for line in Path("/proc/mounts").read_text().splitlines():
        _, point, kind, options, *_ = line.split()
        found.append((point, kind, options.split(",")))
    return found


def _own_group(controller: str | None) -> str:
    """This process's cgroup path in the hierarchy of ``controller`` (None: the v2 unified hierarchy)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if (controller is None and controllers == "") or (controller and controller in controllers.split(",")):
            return path.lstrip("/")
    raise OSError(f"no {controller or 'unified'} cgroup for this process")


def _quota_group_v1(name: str) -> Path | None:
    for point, kind, options in _mounts():
        if kind == "cgroup" and "cpu" in options:
            group = Path(point) / _own_group("cpu") / name
            group.mkdir()
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(QUOTA_US))
            return group
    return None


def _quota_group_v2(name: str) -> Path | None:
    for point, kind, _ in _mounts():
        if kind == "cgroup2" and "cpu" in (Path(point) / "cgroup.controllers").read_text().split():
            parent = Path(point) / _own_group(None)
            if "cpu" not in (parent / "cgroup.subtree_control").read_text().split():
                (parent / "cgroup.subtree_control").write_text("+cpu")
            group = parent / name
            group.mkdir()
            (group / "cpu.max").write_text(f"{QUOTA_US} {PERIOD_US}")
            return group
    return None


@contextmanager
def cpu_quota(pid: int) -> Iterator[Path | str]:
    """Hold process ``pid`` (all its threads) to QUOTA_US per PERIOD_US; yields the cgroup, or why it could not."""
    name = f"fieldsync-bench-{os.getpid()}"
    group: Path | None = None
    try:
        group = _quota_group_v1(name) or _quota_group_v2(name)
        if group is None:
            yield "neither a cgroup v1 hierarchy with the cpu controller nor cgroup v2 with cpu is mounted"
            return
        (group / "cgroup.procs").write_text(str(pid))
    except OSError as error:
        if group is not None:
            group.rmdir()
        yield f"could not set a CPU quota ({error.strerror or error}; needs root and a writable cgroup mount)"
        return
    try:
        yield group
    finally:
        if psutil.pid_exists(pid):
            (group.parent / "cgroup.procs").write_text(str(pid))
        group.rmdir()


def throttling(group: Path) -> str:
    stats = dict(line.split() for line in (group / "cpu.stat").read_text().splitlines())
    if "throttled_time" in stats:  # v1: nanoseconds
        return f"throttled {stats['nr_throttled']} of {stats['nr_periods']} periods"
    return f"throttled {stats.get('nr_throttled', '?')} of {stats.get('nr_periods', '?')} periods"


# --- bytes written to the card -------------------------------------------------------------------------------

def signature_data_url() -> str:
    from PIL import Image

    image = Image.new("RGB", (300, 120), "white")
    for x in range(20, 280):
        image.putpixel((x, 60 + (x % 40) - 20), (0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def checkpoint_bytes(data_dir: Path) -> int:
    """Bytes written putting the WAL's pages into node.db (what SQLite's auto-checkpoint does in the server)."""
    before = psutil.Process().io_counters().write_bytes
    with sqlite3.connect(data_dir / "node.db") as connection:
        busy, frames, done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0 and frames == done, (busy, frames, done)
        os.sync()
    return psutil.Process().io_counters().write_bytes - before


def bytes_per_saved_visit(session: requests.Session, base: str, rows: list[dict], server: psutil.Process,
                          data_dir: Path, count: int = 20) -> tuple[float, float]:
    """Visits saved through the form (one draft kept first, as the page does while typing): bytes written by
    the server per visit, and the checkpoint's share per visit."""
    numbers = sorted({row["household_id"] for row in rows})[-count:]
    signature = signature_data_url()
    checkpoint_bytes(data_dir)
    before = server.io_counters().write_bytes
    for number in numbers:
        form_page = session.get(f"{base}/h/{number}/visit").text
        token = csrf_token(form_page)
        fields = {"csrf_token": token, "method": "in_person", "date": now_text()[:10], "all_unchanged": "1",
                  "ack_status": "confirmed", "ack_by": "户主", "signature": signature}
        assert session.post(f"{base}/h/{number}/draft", data=fields).status_code == 204
        reply = session.post(f"{base}/h/{number}/visit", data=fields, allow_redirects=False)
        assert reply.status_code == 302, (reply.status_code, reply.text[-2000:])
    written = server.io_counters().write_bytes - before
    return written / count, checkpoint_bytes(data_dir) / count


def sync_written_bytes(data_dir: Path) -> tuple[int, float]:
    """One `fieldsync-node sync` pass: the bytes it wrote (its own rusage, 512-byte blocks) and the seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock
    started = time.perf_counter()
    Station(data_dir).cli("sync", timeout=900)
    elapsed = time.perf_counter() - started
    return (resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock - before) * 512, elapsed


def older_months(count: int, skip: int) -> list[str]:
    return months_back(previous_month(now_text()[:7]), skip + count)[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--sync-records", type=int, default=10_000)
    parser.add_argument("--sync-passes", type=int, default=2,
                        help="syncs of --sync-records, the pages measured during each")
    parser.add_argument("--no-hub", action="store_true", help="skip the hub: no sync phase, no sync write figure")
    args = parser.parse_args(argv)
    missed = False
    with tempfile.TemporaryDirectory() as scratch:
        data = seeded(Path(scratch), args.households, args.months, with_hub=not args.no_hub)
        try:
            missed |= bench_server(data, args)
        finally:
            if data.hub:
                data.hub.stop()
    return 1 if missed else 0


def bench_server(data: Seeded, args: argparse.Namespace) -> bool:  # one phase after another
    missed = False
    if data.hub:  # the hub holds the seeded visits first: the measured sync then pushes only its own records
        written, elapsed = sync_written_bytes(data.data_dir)
        print(f"first sync of the seeded records: {elapsed:.1f} s")
    port = free_port()
    server = Station(data.data_dir).serve(port)
    process = psutil.Process(server.pid)
    watcher = PeakRss(server.pid)
    watcher.start()
    figures: list[str] = []
    try:
        url = f"http://127.0.0.1:{port}"
        session = signed_in(url)
        paths = pages(data.rows)
        found = measure_pages(session, url, paths, args.rounds, process)
        missed |= print_pages("full cores (as measured before issue 18)", found, TARGET_MS)
        per_visit, checkpoint = bytes_per_saved_visit(session, url, data.rows, process, data.data_dir)
        figures.append(f"bytes written per saved visit (server write_bytes, form with one draft): "
                       f"{per_visit / 1024:.1f} KiB, + {checkpoint / 1024:.1f} KiB checkpoint into node.db")
        with cpu_quota(server.pid) as group:
            if isinstance(group, str):
                print(f"\nquarter-core figures not measured: {group}")
                missed = True
            else:
                found = measure_pages(session, url, paths, args.rounds, process)
                missed |= print_pages(f"server held to a quarter of one core (cgroup {QUOTA_US}/{PERIOD_US} µs; "
                                      f"{throttling(group)})", found, TARGET_MS)
                if data.hub:
                    missed |= bench_during_sync(data, args, session, url, paths, process, figures)
    finally:
        watcher.running = False
        watcher.join()
        stop_group(server)
    peak = watcher.peak / 2**20
    node_only = node_only_peak_rss(data, max(1, args.rounds // 3))
    missed |= node_only >= TARGET_RSS_MB
    print()
    for line in figures:
        print(line)
    print(f"station app peak RSS over all of that: {peak:.1f} MB with every package of this venv")
    print(f"station app peak RSS with only the station's packages (no {', '.join(NOT_NODE_PACKAGES)}), "
          f"every page {args.rounds // 3} times: {node_only:.1f} MB (target < {TARGET_RSS_MB:.0f} MB) "
          f"{'ok' if node_only < TARGET_RSS_MB else 'MISSED'}")
    return missed


def node_only_peak_rss(data: Seeded, rounds: int = 10) -> float:
    """The station app as a station installed with only its own dependencies runs it: the hub's packages
    cannot be imported.  Its peak RSS over every page."""
    port = free_port()
    log_path = data.data_dir.parent / "station-node-only.log"
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-c", NODE_ONLY_LAUNCHER.format(names=NOT_NODE_PACKAGES), "--data-dir",
             str(data.data_dir), "serve", "--bind", f"127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    watcher = PeakRss(server.pid)
    try:
        wait_for(f"http://127.0.0.1:{port}/login", server, log_path)
        watcher.start()
        url = f"http://127.0.0.1:{port}"
        measure_pages(signed_in(url), url, pages(data.rows), rounds, psutil.Process(server.pid))
    finally:
        watcher.running = False
        if watcher.is_alive():
            watcher.join()
        stop_group(server)
    return watcher.peak / 2**20


def bench_during_sync(data: Seeded, args: argparse.Namespace, session: requests.Session, url: str,
                      paths: dict[str, str], process: psutil.Process, figures: list[str]) -> bool:
    """500 records synced alone (for the bytes written), then the pages while 10,000 records sync."""
    sign_visits(data.data_dir, data.rows, older_months(1, args.months + 40), 500, data.key_of)
    checkpoint_bytes(data.data_dir)  # what signing them wrote is not the sync's
    written, elapsed = sync_written_bytes(data.data_dir)
    checkpoint = checkpoint_bytes(data.data_dir)
    figures.append(f"bytes written by `fieldsync-node sync` pushing 500 records: {written / 1024:.0f} KiB "
                   f"+ {checkpoint / 1024:.0f} KiB checkpoint into node.db "
                   f"({(written + checkpoint) / 500:.0f} B per record, {elapsed:.1f} s)")
    months = -(-args.sync_records // (args.households or 1))
    missed = False
    for sync_pass in range(args.sync_passes):  # each pass a new 10,000: more requests measured during a sync
        signed = sign_visits(data.data_dir, data.rows, older_months(months, args.months + sync_pass * months),
                             args.sync_records, data.key_of)
        started = time.perf_counter()
        sync = subprocess.Popen([str(BIN / "fieldsync-node"), "--data-dir", str(data.data_dir), "sync"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        found = measure_while(sync, session, url, paths, process)
        assert sync.wait() == 0
        missed |= print_pages(f"the same quarter core while `fieldsync-node sync` pushes {signed:,} records "
                              f"(pass {sync_pass + 1}, {time.perf_counter() - started:.1f} s)", found, TARGET_SYNC_MS)
    return missed


if __name__ == "__main__":
    raise SystemExit(main())

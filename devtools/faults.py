"""`make faults`: the fault suite over real processes — nothing lost, nothing twice.

A hub under gunicorn (SQLite, or PostgreSQL with ``--database-url``) and field nodes driven through
`fieldsync-node`, with faults injected: nodes killed with SIGKILL while saving and while syncing, a fault-injecting
TCP proxy between node and hub (drops, resets, stalls, truncated replies, 2G-like latency and bandwidth), the hub
killed mid-push, PostgreSQL restarted mid-push (``--restart-postgres``), the node's disk full, its clock years wrong
and jumping back, a cloned node, visits without their optional lists, and hostile pushes signed with a station's
key.  Every visit saved carries a unique note, so the hub's copy can be counted:

    fault | runs | records sent | stored | lost | duplicated

Lost and duplicated must be 0 (the exit status says so).  ``make test`` runs a short form (tests/e2e/test_faults.py).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import requests

from devtools import synthetic
from devtools.fault_proxy import FaultProxy
from devtools.processes import BIN, Hub, Station
from devtools.scratch import postgres_schema
from devtools.station import hub_person_keys, station_body
from shared import keys, wire
from shared.protocol import PUSH_PATH

VILLAGES = synthetic.default_villages(1)[:2]
ROWS = synthetic.generate_roster(77, VILLAGES, 15)
FAMILIES = list({row["household_id"]: [r for r in ROWS if r["household_id"] == row["household_id"]]
                 for row in ROWS}.values())


@dataclass
class Outcome:
    fault: str
    runs: int
    sent: int = 0
    stored: int = 0
    lost: int = 0
    duplicated: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and not any(n.startswith("FAILED") for n in self.notes)


class Suite:
    def __init__(self, root: Path, database_url: str = "", seed: int = 5):
        self.root = root
        self.rnd = random.Random(seed)
        # Every station of the suite enrols from this one address; in a county each has its own.
        self.hub = Hub(root / "hub", database_url, env={"FIELDSYNC_ENROLL_RATE_LIMIT": "1000/hour"})
        self.hub.set_up(ROWS)
        self.hub.start(workers=2)
        self.proxy = FaultProxy(self.hub.port, seed)
        self.counter = 0

    def close(self) -> None:
        self.proxy.close()
        self.hub.kill()

    # -- stations and records ------------------------------------------------------------------------------
    def station(self, name: str, base: Path | None = None) -> Station:
        env = {"FIELDSYNC_NODE_HTTP_TIMEOUT": "3", "FIELDSYNC_NODE_BATCH_SIZE": "25"}
        node = Station((base or self.root) / name, env)
        code = self.hub.add_node(name, ["/".join(v) for v in VILLAGES])
        node.cli("enroll", "--hub", self.proxy.url, "--code", code)
        node.cli("sync")
        return node

    def bodies(self, tag: str, count: int) -> list[dict]:
        found = []
        for _ in range(count):
            self.counter += 1
            body = synthetic.visit_body(self.rnd, self.rnd.choice(FAMILIES), "2026-10", "网格员")
            found.append(station_body({**body, "note": f"{tag}-{self.counter}"}, hub_person_keys(self.hub.data_dir)))
        return found

    def write(self, node: Station, bodies: list[dict]) -> Path:
        path = self.root / f"{node.data_dir.name}-{self.counter}.json"
        path.write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
        return path

    @staticmethod
    def saved_notes(node: Station) -> set[str]:
        with closing(sqlite3.connect(node.data_dir / "node.db")) as conn:
            return {json.loads(content)["body"].get("note", "") for (content,) in
                    conn.execute("SELECT content FROM record WHERE kind = 'visit'")}

    def add_until_saved(self, node: Station, bodies: list[dict]) -> None:
        """What a person does when the screen did not say "saved": enter it again, once."""
        missing = [b for b in bodies if b["note"] not in self.saved_notes(node)]
        if missing:
            node.cli("add", str(self.write(node, missing)))

    def sync_clean(self, node: Station) -> None:
        self.proxy.mode = "pass"
        for _ in range(5):
            if node.cli("sync", check=False).returncode == 0:
                return
            time.sleep(0.5)
        node.cli("sync")

    def hub_notes(self, node: Station) -> Counter[str]:
        with closing(sqlite3.connect(node.data_dir / "node.db")) as station_db:
            node_id = int(station_db.execute("SELECT value FROM state WHERE key = 'node_id'").fetchone()[0])
        sql = "SELECT content FROM record WHERE node_id = {} AND status = 'accepted' AND kind = 'visit'"
        if self.hub.database_url:
            with psycopg2.connect(self.hub.database_url) as conn, conn.cursor() as cursor:
                cursor.execute(sql.format("%s"), (node_id,))
                rows = cursor.fetchall()
        else:
            with closing(sqlite3.connect(self.hub.data_dir / "hub.db")) as hub_db:
                rows = hub_db.execute(sql.format("?"), (node_id,)).fetchall()
        return Counter(json.loads(bytes(content))["body"].get("note", "") for (content,) in rows)

    def count(self, outcome: Outcome, node: Station, intended: list[dict]) -> Outcome:
        held = self.hub_notes(node)
        wanted = {b["note"] for b in intended}
        outcome.sent = len(wanted)
        outcome.stored = len(wanted & set(held))
        outcome.lost = len(wanted - set(held))
        outcome.duplicated = sum(n - 1 for n in held.values() if n > 1) + len(set(held) - wanted)
        return outcome

    # -- faults ------------------------------------------------------------------------------------------------
    def killed_while_saving(self, runs: int) -> Outcome:
        node, intended = self.station("kill-save"), []
        for _ in range(runs):
            bodies = self.bodies("kill-save", 30)
            intended += bodies
            adding = subprocess.Popen([str(BIN / "fieldsync-node"), "--data-dir", str(node.data_dir), "add",
                                       str(self.write(node, bodies))], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            time.sleep(self.rnd.uniform(0.2, 1.2))
            adding.send_signal(signal.SIGKILL)
            adding.wait()
            self.check_integrity(node)
            self.add_until_saved(node, bodies)
        self.sync_clean(node)
        return self.count(Outcome("node SIGKILL while saving", runs), node, intended)

    def killed_while_syncing(self, runs: int) -> Outcome:
        node, intended = self.station("kill-sync"), []
        for _ in range(runs):
            bodies = self.bodies("kill-sync", 60)
            intended += bodies
            node.cli("add", str(self.write(node, bodies)))
            syncing = node.popen("sync")
            time.sleep(self.rnd.uniform(0.3, 1.5))
            syncing.send_signal(signal.SIGKILL)
            syncing.wait()
        self.sync_clean(node)
        return self.count(Outcome("node SIGKILL while syncing", runs), node, intended)

    def network(self, mode: str, runs: int) -> Outcome:
        node, intended = self.station(f"net-{mode}"), []
        for _ in range(runs):
            bodies = self.bodies(f"net-{mode}", 40)
            intended += bodies
            node.cli("add", str(self.write(node, bodies)))
            self.proxy.mode = mode
            node.cli("sync", check=False, timeout=600)
        self.sync_clean(node)
        labels = {"drop": "connections dropped", "reset": "connections reset", "stall": "hub stalls (timeouts)",
                  "truncate": "replies truncated", "slow": "2G latency and bandwidth", "flaky": "all of these, mixed"}
        return self.count(Outcome(f"network: {labels[mode]}", runs), node, intended)

    def disrupted_push(self, tag: str, label: str, runs: int, disrupt: Callable[[], None]) -> Outcome:
        """Push a few batches and, at a random moment, ``disrupt`` the hub's side; then sync cleanly."""
        node, intended = self.station(tag), []
        for _ in range(runs):
            bodies = self.bodies(tag, 150)
            intended += bodies
            node.cli("add", str(self.write(node, bodies)))
            syncing = node.popen("sync")
            time.sleep(self.rnd.uniform(0.2, 1.0))
            disrupt()
            syncing.wait(timeout=120)
        self.sync_clean(node)
        return self.count(Outcome(label, runs), node, intended)

    def hub_killed(self, runs: int) -> Outcome:
        def kill_and_restart() -> None:
            self.hub.kill()
            self.hub.start(workers=2)

        return self.disrupted_push("hub-killed", "hub SIGKILL mid-push", runs, kill_and_restart)

    def postgres_restarted(self, runs: int) -> Outcome:
        cluster = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"]

        def restart() -> None:
            subprocess.run(command, check=True, capture_output=True)

        return self.disrupted_push("pg-restart", "PostgreSQL restarted mid-push", runs, restart)

    def disk_full(self, runs: int) -> Outcome:
        """The station's data on a small file system (tmpfs), filled to the brim before each save."""
        outcome = Outcome("node disk full", runs)
        disk = self.root / "small-disk"
        disk.mkdir()
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            outcome.notes.append(f"FAILED: cannot mount a small file system (needs root): {mounted.stderr.strip()}")
            return outcome
        try:
            node, intended = self.station("disk-full", base=disk), []
            for _ in range(runs):
                bodies = self.bodies("disk-full", 400)
                intended += bodies
                ballast = disk / "ballast"
                ballast.write_bytes(b"\0" * max(0, shutil.disk_usage(disk).free - 64 * 1024))
                done = subprocess.run([str(BIN / "fieldsync-node"), "--data-dir", str(node.data_dir), "add",
                                       str(self.write(node, bodies))], capture_output=True, text=True)
                if done.returncode == 0:
                    outcome.notes.append("FAILED: a save larger than the free space reported success")
                elif "Traceback" in done.stderr or "存储卡已满" not in done.stderr:
                    outcome.notes.append(f"FAILED: no clear message: {done.stderr[-200:]}")
                ballast.unlink()  # space is back
                self.check_integrity(node)
                self.add_until_saved(node, bodies)
            self.sync_clean(node)
            return self.count(outcome, node, intended)
        finally:
            if subprocess.run(["umount", str(disk)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(disk)], capture_output=True)

    def clock(self, runs: int) -> Outcome:
        node, intended = self.station("clock"), []
        outcome = Outcome("node clock years off, jumping back", runs)
        if shutil.which("faketime") is None:
            outcome.notes.append("FAILED: faketime is not installed (make faults installs it)")
            return outcome
        for run in range(runs):
            for offset in ("+3y", "-5y", "+1d", "-2y"):
                bodies = self.bodies("clock", 10)
                intended += bodies
                for args in (("add", str(self.write(node, bodies))), ("sync",)):
                    done = subprocess.run(["faketime", "-f", offset, str(BIN / "fieldsync-node"), "--data-dir",
                                           str(node.data_dir), *args], capture_output=True, text=True)
                    if done.returncode not in (0, 2):
                        outcome.notes.append(f"FAILED: {offset} {args[0]}: {done.stderr[-300:]}")
            _ = run
        self.sync_clean(node)
        return self.count(outcome, node, intended)

    def cloned(self, runs: int) -> Outcome:
        outcome = Outcome("cloned node (same key, diverging records)", runs)
        intended: list[dict] = []
        original = None
        for run in range(runs):
            original = self.station(f"clone-{run}")
            first = self.bodies("clone", 20)
            intended += first
            original.cli("add", str(self.write(original, first)))
            self.sync_clean(original)
            copy = Station(self.root / f"clone-{run}-copy", original.env)
            shutil.copytree(original.data_dir, copy.data_dir)
            more = self.bodies("clone", 5)  # the real station goes on and syncs first
            intended += more
            original.cli("add", str(self.write(original, more)))
            self.sync_clean(original)
            copy.cli("add", str(self.write(copy, self.bodies("clone-copy", 5))))
            refused = copy.cli("sync", check=False)
            if "已被隔离" not in refused.stderr:
                outcome.notes.append("FAILED: the cloned key was not quarantined")
            self.hub.cli("release-node", original.data_dir.name, "--why", "故障测试：核实原站，收回复制卡")
            last = self.bodies("clone", 5)
            intended += last
            original.cli("add", str(self.write(original, last)))
            self.sync_clean(original)
        outcome.notes.append("the copy's records were refused (SEQUENCE_CONFLICT), the key quarantined")
        held: Counter[str] = Counter()
        for run in range(runs):
            held += self.hub_notes(Station(self.root / f"clone-{run}"))
        wanted = {b["note"] for b in intended}
        outcome.sent, outcome.stored = len(wanted), len(wanted & set(held))
        outcome.lost = len(wanted - set(held))
        outcome.duplicated = sum(n - 1 for n in held.values() if n > 1) + len(set(held) - wanted)
        return outcome

    def optional_lists(self, runs: int) -> Outcome:
        """Visits without ``risks``/``employment``/``changes`` (optional in the schema) among ordinary ones, over a
        flaky network: before issue 11 the first one stalled the station for good."""
        node, intended = self.station("optional"), []
        for _ in range(runs):
            bodies = self.bodies("optional", 30)
            for body in bodies[::3]:
                for name in self.rnd.sample(["risks", "employment", "changes"], self.rnd.randint(1, 3)):
                    body.pop(name)
            intended += bodies
            node.cli("add", str(self.write(node, bodies)))
            self.proxy.mode = "flaky"
            node.cli("sync", check=False, timeout=600)
        self.sync_clean(node)
        return self.count(Outcome("visits without optional lists, flaky network", runs), node, intended)

    def hostile_pushes(self, runs: int) -> Outcome:
        """Pushes signed with the station's own key that no honest station sends — sequence numbers and heads
        beyond the protocol's range, a held record repeated with a huge head, garbage — between honest syncs.
        Each must be refused without a 500, the head must stay plausible, and the station must sync on."""
        node, intended = self.station("hostile"), []
        outcome = Outcome("hostile pushes with the station's key", runs)
        for _ in range(runs):
            bodies = self.bodies("hostile", 20)
            intended += bodies
            node.cli("add", str(self.write(node, bodies)))
            self.sync_clean(node)
            for body in self.hostile_bodies(node):
                status = self.raw_push(node, body)
                if status >= 500:
                    outcome.notes.append(f"FAILED: the hub answered {status} to a hostile push")
            head = self.hub_query("SELECT head, hwm FROM node WHERE name = {}", node.data_dir.name)[0]
            if head[0] > head[1] + 1_000_000:
                outcome.notes.append(f"FAILED: the hub kept an implausible head {head[0]}")
            done = node.cli("sync", check=False)
            if "Traceback" in done.stderr or "Overflow" in done.stderr:
                outcome.notes.append(f"FAILED: the station crashed: {done.stderr[-300:]}")
        self.hub.cli("release-node", node.data_dir.name, "--why", "故障测试：恢复被虚报的最新序号")
        self.sync_clean(node)
        head, hwm = self.hub_query("SELECT head, hwm FROM node WHERE name = {}", node.data_dir.name)[0]
        if head != hwm:
            outcome.notes.append(f"FAILED: release-node left head {head} above hwm {hwm}")
        return self.count(outcome, node, intended)

    @staticmethod
    def hostile_bodies(node: Station) -> list[bytes]:
        """Batches built by hand (docs/protocol.md) from the station's last sent record."""
        with closing(sqlite3.connect(node.data_dir / "node.db")) as conn:
            seq, prev, content, signature = conn.execute(
                "SELECT seq, prev, content, signature FROM record WHERE status = 'sent' ORDER BY seq DESC").fetchone()
        frame = struct.pack(">I", len(content)) + bytes(content) + bytes(signature)
        batches = [(seq, 2**53 - 1), (seq, 2**63 - 1), (2**63 - 1, 2**63 - 1), (seq, 2**64 - 1), (2**53, 2**53)]
        bodies = [gzip.compress(b"FSB1" + struct.pack(">QQ", first, head) + bytes(prev) + frame)
                  for first, head in batches]
        return [*bodies, gzip.compress(b"FSB1" + b"\xff" * 60), b"not gzip"]

    def raw_push(self, node: Station, body: bytes) -> int:
        """POST one batch signed with the station's key and a fresh counter; the hub's HTTP status."""
        with closing(sqlite3.connect(node.data_dir / "node.db")) as conn:
            state = dict(conn.execute("SELECT key, value FROM state WHERE key IN ('node_id', 'request_counter')"))
            counter = int(state.get("request_counter", "0")) + 1
            conn.execute("UPDATE state SET value = ? WHERE key = 'request_counter'", (str(counter),))
            conn.commit()
        key = keys.load_private_key(node.data_dir / "node.key")
        auth = wire.authorization_header(key, "POST", PUSH_PATH, int(state["node_id"]), counter, body)
        reply = requests.post(self.hub.url + PUSH_PATH, data=body, timeout=30, headers={
            "Authorization": auth, "Content-Type": wire.BATCH_CONTENT_TYPE, wire.PROTOCOL_HEADER: "1"})
        return reply.status_code

    def hub_query(self, sql: str, *params: object) -> list[tuple]:
        if self.hub.database_url:
            with psycopg2.connect(self.hub.database_url) as conn, conn.cursor() as cursor:
                cursor.execute(sql.format("%s"), params)
                return cursor.fetchall()
        with closing(sqlite3.connect(self.hub.data_dir / "hub.db")) as hub_db:
            return hub_db.execute(sql.format("?"), params).fetchall()

    @staticmethod
    def check_integrity(node: Station) -> None:
        with closing(sqlite3.connect(node.data_dir / "node.db")) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",), "node.db corrupted"


def run_suite(root: Path, runs: int, short: bool, database_url: str = "", restart_postgres: bool = False
              ) -> list[Outcome]:
    suite = Suite(root, database_url)
    try:
        few = max(1, runs // 10)
        outcomes = [suite.killed_while_saving(runs), suite.killed_while_syncing(runs)]
        modes = ("flaky", "slow") if short else ("drop", "reset", "stall", "truncate", "slow", "flaky")
        outcomes += [suite.network(mode, few) for mode in modes]
        outcomes += [suite.hub_killed(few), suite.disk_full(few), suite.clock(1), suite.cloned(1)]
        outcomes += [suite.optional_lists(few), suite.hostile_pushes(few)]
        if restart_postgres and database_url:
            outcomes.append(suite.postgres_restarted(few))
        return outcomes
    finally:
        suite.close()


def table(outcomes: list[Outcome]) -> str:
    lines = [f"{'fault':46} {'runs':>5} {'sent':>7} {'stored':>7} {'lost':>5} {'duplicated':>10}"]
    for o in outcomes:
        lines.append(f"{o.fault:46} {o.runs:5} {o.sent:7} {o.stored:7} {o.lost:5} {o.duplicated:10}"
                     + ("" if o.ok else "   <-- FAILED"))
        lines += [f"    {note}" for note in o.notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="runs of each kill fault (others run a tenth)")
    parser.add_argument("--short", action="store_true", help="the short form `make test` runs")
    parser.add_argument("--database-url", default="", help="PostgreSQL database for the hub, in a throwaway schema "
                        "(default: SQLite)")
    parser.add_argument("--restart-postgres", action="store_true", help="also restart PostgreSQL mid-push")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        url = stack.enter_context(postgres_schema(args.database_url, "faults")) if args.database_url else ""
        started = time.perf_counter()
        outcomes = run_suite(Path(scratch), args.runs, args.short, url, args.restart_postgres)
    print(table(outcomes))
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

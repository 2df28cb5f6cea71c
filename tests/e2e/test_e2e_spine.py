"""The spine end to end: a hub under gunicorn and field nodes as real processes over loopback.

Every scenario ends with the same proof: the hub holds each of the node's records exactly once — same
sequence numbers, same hashes as the node's own chain — or refused it with its reason.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import psycopg2
import pytest
import requests

from devtools import synthetic
from devtools.processes import Hub, Station
from devtools.scratch import postgres_schema
from devtools.station import hub_person_keys, station_body
from shared import keys, wire
from shared.protocol import PUSH_PATH
from shared.records import GENESIS_PREV, record_hash, signature_valid
from tests.conftest import BACKENDS, POSTGRES_URL

pytestmark = pytest.mark.e2e
VILLAGES = synthetic.default_villages(1)[:4]
ROWS = synthetic.generate_roster(99, VILLAGES, 20)


@pytest.fixture(params=BACKENDS)
def hub(request, tmp_path):
    """A hub with the county and roster, served by gunicorn (2 workers), on SQLite or PostgreSQL."""
    with ExitStack() as stack:
        url = stack.enter_context(postgres_schema(POSTGRES_URL, "e2e")) if request.param == "postgres" else ""
        yield from running_hub(tmp_path, url)


def running_hub(tmp_path: Path, url: str) -> Iterator[Hub]:
    """Set up a hub in tmp_path on the database at url, serve it, and stop it afterwards."""
    hub = Hub(tmp_path / "hub", url)
    hub.set_up(ROWS)
    hub.start()
    try:
        yield hub
    finally:
        hub.kill()


def hub_query(hub: Hub, sql: str, params: tuple = ()) -> list[tuple]:
    if hub.database_url:
        with psycopg2.connect(hub.database_url) as conn, conn.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall()
    with sqlite3.connect(hub.data_dir / "hub.db") as conn:
        return conn.execute(sql, params).fetchall()


PERSON_KEYS: dict[Path, Callable[[str], str]] = {}  # node data folder -> its hub's person keys


def station(hub: Hub, tmp_path: Path, name: str, villages: list[tuple[str, str]], **env: str) -> Station:
    node = Station(tmp_path / name, {f"FIELDSYNC_NODE_{k}": v for k, v in env.items()})
    node.cli("enroll", "--hub", hub.url, "--code", hub.add_node(name, ["/".join(v) for v in villages]))
    node.cli("sync")
    PERSON_KEYS[node.data_dir] = hub_person_keys(hub.data_dir)
    return node


def as_signed(node: Station, body: dict) -> dict:
    """A synthetic body as the station's forms make it: labourers by the hub's person key."""
    return station_body(body, PERSON_KEYS[node.data_dir])


def add_visits(node: Station, villages: list[tuple[str, str]], count: int, seed: int = 1) -> int:
    families: dict[str, list[dict]] = {}
    for row in ROWS:
        if (row["township"], row["village"]) in villages:
            families.setdefault(row["household_id"], []).append(row)
    rnd = random.Random(seed)
    groups = list(families.values())
    bodies = [as_signed(node, synthetic.visit_body(rnd, groups[i % len(groups)],
                                                   f"2026-{1 + i // len(groups) % 12:02d}", "网格员"))
              for i in range(count)]
    path = node.data_dir.parent / f"{node.data_dir.name}-visits-{seed}.json"
    path.write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
    node.cli("add", str(path))
    return count


def node_chain(node: Station) -> list[tuple[int, bytes, str]]:
    with sqlite3.connect(node.data_dir / "node.db") as conn:
        return [(seq, bytes(h), status) for seq, h, status in
                conn.execute("SELECT seq, hash, status FROM record ORDER BY seq")]


def node_id(node: Station) -> int:
    with sqlite3.connect(node.data_dir / "node.db") as conn:
        return int(conn.execute("SELECT value FROM state WHERE key = 'node_id'").fetchone()[0])


def assert_exactly_once(hub: Hub, node: Station) -> None:
    """The hub holds the node's whole chain, each record once, with the node's hashes."""
    chain = node_chain(node)
    held = hub_query(hub, "SELECT seq, hash FROM record WHERE node_id = ? ORDER BY seq", (node_id(node),))
    assert [(seq, bytes(h)) for seq, h in held] == [(seq, h) for seq, h, _ in chain]
    assert {status for *_, status in chain} <= {"sent"}
    hwm, head = hub_query(hub, "SELECT hwm, head FROM node WHERE id = ?", (node_id(node),))[0]
    assert hwm == head == len(chain)


def test_offline_capture_then_sync_two_nodes(hub, tmp_path):
    north = station(hub, tmp_path, "北站", VILLAGES[:2])
    south = station(hub, tmp_path, "南站", VILLAGES[2:])
    hub.stop()
    add_visits(north, VILLAGES[:2], 120, seed=1)
    add_visits(south, VILLAGES[2:], 80, seed=2)
    offline = north.cli("sync", check=False)
    assert offline.returncode == 1 and "连接不上县级平台" in offline.stderr
    assert "待发送 120 条" in north.cli("status").stdout
    hub.start()
    for node in (north, south):
        done = node.cli("sync")
        assert "同步完成" in done.stdout
        assert_exactly_once(hub, node)
    assert hub_query(hub, "SELECT COUNT(*) FROM visit")[0][0] == 200
    assert_no_personal_data(hub.log_path.read_text(encoding="utf-8", errors="replace"))


ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def assert_no_personal_data(log: str) -> None:
    """DOMAIN.md §9: no ID number, phone number or name from the roster in a log line."""
    assert log.strip(), "the hub wrote no log at all"
    assert not ID_NUMBER.search(log) and not PHONE.search(log)
    assert not any(row["name"] in log for row in ROWS if len(row["name"]) >= 3)


def test_copied_sd_card_is_refused_quarantined_and_released_by_the_county(hub, tmp_path):
    original = station(hub, tmp_path, "原站", VILLAGES[:1])
    add_visits(original, VILLAGES[:1], 10, seed=1)
    original.cli("sync")
    copy = Station(tmp_path / "copy")
    shutil.copytree(original.data_dir, copy.data_dir)
    PERSON_KEYS[copy.data_dir] = PERSON_KEYS[original.data_dir]  # the same hub
    add_visits(original, VILLAGES[:1], 5, seed=2)
    add_visits(copy, VILLAGES[:1], 5, seed=3)
    original.cli("sync")
    refused = copy.cli("sync", check=False)
    assert refused.returncode == 1 and "拒收 5" in refused.stdout and "已被隔离" in refused.stderr
    assert_exactly_once(hub, original)
    status = copy.cli("status").stdout
    assert "SEQUENCE_CONFLICT" in status and "被拒收 5 条" in status
    codes = {code for (code,) in hub_query(hub, "SELECT code FROM alarm")}
    assert "SEQUENCE_CONFLICT" in codes
    add_visits(original, VILLAGES[:1], 2, seed=4)  # the key is quarantined: the real station waits too
    assert "已被隔离" in original.cli("sync", check=False).stderr
    hub.cli("release-node", "原站", "--why", "核实：原站设备在村部，复制卡已收回")
    original.cli("sync")
    assert_exactly_once(hub, original)


def test_the_hub_killed_in_the_middle_of_a_push(hub, tmp_path):
    node = station(hub, tmp_path, "断电站", VILLAGES[:2], BATCH_SIZE="40", HTTP_TIMEOUT="5")
    add_visits(node, VILLAGES[:2], 1600)
    syncing = node.popen("sync")
    wait_for_line(syncing, "第 2 批")
    hub.kill()
    syncing.wait(timeout=60)
    assert syncing.returncode != 0
    held_before = hub_query(hub, "SELECT COUNT(*) FROM record")[0][0]
    assert 0 < held_before < 1600
    hub.start()
    node.cli("sync")
    assert_exactly_once(hub, node)


def wait_for_line(process, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen.append(line)
        if text in line:
            return line
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"never saw {text!r}: {''.join(seen)[-2000:]}")


def test_a_node_killed_in_the_middle_of_a_sync(hub, tmp_path):
    node = station(hub, tmp_path, "被杀站", VILLAGES[:2], BATCH_SIZE="40")
    add_visits(node, VILLAGES[:2], 1200)
    syncing = node.popen("sync")
    wait_for_line(syncing, "第 3 批")
    syncing.kill()
    syncing.wait(timeout=30)
    node.cli("sync")
    assert_exactly_once(hub, node)


def test_a_node_killed_while_saving_keeps_an_intact_chain(hub, tmp_path):
    """What `add` reported saved survives a SIGKILL; a file being saved is all in or all out (one transaction)."""
    node = station(hub, tmp_path, "保存站", VILLAGES[:2])
    saved_before = add_visits(node, VILLAGES[:2], 50, seed=7)
    families = [[r for r in ROWS if r["household_id"] == h] for h in
                {r["household_id"] for r in ROWS if (r["township"], r["village"]) in VILLAGES[:2]}]
    rnd = random.Random(4)
    bodies = [as_signed(node, synthetic.visit_body(rnd, families[i % len(families)], "2026-10", "网格员"))
              for i in range(20000)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
    adding = node.popen("add", str(path))
    deadline = time.monotonic() + 60
    wal = node.data_dir / "node.db-wal"
    while time.monotonic() < deadline and adding.poll() is None and (wal.stat().st_size if wal.exists() else 0) < 2e6:
        time.sleep(0.02)
    assert adding.poll() is None, "the big save finished before it could be killed"
    adding.kill()
    adding.wait(timeout=30)
    key = keys.load_private_key(node.data_dir / "node.key").public_key()
    with sqlite3.connect(node.data_dir / "node.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT seq, prev, content, signature, hash FROM record ORDER BY seq").fetchall()
    assert len(rows) in (saved_before, saved_before + len(bodies))
    prev = GENESIS_PREV
    for expected, (seq, record_prev, content, signature, stored_hash) in enumerate(rows, start=1):
        assert seq == expected and bytes(record_prev) == prev
        assert signature_valid(key, prev, bytes(content), bytes(signature))
        prev = record_hash(prev, bytes(content))
        assert bytes(stored_hash) == prev
    node.cli("sync")
    assert_exactly_once(hub, node)


def test_revoked_tampered_and_replayed_requests_are_refused(hub, tmp_path):
    node = station(hub, tmp_path, "守门站", VILLAGES[:1])
    add_visits(node, VILLAGES[:1], 6)
    key = keys.load_private_key(node.data_dir / "node.key")
    with sqlite3.connect(node.data_dir / "node.db") as conn:
        records = conn.execute("SELECT seq, prev, content, signature FROM record ORDER BY seq").fetchall()
    from shared.records import SealedRecord

    sealed = [SealedRecord(seq, bytes(p), bytes(c), bytes(s)) for seq, p, c, s in records]
    tampered = list(sealed)
    tampered[1] = SealedRecord(2, sealed[1].prev, sealed[1].content.replace(b'"month"', b'"month" ', 1),
                               sealed[1].signature)

    def post(body: bytes, counter: int) -> requests.Response:
        header = wire.authorization_header(key, "POST", PUSH_PATH, node_id(node), counter, body)
        return requests.post(hub.url + PUSH_PATH, data=body, headers={"Authorization": header}, timeout=30)

    reply = post(wire.encode_batch(tampered, 6), 10_000).json()
    assert reply["accepted"] == [[1, 1]] and reply["rejected"][0] == {**reply["rejected"][0], "seq": 2,
                                                                      "code": "BAD_SIGNATURE", "final": False}
    body = wire.encode_batch(sealed, 6)
    first = post(body, 10_001)
    assert first.json()["accepted"] == [[2, 6]] and first.json()["duplicates"] == [[1, 1]]
    replay = requests.post(hub.url + PUSH_PATH, data=body, headers={"Authorization": first.request.headers[
        "Authorization"]}, timeout=30)
    assert replay.status_code == 409 and replay.json()["code"] == "REPLAYED_REQUEST"
    again = post(body, 10_002).json()
    assert again["duplicates"] == [[1, 6]] and again["accepted"] == []
    node.cli("sync")  # the node's own sync marks them sent without storing anything twice
    assert_exactly_once(hub, node)

    hub.cli("revoke-node", "守门站")
    add_visits(node, VILLAGES[:1], 2, seed=9)
    refused = node.cli("sync", check=False)
    assert refused.returncode == 1 and "停用" in refused.stderr
    assert hub_query(hub, "SELECT COUNT(*) FROM record")[0][0] == 6
    assert ("NODE_REVOKED",) in hub_query(hub, "SELECT code FROM alarm")


def test_a_visit_without_risks_syncs_and_every_later_record_arrives(hub, tmp_path):
    node = station(hub, tmp_path, "可选字段站", VILLAGES[:1])
    family = [row for row in ROWS if (row["township"], row["village"]) == VILLAGES[0]][:1]
    bare = synthetic.visit_body(random.Random(1), family, "2026-10", "网格员")
    for optional in ("risks", "employment", "changes"):
        bare.pop(optional)
    path = tmp_path / "bare.json"
    path.write_text(json.dumps(bare, ensure_ascii=False), encoding="utf-8")
    node.cli("add", str(path))
    add_visits(node, VILLAGES[:1], 30, seed=5)
    done = node.cli("sync")
    assert "发送 31 条，拒收 0 条" in done.stdout, done.stdout
    add_visits(node, VILLAGES[:1], 5, seed=6)
    node.cli("sync")
    assert_exactly_once(hub, node)
    assert hub_query(hub, "SELECT COUNT(*) FROM visit")[0][0] == 36
    assert "最后一次同步" in node.cli("status").stdout
    assert "同步失败" not in hub.cli("nodes").stdout
    assert " 500 " not in hub.log_path.read_text(encoding="utf-8", errors="replace")


def test_a_clean_stop_prints_no_trace(hub, tmp_path):
    node = station(hub, tmp_path, "停机站", VILLAGES[:1])
    add_visits(node, VILLAGES[:1], 5)
    node.cli("sync")
    for target in ("master", "group"):  # SIGTERM as systemd sends it (the group) and as `kill PID` does
        hub.log_path.write_bytes(b"")
        if target == "master":
            hub.process.send_signal(signal.SIGTERM)
            hub.process.wait(timeout=60)
            hub.process = None
        else:
            hub.stop()
        log = hub.log_path.read_text(encoding="utf-8", errors="replace")
        assert "Shutting down: Master" in log and "Traceback" not in log and "Error" not in log, log
        hub.start()

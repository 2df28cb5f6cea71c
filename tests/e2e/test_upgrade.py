"""Upgrades: a station still running the previous release (0.1.0, taken from git history) enrols, pulls its
roster and syncs signed visits with this release's hub, under gunicorn over loopback."""

from __future__ import annotations

import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from devtools import synthetic
from devtools.processes import Hub

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PREVIOUS_RELEASE = "cb187ec"  # 0.1.0: the spine and the cleaning runs
VILLAGES = synthetic.default_villages(1)[:1]
ROWS = synthetic.generate_roster(51, VILLAGES, 6)


def previous_release(into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", PREVIOUS_RELEASE, "shared",
                              "field_node"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def old_node(code_dir: Path, data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """`fieldsync-node` of the previous release: its code first on the path, this venv's libraries."""
    return subprocess.run([sys.executable, "-m", "field_node.cli", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=120, cwd=code_dir,
                          env={**os.environ, "PYTHONPATH": str(code_dir)})


def test_a_station_on_the_previous_release_syncs_with_this_hub(tmp_path):
    code = previous_release(tmp_path / "release-0.1")
    hub = Hub(tmp_path / "hub")
    hub.set_up(ROWS)
    hub.start(workers=1)
    try:
        station = tmp_path / "old-station"
        enrolled = old_node(code, station, "enroll", "--hub", hub.url, "--code",
                            hub.add_node("旧版站", ["/".join(v) for v in VILLAGES]))
        assert enrolled.returncode == 0, enrolled.stderr
        assert old_node(code, station, "sync").returncode == 0
        families: dict[str, list[dict]] = {}
        for row in ROWS:
            families.setdefault(row["household_id"], []).append(row)
        rnd = random.Random(2)
        bodies = [synthetic.visit_body(rnd, members, "2026-10", "网格员") for members in families.values()]
        (tmp_path / "visits.json").write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
        assert old_node(code, station, "add", str(tmp_path / "visits.json")).returncode == 0
        synced = old_node(code, station, "sync")
        assert synced.returncode == 0, synced.stdout + synced.stderr
        with sqlite3.connect(hub.data_dir / "hub.db") as db:
            accepted = db.execute("SELECT COUNT(*) FROM record r JOIN node n ON n.id = r.node_id "
                                  "WHERE n.name = '旧版站' AND r.status = 'accepted'").fetchone()[0]
        assert accepted == len(bodies)
    finally:
        hub.kill()

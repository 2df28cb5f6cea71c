"""The station's data folder is its user's only: 0700, and every file in it 0600 (node.db, WAL, SHM, key, log)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from field_node.store.db import database
from field_node.store.state import set_state
from field_node.sync import node as node_module
from shared import keys


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """Start from the umask a Pi's login shell gives (0022: new files 0644, folders 0755)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_station_folder_is_0700_with_0600_files(tmp_path):
    opened = node_module.open_node(tmp_path / "node")
    keys.save_private_key(keys.generate(), opened.key_path)
    with database.connection_context():
        with database.atomic("IMMEDIATE"):
            set_state("node_id", 1)
        (opened.data_dir / "sync.log").open("ab").close()  # how the sync page starts its log
        files = {path.name: mode(path) for path in opened.data_dir.iterdir()}
    assert mode(opened.data_dir) == 0o700
    assert {"node.db", "node.db-wal", "node.db-shm", "node.key", "sync.log"} <= set(files)
    assert files == dict.fromkeys(files, 0o600)


def test_an_upgraded_station_folder_is_narrowed(tmp_path):
    folder = tmp_path / "node"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    old_log = folder / "sync.log"
    old_log.write_text("")
    old_log.chmod(0o644)
    node_module.open_node(folder)
    assert mode(folder) == 0o700 and mode(old_log) == 0o600 and mode(folder / "node.db") == 0o600


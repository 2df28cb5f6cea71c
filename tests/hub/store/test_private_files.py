"""The hub's data folder is its user's only: 0700, with hub.db (SQLite), its WAL and SHM, and keys 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hub.web.app import create_app


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_hub_data_folder_and_database_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        folder = tmp_path / "hub"
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)
        app = create_app({"TESTING": True, "DATA_DIR": str(folder), "DATABASE_URL": ""}, check_schema=False)
        from hub.store import db

        with app.app_context(), db.database.connection_context():
            db.migrate()
            files = {path.name: mode(path) for path in folder.iterdir()}
    finally:
        os.umask(old)
    assert mode(folder) == 0o700
    assert {"hub.db", "hub.db-wal", "hub.db-shm"} <= set(files)
    assert files == dict.fromkeys(files, 0o600)

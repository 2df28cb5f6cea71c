"""Backing up and restoring a hub: the database and the files that go with it (the hub's signing key, the
session secret), into one folder with a manifest of what it holds.

SQLite is copied with SQLite's online backup API (consistent while the hub runs); PostgreSQL with ``pg_dump``
(custom format, the hub's schema only).  Restoring needs the hub stopped.  Records that reached the hub after the
backup are not lost: each station's outbox still has them, and the next sync sends what the hub reports missing.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from peewee import fn

from hub.store.db import database
from hub.store.models import Node, Record
from shared import migrations
from shared.errors import ErrorCode, FieldsyncError
from shared.rows import tuples

FILES = ("hub.key", "hub.secret", "seal.key", "upward.key")  # seal.key opens sealed numbers and makes person keys;
# upward.key signs what a county reports to its city (docs/upward.md)
MANIFEST = "manifest.json"


def _plain_url(url: str) -> str:
    """The URL without its ``options`` (search_path): pg_dump and pg_restore take the schema with -n."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _postgres_tool(*command: str) -> None:
    """Run pg_dump or pg_restore; its own words when it fails (connection refused, version mismatch …)."""
    done = subprocess.run(list(command), capture_output=True, text=True)
    if done.returncode != 0:
        raise FieldsyncError(ErrorCode.INTERNAL, f"{command[0]} 失败，数据库未改动：{done.stderr.strip()[-300:]}")


def _schema() -> str:
    return database.execute_sql("SELECT current_schema()").fetchone()[0]


def _copy_sqlite(source_path: Path, target_path: Path) -> None:
    """SQLite's online backup: consistent while others read or write, and the target's WAL stays coherent."""
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def manifest() -> dict[str, Any]:
    held = dict(tuples(Record.select(Record.node, fn.COUNT(Record.id)).group_by(Record.node)))
    names = dict(tuples(Node.select(Node.id, Node.name)))
    return {"taken_at": datetime.utcnow().isoformat() + "Z", "schema_version": migrations.current_version(database),
            "records": Record.select().count(), "records_per_node": {names[k]: v for k, v in held.items()}}


def backup(out: Path, data_dir: Path, url: str) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=False)
    contents = manifest()
    if url:
        _postgres_tool("pg_dump", "--format=custom", "--no-owner", "-n", _schema(), "-f", str(out / "hub.pgdump"),
                       _plain_url(url))
    else:
        _copy_sqlite(data_dir / "hub.db", out / "hub.db")
    for name in FILES:
        if (data_dir / name).exists():
            shutil.copy2(data_dir / name, out / name)
            (out / name).chmod(0o600)
    (out / MANIFEST).write_text(json.dumps(contents, ensure_ascii=False, indent=2), encoding="utf-8")
    return contents


def restore(folder: Path, data_dir: Path, url: str) -> dict[str, Any]:
    """Put a backup back (the hub must be stopped); returns its manifest."""
    contents = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if url:
        schema = _schema()
        _postgres_tool("pg_restore", "--clean", "--if-exists", "--no-owner", "-n", schema, "-d", _plain_url(url),
                       str(folder / "hub.pgdump"))
    else:
        _copy_sqlite(folder / "hub.db", data_dir / "hub.db")
    for name in FILES:
        if (folder / name).exists():
            shutil.copy2(folder / name, data_dir / name)
            (data_dir / name).chmod(0o600)
    return contents

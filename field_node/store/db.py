"""The node's database: one SQLite file in the data folder, declared unbound and bound at start-up.

WAL with ``synchronous=FULL``: a save that returned is on disk, so a record that was signed (and perhaps
sent) is never rolled back by a power cut and its sequence number never reused (PRIOR-ART, durability).

Each request (and each step of a sync) opens its connection and closes it.  When the last connection to a WAL
database closes, SQLite checkpoints the whole WAL into node.db and deletes it, so without more every saved visit
was written three times to the SD card (WAL, checkpoint, a new WAL and index) and every page view rebuilt the
WAL index.  The process therefore holds one idle connection for as long as it runs (``_hold_open``): the WAL
stays, and SQLite checkpoints it every 1,000 pages as usual.  Durability is the same: a commit still syncs the
WAL before it returns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase

from shared import migrations
from shared.private_files import make_private

database = DatabaseProxy()
MIGRATIONS_PACKAGE = "field_node.store.migrations"
# secure_delete: deleted and replaced content is overwritten, not left in free pages of the card's file.
SQLITE_PRAGMAS = {"journal_mode": "wal", "synchronous": "full", "foreign_keys": 1, "busy_timeout": 15000,
                  "secure_delete": 1}
PRIVATE_STATION_VERSION = 5  # the migration that took ID numbers and phones off the station


def open_database(data_dir: Path) -> SqliteDatabase:
    """Bind the node database in ``data_dir`` and bring its schema up to date (the node migrates itself:
    there is nobody at a village station to run a migrate command).  The folder and every file in it are
    readable by the station's own user only (shared/private_files.py)."""
    make_private(data_dir)
    real = SqliteDatabase(str(data_dir / "node.db"), pragmas=SQLITE_PRAGMAS)
    database.initialize(real)
    with database.connection_context():
        applied = migrations.migrate(database, MIGRATIONS_PACKAGE)
        if any(migration.version == PRIVATE_STATION_VERSION for migration in applied):
            _rewrite_file()
    _hold_open(data_dir / "node.db")
    return real


def _rewrite_file() -> None:
    """Rebuild node.db and empty its WAL, so that no page of the file still holds what a migration removed."""
    database.execute_sql("VACUUM")
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


_held: dict[str, sqlite3.Connection] = {}  # the idle connection this process holds (one database at a time)


def _hold_open(path: Path) -> None:
    """Keep one idle connection to ``path`` open, so that closing the others never checkpoints and deletes the
    WAL.  It holds no transaction: it never holds up a writer or a checkpoint."""
    key = str(path)
    if key in _held:
        return
    for held in _held.values():
        held.close()
    _held.clear()
    connection = sqlite3.connect(key, check_same_thread=False)
    connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # opens the WAL and its index
    _held[key] = connection


@contextmanager
def without_waiting_for_the_card() -> Iterator[None]:
    """Commit what is written inside without syncing the SD card (``synchronous=NORMAL`` on this connection
    for the while), for writes that are not records: a visit form's draft, saved every few seconds of typing.
    A power cut may lose the last seconds of such writes, never a signed record (their commits stay FULL and
    sync every frame before them too) and never the database's integrity (WAL)."""
    database.execute_sql("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        database.execute_sql(f"PRAGMA synchronous={SQLITE_PRAGMAS['synchronous']}")

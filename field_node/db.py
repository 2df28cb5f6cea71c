"""The node's database: one SQLite file in the data folder, declared unbound and bound at start-up.

WAL with ``synchronous=FULL``: a save that returned is on disk, so a record that was signed (and perhaps
sent) is never rolled back by a power cut and its sequence number never reused (PRIOR-ART, durability).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase

from shared import migrations

database = DatabaseProxy()
MIGRATIONS_PACKAGE = "field_node.migrations"
SQLITE_PRAGMAS = {"journal_mode": "wal", "synchronous": "full", "foreign_keys": 1, "busy_timeout": 15000}


def open_database(data_dir: Path) -> SqliteDatabase:
    """Bind the node database in ``data_dir`` and bring its schema up to date (the node migrates itself:
    there is nobody at a village station to run a migrate command)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    real = SqliteDatabase(str(data_dir / "node.db"), pragmas=SQLITE_PRAGMAS)
    database.initialize(real)
    with database.connection_context():
        migrations.migrate(database, MIGRATIONS_PACKAGE)
    return real


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

"""The node's database: one SQLite file in the data folder, declared unbound and bound at start-up.

WAL with ``synchronous=FULL``: a save that returned is on disk, so a record that was signed (and perhaps
sent) is never rolled back by a power cut and its sequence number never reused (PRIOR-ART, durability).
"""

from __future__ import annotations

from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase

from shared import migrations
from shared.private_files import make_private

database = DatabaseProxy()
MIGRATIONS_PACKAGE = "field_node.migrations"
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
    return real


def _rewrite_file() -> None:
    """Rebuild node.db and empty its WAL, so that no page of the file still holds what a migration removed."""
    database.execute_sql("VACUUM")
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")

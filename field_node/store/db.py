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

import functools
import itertools
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from peewee import DatabaseProxy, Model, SqliteDatabase

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
_held_lock = threading.Lock()  # the request threads share that one connection
_held_serial = itertools.count(1)  # which held connection: data versions of two databases never compare
_held_number = 0


def _hold_open(path: Path) -> None:
    """Keep one idle connection to ``path`` open, so that closing the others never checkpoints and deletes the
    WAL.  It holds no transaction: it never holds up a writer or a checkpoint."""
    global _held_number
    key = str(path)
    with _held_lock:
        if key in _held:
            return
        for held in _held.values():
            held.close()
        _held.clear()
        connection = sqlite3.connect(key, check_same_thread=False)
        connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # opens the WAL and its index
        _held[key] = connection
        _held_number = next(_held_serial)


def data_version() -> tuple[int, int] | None:
    """A value that changes whenever anything was committed to the node database since it was last read — by
    this process's requests or by another process (the sync): SQLite's ``PRAGMA data_version`` of the idle
    connection, which commits of every other connection change.  None when no connection is held."""
    with _held_lock:
        for connection in _held.values():
            return _held_number, connection.execute("PRAGMA data_version").fetchone()[0]
    return None


ModelType = TypeVar("ModelType", bound=Model)


def first_row(model: type[ModelType], sql: str, *parameters: Any) -> ModelType | None:
    """The first row of a fixed statement as a ``model`` instance (None when there is none).  The station's
    pages read their rows by fixed statements: peewee building a query costs more CPU than SQLite running it."""
    return next(iter(model.raw(sql, *parameters)), None)


Params = ParamSpec("Params")
Result = TypeVar("Result")


def until_written(size: int = 32) -> Callable[[Callable[Params, Result]], Callable[Params, Result]]:
    """Keep what a read of the database returned (for the ``size`` latest sets of arguments) until the next
    commit to it: the station's lists are read far more often than a visit or a roster arrives, and a page then
    costs no query.  Inside a transaction (a write not yet committed) the read always runs.  The arguments
    must be hashable; callers must not change what is returned."""

    def decorate(read: Callable[Params, Result]) -> Callable[Params, Result]:
        kept: OrderedDict[Any, tuple[tuple[int, int], Result]] = OrderedDict()
        lock = threading.Lock()

        @functools.wraps(read)
        def cached(*args: Params.args, **kwargs: Params.kwargs) -> Result:
            version = data_version()
            if version is None or database.in_transaction():
                return read(*args, **kwargs)
            key = (args, tuple(sorted(kwargs.items())))
            with lock:
                found = kept.get(key)
                if found is not None and found[0] == version:
                    kept.move_to_end(key)
                    return found[1]
            value = read(*args, **kwargs)
            with lock:
                kept[key] = (version, value)
                kept.move_to_end(key)
                while len(kept) > size:
                    kept.popitem(last=False)
            return value

        return cached

    return decorate


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

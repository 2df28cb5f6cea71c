"""The hub's database: declared unbound, bound by the app factory, one connection per request."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, g
from peewee import Database, DatabaseProxy, Model, SqliteDatabase
from playhouse.db_url import parse as parse_url
from playhouse.pool import PooledPostgresqlDatabase

from shared import migrations
from shared.errors import ErrorCode, FieldsyncError
from shared.private_files import make_private

database = DatabaseProxy()
MIGRATIONS_PACKAGE = "hub.store.migrations"
MIGRATE_COMMAND = "fieldsync-hub migrate"

# FULL: a commit that returned is on disk, so an acknowledgement is never taken back by a power cut.
SQLITE_PRAGMAS = {"journal_mode": "wal", "synchronous": "full", "foreign_keys": 1, "busy_timeout": 15000}


def open_database(url: str, data_dir: str | Path) -> Database:
    """SQLite at <data_dir>/hub.db when ``url`` is empty; PostgreSQL (pooled) for postgresql:// URLs."""
    if not url:
        return SqliteDatabase(str(Path(data_dir) / "hub.db"), pragmas=SQLITE_PRAGMAS)
    if url.startswith(("postgresql://", "postgres://")):
        params = parse_url(url)
        return PooledPostgresqlDatabase(params.pop("database"), max_connections=32, stale_timeout=300,
                                        **params)
    raise FieldsyncError(ErrorCode.DATABASE_URL_UNSUPPORTED)  # no details: a mistyped URL may hold a password


def bind(url: str, data_dir: str | Path) -> Database:
    """Bind the hub's database; its data folder (keys, exports, SQLite files) is made private first."""
    make_private(Path(data_dir))
    real = open_database(url, data_dir)
    database.initialize(real)
    return real


def init_app(app: Flask) -> None:
    """Bind the database for this app and open/close a connection around each request."""
    bind(app.config["DATABASE_URL"], app.config["DATA_DIR"])

    @app.before_request
    def _connect() -> None:
        _hold_sqlite_open()
        g.opened_connection = database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        # Close only what this request opened (a CLI command or a test may hold the connection around it).
        if g.pop("opened_connection", False) and not database.is_closed():
            database.close()


_held: dict[int, tuple[str, sqlite3.Connection]] = {}  # per process (gunicorn forks): pid -> (file, connection)


def _hold_sqlite_open() -> None:
    """Keep one idle connection to the SQLite file open in this process, so that closing a request's connection
    is never the last close, which checkpoints the whole WAL into hub.db with an fsync and deletes it (about
    24 ms per push of 500 records).  It holds no transaction: it never holds up a writer or a checkpoint.
    Opened on a request of each process, never before a fork; one file at a time."""
    target = database.obj
    if not isinstance(target, SqliteDatabase):
        return
    held = _held.get(os.getpid())
    if held is not None and held[0] == target.database:
        return
    if held is not None:
        held[1].close()
    connection = sqlite3.connect(target.database, check_same_thread=False)
    connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # opens the WAL and its index
    _held[os.getpid()] = (target.database, connection)


def migrate() -> list[migrations.Migration]:
    return migrations.migrate(database, MIGRATIONS_PACKAGE)


def ensure_current() -> None:
    with database.connection_context():
        migrations.ensure_current(database, MIGRATIONS_PACKAGE, MIGRATE_COMMAND)


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction that takes the write lock up front (SQLite IMMEDIATE), so writers queue, never fail."""
    if migrations.dialect(database) == "sqlite":
        with database.atomic("IMMEDIATE"):
            yield
    else:
        with database.atomic():
            yield


def insert_rows(model: type[Model], rows: list[dict[str, Any]], returning: tuple[str, ...] = (),
                chunk: int = 500, constant: dict[str, Any] | None = None) -> list[tuple]:
    """Insert many rows with one multi-row INSERT per chunk; return the ``returning`` columns of each row.

    peewee's ``insert_many`` builds its SQL value by value, which on the ingest path costs more per record
    than the signature check.  Here the statement is assembled once per chunk and the values, already in
    database form (ints, text, bytes), pass as parameters.  RETURNING works on SQLite >= 3.35 and PostgreSQL;
    its row order is not guaranteed, so callers return a key column with the id.  ``constant`` gives columns the
    model does not declare, the same value in every row (``county_id`` on a region's partitioned tables).
    """
    if not rows:
        return []
    fields = [model._meta.fields[name] for name in rows[0]]
    extra = constant or {}
    columns = ", ".join([f'"{field.column_name}"' for field in fields] + [f'"{column}"' for column in extra])
    row_marks = "(" + ", ".join([database.param] * (len(fields) + len(extra))) + ")"
    names = [field.name for field in fields]
    added = list(extra.values())
    suffix = " RETURNING " + ", ".join(f'"{model._meta.fields[c].column_name}"' for c in returning) if returning else ""
    found: list[tuple] = []
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES {", ".join([row_marks] * len(part))}'
        values = ([row[name] for row in part for name in names] if not added
                  else [value for row in part for value in [*(row[name] for name in names), *added]])
        cursor = database.execute_sql(sql + suffix, values)
        if returning:
            found += cursor.fetchall()
    return found

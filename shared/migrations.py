"""Versioned SQL migrations, the same runner for every database.

Migrations are files ``NNNN_name.sql`` in a package, applied in order, each in its own transaction, and
recorded in ``schema_version``.  The SQL is written once for SQLite and PostgreSQL; the few type names that
differ are placeholders: ``{ID}`` (auto-increment primary key), ``{BLOB}``, ``{BOOL}``, ``{TS}``, ``{BIGINT}``,
``{FALSE}``/``{TRUE}``, and ``{EMPTY}`` for a literal ``{}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from peewee import Database, DatabaseProxy, PostgresqlDatabase

from shared.errors import ErrorCode, FieldsyncError

_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")
_TYPES = {
    "sqlite": {"ID": "INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB": "BLOB", "BOOL": "INTEGER", "TS": "TIMESTAMP",
               "BIGINT": "INTEGER", "FALSE": "0", "TRUE": "1", "EMPTY": "{}"},
    "postgresql": {"ID": "BIGSERIAL PRIMARY KEY", "BLOB": "BYTEA", "BOOL": "BOOLEAN", "TS": "TIMESTAMP",
                   "BIGINT": "BIGINT", "FALSE": "FALSE", "TRUE": "TRUE", "EMPTY": "{}"},
}


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def dialect(db: Database | DatabaseProxy) -> str:
    target = getattr(db, "obj", db)  # unwrap a DatabaseProxy
    return "postgresql" if isinstance(target, PostgresqlDatabase) else "sqlite"


def available(package: str) -> list[Migration]:
    found = []
    for entry in resources.files(package).iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda migration: migration.version)


def latest_version(package: str) -> int:
    return available(package)[-1].version


def current_version(db: Database | DatabaseProxy) -> int:
    if "schema_version" not in db.get_tables():
        return 0
    row = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return row[0] or 0


def statements(sql: str, db: Database | DatabaseProxy) -> list[str]:
    """The file's statements, split on ``;``; whole-line ``--`` comments are dropped first, so prose in them
    may use any punctuation."""
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    rendered = code.format(**_TYPES[dialect(db)])
    return [statement.strip() for statement in rendered.split(";") if statement.strip()]


def _recorded(db: Database | DatabaseProxy) -> set[int]:
    return {version for (version,) in db.execute_sql("SELECT version FROM schema_version").fetchall()}


def migrate(db: Database | DatabaseProxy, package: str) -> list[Migration]:
    """Apply, in number order, every migration the database has not recorded; return those applied.

    Not only those above the newest recorded: work done in parallel takes numbers in parallel, and a database
    that met 0033 before 0032 (a test rolling one back, a build of a branch) still gets 0032."""
    db.execute_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    recorded = _recorded(db)
    applied = []
    for migration in available(package):
        if migration.version in recorded:
            continue
        with db.atomic():
            for statement in statements(migration.sql, db):
                db.execute_sql(statement)
            db.execute_sql("INSERT INTO schema_version (version, name) VALUES (%s, %s)"
                           if dialect(db) == "postgresql" else
                           "INSERT INTO schema_version (version, name) VALUES (?, ?)",
                           (migration.version, migration.name))
        applied.append(migration)
    return applied


def ensure_current(db: Database | DatabaseProxy, package: str, command: str) -> None:
    """Refuse to run on a schema older (or newer) than this release's."""
    have, want = current_version(db), latest_version(package)
    missing = {migration.version for migration in available(package)} - _recorded(db) if have else set()
    if have == want and missing:
        have = min(missing) - 1  # a migration below the newest not yet applied: the schema is that old
    if have != want:
        raise FieldsyncError(
            ErrorCode.SCHEMA_OUTDATED,
            f"数据库结构版本为 {have}，本程序需要 {want}：请先运行 {command}。" if have < want else
            f"数据库结构版本 {have} 比本程序（{want}）新：请升级程序。",
            {"have": have, "want": want},
        )

"""The migration runner: every migration not yet recorded is applied in number order, even below the newest."""

from __future__ import annotations

import sys

import pytest
from peewee import SqliteDatabase

from shared import migrations
from shared.errors import FieldsyncError


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package of three migrations, 0001–0003, on the import path."""
    folder = tmp_path / "some_migrations"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    for version, table in ((1, "one"), (2, "two"), (3, "three")):
        (folder / f"{version:04d}_{table}.sql").write_text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY);")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "some_migrations"
    sys.modules.pop("some_migrations", None)


def test_a_migration_below_the_newest_recorded_is_still_applied(tmp_path, package):
    db = SqliteDatabase(str(tmp_path / "a.db"))
    assert [m.version for m in migrations.migrate(db, package)] == [1, 2, 3]
    db.execute_sql("DROP TABLE two")
    db.execute_sql("DELETE FROM schema_version WHERE version = 2")  # as if 0002 arrived after 0003
    with pytest.raises(FieldsyncError) as caught:
        migrations.ensure_current(db, package, "migrate")
    assert caught.value.code.name == "SCHEMA_OUTDATED"
    assert [m.version for m in migrations.migrate(db, package)] == [2]
    assert "two" in db.get_tables()
    migrations.ensure_current(db, package, "migrate")
    assert migrations.migrate(db, package) == []

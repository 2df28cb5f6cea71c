"""Versioned migrations: the schema they build is the one the models describe, and an old schema is refused."""

from __future__ import annotations

import pytest

from hub.store import db
from hub.store.models import ALL_MODELS
from hub.web.app import create_app
from shared import migrations
from shared.errors import ErrorCode, FieldsyncError


def test_every_table_has_one_model_and_every_model_a_table(app, hub_db):
    tables = {t for t in db.database.get_tables() if t != "schema_version" and not t.startswith("sqlite_")}
    assert {model._meta.table_name for model in ALL_MODELS} == tables


def test_every_model_column_exists_in_the_migrated_schema(app, hub_db):
    for model in ALL_MODELS:
        columns = {column.name for column in db.database.get_columns(model._meta.table_name)}
        assert {field.column_name for field in model._meta.sorted_fields} == columns, model.__name__


def test_migrate_is_idempotent(app, hub_db):
    assert db.migrate() == []
    assert migrations.current_version(db.database) == migrations.latest_version(db.MIGRATIONS_PACKAGE)


def test_a_hub_refuses_to_start_on_an_unmigrated_database(tmp_path, database_url):
    with pytest.raises(FieldsyncError) as caught:
        create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": database_url})
    assert caught.value.code.name == "SCHEMA_OUTDATED" and "fieldsync-hub migrate" in caught.value.message


def test_the_cli_migrates_then_the_hub_starts(tmp_path, database_url, runner):
    from hub.cli import main

    args = ["--data-dir", str(tmp_path), "--database-url", database_url]
    result = runner.invoke(main, [*args, "migrate"])
    assert result.exit_code == 0, result.output
    create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": database_url})


@pytest.mark.parametrize("url", ["mysql://x", "sqlite:///hub.db", "postgresq://typo@127.0.0.1/db"])
def test_an_unsupported_database_url_is_a_plain_chinese_error(tmp_path, runner, url):
    from hub.cli import main

    with pytest.raises(FieldsyncError) as caught:
        db.open_database(url, tmp_path)
    assert caught.value.code is ErrorCode.DATABASE_URL_UNSUPPORTED
    result = runner.invoke(main, ["--data-dir", str(tmp_path / "hub"), "--database-url", url, "nodes"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # printed, not a traceback
    assert "不支持这个数据库地址" in result.output and "postgresql://" in result.output
    assert "typo" not in result.output  # the URL itself (it may hold a password) is not echoed

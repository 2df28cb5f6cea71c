"""`fieldsync-hub init`, `migrate`, `serve`, `backup` and `restore`: the hub's database and server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from hub.cli.context import run_in_app
from hub.county import setup as county
from hub.store import backup as backups
from hub.store import db, partitions


def _partition_received(app: Any) -> None:
    """At a city or region hub on PostgreSQL: the tables the levels below fill, partitioned while still empty
    (docs/scale.md)."""
    done = partitions.partition_received(app.config["HUB_LEVEL"])
    if done == "partitioned":
        click.echo("已按下级平台分区建表（记录、转发的站点记录、人员、留县记录、转移就业）。")
    elif done == "held":
        click.echo("下级平台上报的数据表已有数据，保持不分区（分区只在新建的数据库上进行，见 docs/scale.md）。")


@click.command("init")
@click.option("--county", "county_name", required=True, help="County name, e.g. 融安县.")
@click.option("--township", "townships", multiple=True, help="A township of the county; repeat for each.")
@run_in_app(check_schema=False)
def init(app: Any, county_name: str, townships: tuple[str, ...]) -> None:
    """Create the database (or bring it up to date) and set the county and its townships."""
    applied = db.migrate()
    _partition_received(app)
    _, added = county.init_county(county_name, list(townships))
    click.echo(f"数据库结构已是最新（本次应用 {len(applied)} 个迁移）。")
    click.echo(f"县：{county_name}；新增乡镇 {len(added)} 个：{'、'.join(added) or '无'}")


@click.command("migrate")
@run_in_app(check_schema=False)
def migrate(app: Any) -> None:
    """Apply the schema migrations this release needs (at a city or region hub on PostgreSQL, a fresh database's
    received tables are partitioned by county and month: docs/scale.md)."""
    applied = db.migrate()
    for migration in applied:
        click.echo(f"已应用迁移 {migration.version:04d} {migration.name}")
    from hub.roster.sealing_keys import fill_person_keys

    filled = fill_person_keys()  # 0032: SQL cannot compute person keys (they need the hub's sealing key)
    if filled:
        click.echo(f"已为 {filled} 名人员写入人员密钥（person_key）。")
    _partition_received(app)
    click.echo("数据库结构已是最新。")


@click.command("serve")
@click.option("--bind", default=None, help="host:port to listen on [env FIELDSYNC_BIND, default 127.0.0.1:8000].")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes [env FIELDSYNC_WORKERS].")
@run_in_app(connected=False)
def serve(app: Any, bind: str | None, workers: int | None) -> None:
    """Serve the hub with gunicorn (refuses to start on an outdated schema)."""
    from hub.web.server import HubServer, gunicorn_options

    os.environ["FIELDSYNC_DATA_DIR"] = app.config["DATA_DIR"]
    os.environ["FIELDSYNC_DATABASE_URL"] = app.config["DATABASE_URL"]
    HubServer(gunicorn_options(bind or app.config["BIND"], workers or app.config["WORKERS"])).run()


@click.command("backup")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@run_in_app()
def backup(app: Any, out: Path) -> None:
    """Back up the hub into a new folder: the database (SQLite online backup or pg_dump), the hub's key, a manifest."""
    contents = backups.backup(out, Path(app.config["DATA_DIR"]), app.config["DATABASE_URL"])
    click.echo(f"已备份到 {out}：{contents['records']} 条记录，数据库结构版本 {contents['schema_version']}。")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, required=True, help="Confirm: the hub is stopped and its data is replaced.")
@run_in_app(check_schema=False)
def restore(app: Any, folder: Path, yes: bool) -> None:
    """Restore a backup made by `backup` (stop the hub first); stations resend what came after it."""
    contents = backups.restore(folder, Path(app.config["DATA_DIR"]), app.config["DATABASE_URL"])
    click.echo(f"已从 {folder} 恢复：{contents['records']} 条记录（备份于 {contents['taken_at']}）。"
               "备份之后收到的记录，各站点下次同步时会自动重发。")

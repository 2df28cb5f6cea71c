"""`fieldsync-hub import-roster` and `import-list`: the household roster and other departments' lists."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from hub.cli.context import StepBars, run_in_app
from hub.roster import importer as roster
from hub.roster.department_lists import KIND_NAMES, LIST_COLUMNS, import_list


@click.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@run_in_app()
def import_roster(app: Any, file: Path) -> None:
    """Import a household roster (CSV or XLSX, Chinese or English headers; DOMAIN.md §10)."""
    with StepBars() as bars:
        report = roster.import_roster(file, bars)
    click.echo(f"读取 {report.rows} 行：新增 {report.households_created} 户，更新 {report.households_changed} 户，"
               f"未变 {report.households_unchanged} 户。")
    if report.villages_created:
        click.echo(f"新建村（安置点）{len(report.villages_created)} 个：{'、'.join(report.villages_created)}")
    for warning in report.warnings:
        click.echo(f"提醒 第 {warning.row} 行：{warning.message}")
    for error in report.errors:
        where = f"第 {error.row} 行" if error.row else "文件"
        click.echo(f"未导入 {where}：{error.message}", err=True)
    if report.errors:
        click.echo(f"{len(report.errors)} 行未导入，其余已导入。请修改这些行后重新导入同一文件（已导入的不会重复）。",
                   err=True)
        sys.exit(2)


@click.command("import-list")
@click.argument("kind", type=click.Choice(list(LIST_COLUMNS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--month", required=True, help="Month the list is for, YYYY-MM.")
@run_in_app()
def import_list_command(app: Any, kind: str, file: Path, month: str) -> None:
    """Import another department's monthly list (death: death register; assistance: 低保/特困 roster; student:
    student list) from CSV, XLSX, XLS or ODS, for the cross-checks X1–X3 of the next cleaning run."""
    report = import_list(kind, file, month)
    label = f"{month} {KIND_NAMES[kind]}"
    if report.unchanged:
        click.echo(f"{label}：这个文件已经导入过，未作改动（读取 {report.rows} 行）。")
    elif report.errors and not report.imported:
        click.echo(f"{label}：读取 {report.rows} 行，没有一行可以导入，原有名单保持不变。")
    else:
        replaced = f"，替换了原先的 {report.replaced} 条" if report.replaced else ""
        click.echo(f"{label}：读取 {report.rows} 行，导入 {report.imported} 条{replaced}。")
    for error in report.errors:
        click.echo(f"未导入 第 {error.row} 行：{error.message}", err=True)
    if report.errors:
        click.echo(f"{len(report.errors)} 行未导入。请修改这些行后重新导入整个文件（新文件会替换本月的这份名单）。",
                   err=True)
        sys.exit(2)

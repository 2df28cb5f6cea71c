"""`fieldsync-hub import-postings`: job postings from a spreadsheet, each signed by the hub's key."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from hub.cli.context import StepBars, run_in_app
from hub.postings import importer
from hub.sync import own_records


@click.command("import-postings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@run_in_app()
def import_postings(app: Any, file: Path) -> None:
    """Import job postings from an XLSX or CSV list (one posting per row), each signed by the hub's key."""
    with StepBars() as bars:
        report = importer.import_postings(file, own_records.sign, lambda done, total: bars("导入岗位", done, total))
    click.echo(f"共 {report.rows} 行：新增 {report.created} 个岗位（其中 {report.held} 个低于最低工资，待审核），"
               f"{report.unchanged} 个已导入过，{len(report.errors)} 行有问题。")
    for error in report.errors:
        click.echo(f"  第 {error.row} 行：{error.message}", err=True)
    if report.errors:
        sys.exit(2)

"""`fieldsync-hub clean`, `rule-setting` and `export`: the county's cleaning runs from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from hub.cleaning import exports, runner
from hub.cleaning.catalogue import CATALOGUE, PARAMETERS, Context
from hub.cli import run_in_app
from shared.errors import ErrorCode, FieldsyncError
from shared.months import check_month, month_of, previous_month

MONTH = click.STRING


def _period(value: str | None) -> str:
    return check_month(value) if value else previous_month(month_of(date.today()))


@click.command()
@click.option("--period", help="Month to examine, YYYY-MM [default: last month].")
@run_in_app()
def clean(app: Any, period: str | None) -> None:
    """Run every rule of the catalogue and update the anomaly lists (three times a month)."""
    period = _period(period)
    with click.progressbar(length=len(CATALOGUE), label=f"清洗 {period}", show_pos=True) as bar:
        record = runner.run(period, progress=lambda _rule: bar.update(1))
    counts = json.loads(record.counts)["rules"]
    click.echo(f"清洗完成（第 {record.id} 次，规则版本 {record.rules_version}）：新增或重新打开 {record.opened} 条，"
               f"消除 {record.closed} 条。")
    for rule_id, rule in CATALOGUE.items():
        click.echo(f"  {rule_id:<4} {rule.zh}：{counts.get(rule_id, 0)}")


@click.command("rule-setting")
@click.argument("name", required=False)
@click.argument("value", required=False)
@run_in_app()
def rule_setting(app: Any, name: str | None, value: str | None) -> None:
    """Show the county's rule parameters, or set NAME to VALUE (thresholds change every year)."""
    if name and value is not None:
        try:
            runner.set_parameter(name, value)
        except (KeyError, ValueError) as exc:
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"没有参数“{name}”或取值“{value}”不对。") from exc
    current = runner.parameters()
    for key, (default, meaning) in PARAMETERS.items():
        click.echo(f"{key} = {current[key]}  （默认 {default}）  {meaning}")


@click.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the XLSX and CSV files into.")
@click.option("--period", help="Month the reports are for, YYYY-MM [default: last month].")
@click.option("--township", help="Only this township's anomaly list.")
@run_in_app()
def export(app: Any, out: Path, period: str | None, township: str | None) -> None:
    """Write the anomaly lists per township, the untransferred-labour table, income classes and coverage."""
    period = _period(period)
    ctx = Context(period, date.today(), runner.parameters())
    from hub.cleaning import rules

    rules.build_household_months(ctx)
    written = exports.anomaly_lists(out, township)
    written += exports.untransferred_labour(out, period)
    written += exports.quarterly_income(out, ctx)
    written += exports.coverage_table(out, period)
    for path in written:
        click.echo(f"已写出 {path}")


@click.command()
@click.argument("anomaly_id", type=int)
@click.option("--verdict", type=click.Choice(["correct", "corrected", "unverifiable"]), required=True,
              help="correct: the record is right as it is (e.g. an I3 pair that are two people); corrected: fixed at "
                   "the source; unverifiable: could not be checked.")
@click.option("--note", required=True, help="Who checked, when and how; what was corrected (into the audit log).")
@run_in_app()
def answer(app: Any, anomaly_id: int, verdict: str, note: str) -> None:
    """Record the answer to one anomaly, as the township queue's answer form does (audited)."""
    from hub import verification
    from hub.cleaning.models import Anomaly
    from hub.users import Principal

    found = Anomaly.get_or_none(Anomaly.id == anomaly_id)
    if found is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"没有编号为 {anomaly_id} 的异常。")
    verification.answer(Principal("cli", "cli", "admin", None), found, verdict, note)
    click.echo(f"异常 {anomaly_id} 已记录核实结果：{verdict}。")


COMMANDS = [clean, rule_setting, export, answer]

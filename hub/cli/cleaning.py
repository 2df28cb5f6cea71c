"""`fieldsync-hub clean`, `rule-setting` and `export`: the county's cleaning runs from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from hub.cleaning import above, exports, runner
from hub.cleaning.catalogue import Context
from hub.cleaning.rules import CATALOGUE, facts
from hub.cli.context import CLI_PRINCIPAL, run_in_app
from hub.county.clock import utcnow
from hub.county.parameters import PARAMETERS, parameters, set_parameter
from hub.reports import analysis, handoff
from hub.sync import projections
from hub.upward import loader
from shared.months import check_month, month_of, previous_month


def _period(value: str | None) -> str:
    return check_month(value) if value else previous_month(month_of(date.today()))


@click.command("clean")
@click.option("--period", help="Month to examine, YYYY-MM [default: last month].")
@run_in_app()
def clean(app: Any, period: str | None) -> None:
    """Run every rule of the catalogue and update the anomaly lists (three times a month). At a city or region:
    the rules the forwarded visits allow (the others skipped, with why), then each county's reported anomaly
    counts of the month checked against them."""
    period, level = _period(period), app.config["HUB_LEVEL"]
    if above.is_above(level) and (loaded := loader.backfill(utcnow().isoformat(" "))):
        click.echo(f"已补载此前转发的走访记录 {loaded} 条。")
    with click.progressbar(length=len(CATALOGUE), label=f"清洗 {period}", show_pos=True) as bar:
        record = runner.run(period, progress=lambda _rule: bar.update(1), level=level)
    summary = json.loads(record.counts)
    counts, skipped = summary["rules"], summary.get("skipped", {})
    click.echo(f"清洗完成（第 {record.id} 次，规则版本 {record.rules_version}）：新增或重新打开 {record.opened} 条，"
               f"消除 {record.closed} 条。")
    for rule_id, rule in CATALOGUE.items():
        found = f"未运行（{skipped[rule_id]}）" if rule_id in skipped else counts.get(rule_id, 0)
        click.echo(f"  {rule_id:<4} {rule.zh}：{found}")
    if above.is_above(level):
        raised = projections.recheck_counties(period)
        click.echo(f"各县上报的 {period} 异常条数已与本级清洗结果核对：新增告警 {raised} 条。")


@click.command("rule-setting")
@click.argument("name", required=False)
@click.argument("value", required=False)
@click.option("--why", default="县级参数调整", show_default=True,
              help="Why the value changes, e.g. the document or meeting it follows (audited).")
@run_in_app()
def rule_setting(app: Any, name: str | None, value: str | None, why: str) -> None:
    """Show the county's rule parameters, or set NAME to VALUE (thresholds change every year)."""
    if name and value is not None:
        set_parameter(name, value, actor=CLI_PRINCIPAL.actor, why=why)
    current = parameters()
    for key, parameter in PARAMETERS.items():
        click.echo(f"{key} = {current[key]} {parameter.unit}  （默认 {parameter.default}）  {parameter.label}"
                   f"  依据：{'、'.join(parameter.sources)}")


@click.command("export")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the XLSX and CSV files into.")
@click.option("--period", help="Month the reports are for, YYYY-MM [default: last month].")
@click.option("--township", help="Only this township's anomaly list.")
@click.option("--full-ids", is_flag=True,
              help="Also write the hand-off to the HR bureau with full ID numbers (audited; needs --why).")
@click.option("--why", default="", help="Why the full ID numbers are needed (with --full-ids).")
@run_in_app()
def export(app: Any, out: Path, period: str | None, township: str | None, full_ids: bool, why: str) -> None:
    """Write the month's tables (anomaly lists per township, the untransferred-labour table per county and village,
    income classes, coverage), and for the last quarter ended by the month the hand-off to the HR bureau and the
    quarterly analysis; with --full-ids also the hand-off with full ID numbers, audited with the reason."""
    request = handoff.FullIds(CLI_PRINCIPAL, why) if full_ids else None
    if request:
        request.check()  # before any file is written
    period = _period(period)
    ctx = Context(period, date.today(), parameters())
    facts.build_household_months(ctx)
    written = exports.anomaly_lists(out, township)
    written += exports.untransferred_labour(out, period, per_village=True)
    written += exports.quarterly_income(out, ctx)
    written += exports.coverage_table(out, period)
    quarter_end = handoff.last_quarter_end(period)
    region_word = app.config["REGION_WORD"]
    written += handoff.quarterly_handoff(out, quarter_end, region_word=region_word)
    if request:
        written += handoff.quarterly_handoff(out, quarter_end, full_ids=request, region_word=region_word)
    written += analysis.quarterly_analysis(out, quarter_end, ctx.params, region_word)
    for path in written:
        click.echo(f"已写出 {path}")

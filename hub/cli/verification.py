"""`fieldsync-hub spot-check` and `answer`: the month's spot checks and answering one anomaly."""

from __future__ import annotations

from typing import Any

import click

from hub.cleaning import anomalies
from hub.cli.context import CLI_PRINCIPAL, run_in_app
from hub.store.models import Anomaly, Household, SpotCheck, Township
from hub.verification import tasks as verification
from shared.errors import ErrorCode, FieldsyncError
from shared.rows import tuples


@click.command("spot-check")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@click.option("--seed", default=None, help="Draw with this seed (default: a new random one, recorded).")
@click.option("--redraw", is_flag=True, help="Print the sample the month's recorded seed draws, to check it.")
@run_in_app()
def spot_check(app: Any, month: str, seed: str | None, redraw: bool) -> None:
    """Draw the month's spot-check sample per township and send it out as verification tasks."""
    if redraw:
        check = SpotCheck.get_or_none(SpotCheck.month == month)
        if check is None:
            raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"{month} 还没有抽查。")
        names = dict(tuples(Township.select(Township.id, Township.name)))
        for township_id, ids in verification.sample(seed or check.seed, check.per_township).items():
            numbers = [n for (n,) in tuples(Household.select(Household.number).where(Household.id.in_(ids)))]
            click.echo(f"{names[township_id]}：{'、'.join(sorted(numbers)) or '（无农户）'}")
        return
    check = verification.draw_spot_check(CLI_PRINCIPAL, month, app.config["SPOT_CHECK_SIZE"], seed)
    click.echo(f"{month} 抽查已下发：每个乡镇 {check.per_township} 户，种子 {check.seed}（用 --redraw 可核对样本）。")


@click.command("answer")
@click.argument("anomaly_id", type=int)
@click.option("--verdict", type=click.Choice(["correct", "corrected", "unverifiable"]), required=True,
              help="correct: the record is right as it is (e.g. an I3 pair that are two people); corrected: fixed at "
                   "the source; unverifiable: could not be checked.")
@click.option("--note", required=True, help="Who checked, when and how; what was corrected (into the audit log).")
@run_in_app()
def answer(app: Any, anomaly_id: int, verdict: str, note: str) -> None:
    """Record the answer to one anomaly, as the township queue's answer form does (audited)."""
    found = Anomaly.get_or_none(Anomaly.id == anomaly_id)
    if found is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"没有编号为 {anomaly_id} 的异常。")
    anomalies.answer(CLI_PRINCIPAL, found, verdict, note)
    click.echo(f"异常 {anomaly_id} 已记录核实结果：{verdict}。")

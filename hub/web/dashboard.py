"""The dashboards (issue 16): the county's by township, a township's by village (hub/reports/figures.py), with the
stations' sync state.  Charts are SVG drawn here (hub/web/charts.py); the same figures as JSON at data.json."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from hub.county.clock import local_time
from hub.reports import figures
from hub.store.models import NodeVillage, Township, Village
from hub.sync.overview import node_rows, station_status
from hub.web import charts, scope
from shared.errors import ErrorCode, FieldsyncError
from shared.months import check_month, month_of

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
STATION_STATES = ("已登记", "长时间未联系", "已隔离（疑似复制）", "已停用", "待登记")


def _view() -> tuple[int | None, str, str]:
    """(township id or None for the county, township name or "", month) the caller asked for and may see."""
    township = scope.township_choice(request.args.get("township", "").strip(), "dashboard")
    found = Township.get_or_none(Township.name == township) if township else None
    if township and found is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"没有名为“{township}”的乡镇，请从列表中选择。")
    township_id = found.id if found else None
    asked = request.args.get("month", "").strip()
    if asked:
        return township_id, township, check_month(asked)
    today = datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()
    return township_id, township, figures.latest_month(township_id) or month_of(today)


def stations(township_id: int | None) -> list[dict[str, Any]]:
    """The stations of the view (a township's: those serving one of its villages), as the overview shows them."""
    rows = node_rows()
    if township_id is not None:
        serving = set(NodeVillage.select(NodeVillage.node).join(Village).where(Village.township == township_id)
                      .scalars())
        rows = [row for row in rows if row["node"].id in serving]
    return [{"name": row["node"].name, "villages": row["villages"],
             "status": station_status(row["node"], row["silent"]),
             "received": row["state"]["hwm"], "head": row["state"]["head"],
             "missing": sum(last - first + 1 for first, last in row["state"]["missing"]),
             "rejected": row["rejected"], "alarms": row["alarms"], "last_seen": local_time(row["node"].last_seen_at)}
            for row in rows]


def _data() -> dict[str, Any]:
    township_id, township, period = _view()
    max_age = timedelta(minutes=current_app.config["DASHBOARD_MAX_AGE_MINUTES"])
    found = figures.kept_dashboard(township_id, period, max_age)
    found["computed_at"] = local_time(found["computed_at"])
    found["township"] = township
    found["stations"] = stations(township_id)
    found["station_states"] = [[state, sum(1 for s in found["stations"] if s["status"] == state)]
                               for state in STATION_STATES]
    return found


@bp.route("/data.json")
def data() -> ResponseReturnValue:
    reply = jsonify(_data())
    reply.headers["Cache-Control"] = "no-store"
    return reply


def _charts(found: dict[str, Any]) -> dict[str, Any]:
    months, names = found["months"], found["units"]
    coverage, trend = found["coverage"], found["income_trend"]
    return {
        "coverage_trend": charts.line("走访覆盖率（按月）", months, [("合计", coverage["total"]["share"])],
                                      charts.percent, ceiling=1),
        "coverage_units": charts.heatmap("走访覆盖率（%，按月）", [
            (name, row["share"] if row["households"] else [None] * len(months))
            for name, row in zip(names, coverage["units"], strict=True)], months),
        "income_trend": charts.line("人均纯收入（年化，元）", months, [("合计", trend["total"])], charts.yuan,
                                    reference=(f"帮扶线 {found['income_line']:,} 元", found["income_line"])),
        "income_units": charts.bars(f"{found['period']} 人均纯收入（年化，元）", [
            (name, [row[-1]]) for name, row in zip(names, trend["units"], strict=True) if row[-1] is not None],
            ["人均纯收入"], charts.yuan, reference=(f"帮扶线 {found['income_line']:,}", found["income_line"])),
        "income_classes": charts.bars("收入分档（户）", list(zip(names, found["income_classes"]["units"],
                                                               strict=True)),
                                      found["income_classes"]["classes"]),
        "untransferred": charts.bars("未转移就业劳动力（人）", list(zip(names, found["untransferred"]["units"],
                                                                    strict=True)),
                                     found["untransferred"]["types"]),
        "anomalies": charts.bars("异常（条）", [(f"{a['rule']} {a['name']}", [a["open"], a["resolved"]])
                                            for a in found["anomalies"]], ["待处理", "已处理"]),
        "stations": charts.bars("站点（个）", [(state, [count]) for state, count in found["station_states"]],
                                ["站点"]),
    }


@bp.route("/")
def board() -> str:
    found = _data()
    return render_template("dashboard.html", data=found, charts=_charts(found), zip=zip,
                           max_age=current_app.config["DASHBOARD_MAX_AGE_MINUTES"],
                           townships=scope.visible_townships() if scope.visible_township_id() is None else [])

"""The city's page (issue 17, docs/upward.md): which counties reported the month and which are late, the city-wide
未转移就业 table assembled from the counties', and the alerts only the city can raise.  County-wide roles only.

A region hub shows the same page at ``/region/`` (hub/web/region.py) in the region's words: its counties are
those its cities forward, each named with its city, and its alarms name a city or a county."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request

from hub.upward import overview, region
from hub.web import auth
from shared.months import add_months, check_month, month_of

bp = Blueprint("city", __name__, url_prefix="/city")
LEVEL_NAMES = {"county": "县级", "city": "市级", "region": "区级"}


@dataclass(frozen=True)
class Words:
    """What the page calls things at one level."""

    total: str  # the table's last row
    verified: str  # how the records were checked
    none_enrolled: str  # the empty state
    alarm_source: str  # whom an alarm names


CITY_WORDS = Words("全市", "每条转发的走访记录都已用站点自己的密钥核验签名。",
                   "还没有登记下级平台：请管理员在服务器上为每个县生成一次性登记码，交给县里登记。", "县")
REGION_WORDS = Words("全区", "每条转发的走访记录都已逐级核验：市级平台的声明、县级平台的签名、站点自己的签名。",
                     "还没有市级平台转来县的上报：请管理员在服务器上为每个市生成一次性登记码，交给市里登记。",
                     "市或县")


def render_summary() -> str:
    """Counties' reporting of a month (default: the month before this one), in this hub's level's words."""
    level = current_app.config["HUB_LEVEL"]
    who = auth.principal()
    auth.require(who.county_wide, f"查看{LEVEL_NAMES[level]}汇总", level)
    today = datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()
    asked = request.args.get("month", "").strip()
    month = check_month(asked) if asked else add_months(month_of(today), -1)
    reports = overview.reports(month, today, current_app.config["REPORT_DAY"], current_app.config["TIMEZONE"])
    at_region = level == "region"
    return render_template("city.html", month=month, reports=reports,
                           deadline=overview.deadline(month, current_app.config["REPORT_DAY"]),
                           table=overview.untransferred(month), twice=overview.registered_twice(),
                           transferred=overview.transferred_twice(month), chains=overview.chain_faults(),
                           alarms=region.alarms() if at_region else overview.forged_alarms(),
                           level=LEVEL_NAMES[level], words=REGION_WORDS if at_region else CITY_WORDS)


@bp.route("/")
def summary() -> str:
    return render_summary()

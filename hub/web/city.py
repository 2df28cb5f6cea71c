"""The city's page (issue 17, docs/upward.md): which counties reported the month and which are late, the city-wide
未转移就业 table assembled from the counties', and the alerts only the city can raise.  County-wide roles only."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request

from hub.upward import overview
from hub.web import auth
from shared.months import add_months, check_month, month_of

bp = Blueprint("city", __name__, url_prefix="/city")
LEVEL_NAMES = {"county": "县级", "city": "市级", "region": "区级"}


@bp.route("/")
def summary() -> str:
    """Counties' reporting of a month (default: the month before this one)."""
    who = auth.principal()
    auth.require(who.county_wide, "查看市级汇总", "city")
    today = datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()
    asked = request.args.get("month", "").strip()
    month = check_month(asked) if asked else add_months(month_of(today), -1)
    reports = overview.reports(month, today, current_app.config["REPORT_DAY"], current_app.config["TIMEZONE"])
    return render_template("city.html", month=month, reports=reports,
                           deadline=overview.deadline(month, current_app.config["REPORT_DAY"]),
                           table=overview.untransferred(month), twice=overview.registered_twice(),
                           transferred=overview.transferred_twice(month), chains=overview.chain_faults(),
                           alarms=overview.forged_alarms(), level=LEVEL_NAMES[current_app.config["HUB_LEVEL"]])

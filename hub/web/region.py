"""The region's page (issue 17, docs/upward.md): the city's page one level up — every county its cities forward,
reporting the month against the 5th, the region-wide table, persons registered in two counties across cities, and
the alarms naming a city or a county.  County-wide roles only."""

from __future__ import annotations

from flask import Blueprint

from hub.web.city import render_summary

bp = Blueprint("region", __name__, url_prefix="/region")


@bp.route("/")
def summary() -> str:
    return render_summary()

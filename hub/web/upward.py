"""The county's page of its reporting upward (issue 17, docs/upward.md): the city it is enrolled at, the last
push-ups and how they ended, what is staged and not yet sent, the records the city refused and why, the months
sent.  County-wide roles only, on a county hub."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from hub.upward import standing
from hub.web import auth

bp = Blueprint("upward", __name__, url_prefix="/upward")


@bp.route("/")
def state() -> str:
    who = auth.principal()
    auth.require(who.county_wide, "查看本县向市级平台上报的情况", "upward")
    pushes = standing.pushes()
    refused, refused_total = standing.refused()
    return render_template("upward.html", link=standing.link(), pushes=pushes, last=pushes[0] if pushes else None,
                           waiting=standing.waiting(), sent=standing.sent_count(), refused=refused,
                           refused_total=refused_total, months=standing.months_sent(),
                           at_county=current_app.config["HUB_LEVEL"] == "county")

"""This month's coverage (the landing page) and the household page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request

from field_node import tasks
from field_node.roster import households as households_roster
from field_node.roster import visits
from field_node.store.state import now_text
from field_node.web import auth, chart, scope
from field_node.web.visit_form import age_in, is_labourer
from shared.months import is_month, months_back
from shared.schemas import RISKS, VISIT_METHODS
from shared.vocabulary import HEAD

bp = Blueprint("households", __name__)
auth.require_sign_in(bp)
FILTERS = ("all", visits.NOT_YET, visits.CONTACTED, visits.VISITED)


def this_month() -> str:
    """The station's month, from the Pi's clock (a wrong clock shows a wrong month, never loses data)."""
    return now_text()[:7]


@bp.route("/", methods=["GET", "POST"])
def coverage() -> Any:
    """The month's list.  A search is POSTed (names stay out of the URL, the browser history and proxy logs);
    its filter and page buttons post it again."""
    month = request.values.get("month") or this_month()
    if not is_month(month):
        abort(404)
    query = request.form.get("q", "").strip()[:40]
    shown = request.values.get("show", "all")
    shown = shown if shown in FILTERS else "all"
    numbers = visits.search(query) if query else None
    villages = scope.villages()
    counts = visits.coverage_counts(month, numbers, villages)
    total = sum(counts.values())
    size = current_app.config["NODE"].settings["PAGE_SIZE"]
    pages = max(1, -(-(total if shown == "all" else counts[shown]) // size))
    page = min(max(request.values.get("page", 1, type=int), 1), pages)
    rows = visits.coverage(month, numbers, shown, offset=(page - 1) * size, limit=size, villages=villages)
    waiting = tasks.waiting_count(villages)
    return render_template("coverage.html", waiting_tasks=waiting, month=month, query=query,
                           shown=shown, counts=counts, total=total, rows=rows, page=page, pages=pages,
                           filters=FILTERS)


@bp.route("/h/<number>")
def household(number: str) -> Any:
    found = scope.household_or_404(number)
    month = this_month()
    members = households_roster.members_of(number)
    months = months_back(month, 12)
    latest = visits.latest(number)
    labourers = [m for m in members if is_labourer(m, month)]
    return render_template(
        "household.html", household=found, month=month, latest=latest,
        head=next((m.name for m in members if m.relation == HEAD), ""),
        members=[{"member": m, "age": age_in(m.birth_month, month),
                  "labourer": m in labourers} for m in members],
        chart=chart.bars(months, visits.monthly_net(number, months)),
        risks=[RISKS[r] for r in (latest.risks.split(",") if latest and latest.risks else [])],
        history=visits.history(number), methods=VISIT_METHODS, saved=request.args.get("saved", type=int),
        tasks=tasks.waiting(number))

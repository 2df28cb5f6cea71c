"""Job postings at the station: the public pages over the station's copy (shared/jobs_web.py), and the station's
own postings — gig and seasonal work gathered at its 零工网点 — made and closed by signed-in staff."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from field_node import postings
from field_node.outbox import records
from field_node.roster import visits
from field_node.store.state import get_state, now_text
from field_node.web import auth, scope
from shared import free_text
from shared.errors import ErrorCode, FieldsyncError, field_messages
from shared.postings import (
    PAY_UNITS,
    POSTING_KINDS,
    POSTING_STATUSES,
    below_minimum_wage,
    display_status,
    posting_form_body,
)
from shared.rows import tuples

bp = Blueprint("station_postings", __name__)
auth.require_sign_in(bp)
FORM_FIELDS = ("kind", "employer", "title", "place", "pay", "pay_unit", "headcount", "period_start", "period_end",
               "requirements", "contact_name", "contact_phone", "valid_until")


class NodeBoard:
    channel = "node"

    def today(self) -> date:
        return date.fromisoformat(now_text()[:10])

    def jobs_url(self) -> str:
        node = current_app.config["NODE"]
        return node.settings["JOBS_URL"] or get_state("hub_url") or request.host_url.rstrip("/")

    def find(self, posting_id: str) -> dict[str, Any] | None:
        posting = postings.find(posting_id)
        if posting is None:
            return None
        document = postings.document(posting)
        return {**document, "display_status": display_status(document, self.today()),
                "sources": postings.sources(posting)}

    def open_postings(self) -> list[dict[str, Any]]:
        return [postings.document(posting) for posting in postings.board(self.today().isoformat())]

    def register_interest(self, body: dict[str, Any]) -> None:
        node = current_app.config["NODE"]
        _, problems = records.save_records(node.key(), node.node_id, [("interest", body)])
        if problems:
            raise FieldsyncError(ErrorCode.RECORD_INVALID, problems[0].message, problems[0].details)


@bp.route("/postings")
def listing() -> Any:
    return render_template("postings.html", own=postings.own(), kinds=POSTING_KINDS, units=PAY_UNITS,
                           statuses=POSTING_STATUSES, today=now_text()[:10])


@bp.route("/postings/new", methods=["GET", "POST"])
def new() -> Any:
    if request.method == "GET":
        return _form({"kind": "gig", "pay_unit": "day"}, {})
    values, body, errors = posting_form_body(request.form, FORM_FIELDS)
    township, village = _station_place()
    body["township"] = township
    if village:
        body["village"] = village
    if errors:
        return _form(values, errors, 422)
    node = current_app.config["NODE"]
    saved, problems = records.save_records(node.key(), node.node_id, [("posting", body)])
    if problems:
        return _form(values, field_messages(problems[0].details), 422)
    return redirect(url_for("station_postings.listing", saved=body["posting_id"]))


def _station_place() -> tuple[str, str | None]:
    """The township (and, for a one-village station, the village) a station's posting belongs to."""
    from field_node.store.models import Household

    places = list(tuples(Household.select(Household.township, Household.village).distinct().limit(2)))
    if not places:
        return "", None
    return places[0][0], places[0][1] if len(places) == 1 else None


def _form(values: dict[str, str], errors: dict[str, str], status: int = 200) -> Any:
    low = values.get("pay", "").isdigit() and below_minimum_wage(int(values["pay"]), values.get("pay_unit", ""),
                                                                 postings.minimum_wages())
    return render_template("posting_form.html", values=values, errors=errors, kinds=POSTING_KINDS,
                           units=PAY_UNITS, low_pay=low), status


@bp.route("/postings/<posting_id>/status", methods=["POST"])
def change_status(posting_id: str) -> Any:
    """A new version of one of the station's postings: filled or withdrawn."""
    posting = postings.Posting.get_or_none(postings.Posting.posting_id == posting_id)
    status = request.form.get("status", "")
    if posting is None or posting.local_seq is None or status not in POSTING_STATUSES:
        abort(404)
    body = {key: value for key, value in postings.document(posting).items() if value is not None}
    body.update(status=status, replaces=visits.record_hash(posting.local_seq))
    node = current_app.config["NODE"]
    records.save_records(node.key(), node.node_id, [("posting", body)])
    return redirect(url_for("station_postings.listing"))


def _labourer(number: str, member_id: int):  # a Member
    from field_node.store.models import Member

    scope.household_or_404(number)
    member = Member.get_or_none(Member.id == member_id, Member.household == number)
    if member is None:
        abort(404)
    return member


@bp.route("/h/<number>/recommend/<int:member_id>", methods=["GET", "POST"])
def recommend(number: str, member_id: int) -> Any:
    """Recommend an open posting to a labourer: a signed record for the labourer's ledger (001 §8)."""
    member = _labourer(number, member_id)
    today = now_text()[:10]
    board = postings.board(today)
    error = None
    if request.method == "POST":
        chosen = request.form.get("posting_id", "")
        note_problem = free_text.problem(request.form.get("note", ""))
        if chosen not in {posting.posting_id for posting in board}:
            error = "请选择一个岗位。"
        elif note_problem:
            error = note_problem
        else:
            body = {"posting_id": chosen, "person": member.person_key, "household": number, "date": today}
            note = request.form.get("note", "").strip()[:200]
            if note:
                body["note"] = note
            node = current_app.config["NODE"]
            saved, problems = records.save_records(node.key(), node.node_id, [("recommendation", body)])
            if not problems:
                return redirect(url_for("households.household", number=number, saved=saved[0].seq))
            error = problems[0].message
    return render_template("recommend.html", member=member, number=number, board=board, units=PAY_UNITS,
                           kinds=POSTING_KINDS, error=error), 422 if error else 200

"""Recording a visit: the form, drafts kept on the node, saving (signed and queued) and corrections."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from field_node.outbox import drafts
from field_node.roster import households as households_roster
from field_node.roster import visits
from field_node.store.models import Visit
from field_node.store.state import now_text
from field_node.web import auth, scope, visit_form
from field_node.web.households import this_month
from shared.errors import field_messages
from shared.schemas import ACK_STATUSES, CHANGE_TYPES, RISKS, UNCHANGED_ITEMS, VISIT_METHODS
from shared.vocabulary import HEAD, PROVINCES

bp = Blueprint("visits", __name__)
auth.require_sign_in(bp)


def context(number: str, month: str, *, correcting: bool = False) -> visit_form.Context:
    """The form's context for ``number`` in ``month`` (404 for a household outside the account's villages);
    ``earlier`` is the month's visit already recorded, unless this entry corrects one."""
    household = scope.household_or_404(number)
    members = households_roster.members_of(number)
    last = visits.latest(number, before=month)
    latest = None if correcting else visits.latest(number)
    return visit_form.Context(household, members, month, date.fromisoformat(now_text()[:10]), last,
                              visits.body_of(last.seq) if last else None,
                              current_app.config["NODE"].settings["INCOME_DROP_WARNING"],
                              earlier=latest if latest is not None and latest.month == month else None,
                              correcting=correcting)


def corrected_visit(number: str, seq: Any) -> Visit | None:
    """This household's visit no. ``seq`` if it may still be corrected (not corrected already), else None."""
    try:
        found = Visit.get_or_none(Visit.seq == int(seq), Visit.household == number)
    except (TypeError, ValueError):
        return None
    return found if found is not None and found.superseded_by is None else None


def _corrected(number: str) -> Visit | None:
    """The visit being corrected (``?correct=<seq>`` or the form's ``corrects``), checked to be this household's."""
    seq = request.values.get("correct", type=int)
    if seq is None:
        return None
    found = corrected_visit(number, seq)
    if found is None:
        abort(404)
    return found


def _render(ctx: visit_form.Context, values: MultiDict, *, status: int = 200, outcome=None,
            corrected: Visit | None = None, draft_time: str | None = None) -> Any:
    head = next((m.name for m in ctx.members if m.relation == HEAD), "")
    return render_template(
        "visit_form.html", ctx=ctx, values=values, errors=outcome.errors if outcome else {},
        warnings=outcome.warnings if outcome else {}, corrected=corrected, draft_time=draft_time,
        head=head, methods=VISIT_METHODS, places=visit_form.place_labels(_region_word()), provinces=PROVINCES,
        risks=RISKS,
        change_types=CHANGE_TYPES,
        ack_statuses=ACK_STATUSES, unchanged_items=UNCHANGED_ITEMS, sources=visit_form.SOURCES,
        change_rows=range(visit_form.CHANGE_ROWS),
        changes_open=bool(values.get("change_0_type")) or any(k.startswith("change_") for k in
                                                              (outcome.errors if outcome else {})),
        last_jobs={m.id: ctx.last_job(m) for m in ctx.labourers},
    ), status


def _region_word() -> str:
    return str(current_app.config["NODE"].settings["REGION_WORD"])


@bp.route("/h/<number>/visit", methods=["GET"])
def form(number: str) -> Any:
    corrected = _corrected(number)
    ctx = context(number, corrected.month if corrected else this_month(), correcting=corrected is not None)
    draft = drafts.kept(number, current_user.username)
    if draft is not None:
        values = MultiDict(json.loads(draft.fields))
        return _render(ctx, values, corrected=_corrected_from(values, number) or corrected,
                       draft_time=draft.updated_at)
    if corrected:
        return _render(ctx, visit_form.values_of(visits.body_of(corrected.seq), ctx), corrected=corrected)
    head = next((m.name for m in ctx.members if m.relation == HEAD), "")
    return _render(ctx, MultiDict({"date": now_text()[:10], "ack_by": head}))


def _corrected_from(values: MultiDict, number: str) -> Visit | None:
    seq = values.get("correct", type=int)
    return Visit.get_or_none(Visit.seq == seq, Visit.household == number) if seq else None


@bp.route("/h/<number>/visit", methods=["POST"])
def save(number: str) -> Any:
    corrected = _corrected(number)
    ctx = context(number, corrected.month if corrected else this_month(), correcting=corrected is not None)
    outcome = visit_form.parse(request.form, ctx, current_user.username, current_user.display_name)
    if outcome.body is None:
        return _render(ctx, request.form, status=422, outcome=outcome, corrected=corrected)
    if corrected:
        outcome.body["corrects"] = visits.record_hash(corrected.seq)
    saved, problems = _save_signed(number, outcome)
    if problems:  # the schema refused what the form checks let through: show it, keep the entry
        outcome.errors = field_messages(problems[0].details)
        return _render(ctx, request.form, status=422, outcome=outcome, corrected=corrected)
    return redirect(url_for("households.household", number=number, saved=saved[0].seq))


def _save_signed(number: str, outcome: visit_form.Outcome) -> tuple[list, list]:
    opened = current_app.config["NODE"]
    assert outcome.body is not None  # the caller saves only a form that parsed
    return drafts.save_visit(opened.key(), opened.node_id, number, current_user.username, outcome.body,
                             outcome.signature_png)


@bp.route("/h/<number>/draft", methods=["POST"])
def keep_draft(number: str) -> Any:
    """The form as typed so far, kept on the node (the phone's browser may be closed at any moment)."""
    scope.household_or_404(number)
    drafts.keep(number, current_user.username,
                {key: request.form.getlist(key) for key in request.form if key != "csrf_token"})
    return "", 204


@bp.route("/h/<number>/draft/discard", methods=["POST"])
def discard_draft(number: str) -> Any:
    scope.household_or_404(number)
    drafts.discard(number, current_user.username)
    target: dict[str, Any] = {"correct": request.form.get("correct")} if request.form.get("correct") else {}
    return redirect(url_for("visits.form", number=number, **target))

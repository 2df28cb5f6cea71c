"""The audited reveal of one person's full ID number and birth date (issue 12, item 1; DOMAIN.md §9); what a
page may show beside a masked number is hub/roster/disclosure.py."""

from __future__ import annotations

from flask import Blueprint, Response, make_response, render_template, request

from hub import audit
from hub.roster.disclosure import may_reveal
from hub.store.models import Household, Person
from hub.web import auth, scope
from shared.errors import ErrorCode, FieldsyncError

bp = Blueprint("disclosure", __name__)


@bp.route("/households/<number>/people/<int:person_id>/reveal", methods=["POST"])
def reveal(number: str, person_id: int) -> Response:
    """One person's full ID number and birth date, for a county user who gives the reason; audited."""
    who = auth.principal()
    household = Household.get_or_none(Household.number == number)
    person = Person.get_or_none(Person.id == person_id, Person.household == household) if household else None
    if person is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND, "没有这个人员，请从户页面重新进入。")
    scope.require_person(person, f"household:{number}")
    auth.require(may_reveal(who), "查看完整的身份证号码和出生日期", f"household:{number}")
    why = request.form.get("why", "").strip()
    if not why:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请写明查看完整身份证号码的原因（例如：核对证件、办理业务）。",
                             {"fields": {"why": ["必填。"]}})
    audit.record(who.actor, "person.reveal", f"household:{number}", None, {"person": person.id}, why[:500])
    reply = make_response(render_template("verify/reveal.html", person=person, number=number))
    reply.headers["Cache-Control"] = "no-store"
    return reply

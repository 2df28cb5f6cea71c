"""Verification pages (issue 6): answering an anomaly, sending it to the field, reopening it; spot checks; the
household's whole story.  Each action asks the principal first (hub/accounts/users.py) and refuses with a clear 403."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from hub import audit
from hub.accounts.users import IDENTITY_FIELDS, MEMBERSHIP_FIELDS
from hub.cleaning import anomalies
from hub.cleaning.anomalies import STATUS_ZH
from hub.cleaning.rules import CATALOGUE
from hub.roster import persons
from hub.roster.department_lists import KIND_NAMES
from hub.roster.disclosure import age_text, may_reveal, named_subjects
from hub.store.models import (
    Anomaly,
    DepartmentEntry,
    DepartmentList,
    Household,
    Node,
    Person,
    Record,
    SpotCheck,
    Township,
    VerificationTask,
    Village,
    Visit,
    VisitEmployment,
)
from hub.sync import own_records
from hub.verification import tasks as verification
from hub.web import auth, scope
from shared.errors import ErrorCode, FieldsyncError
from shared.idnumber import mask, mask_phone
from shared.months import month_of
from shared.verification import ANSWERS

bp = Blueprint("verify", __name__)
EDITABLE = ("name", "id_number", "gender", "birth_date", "relation", "labour_ability", "student", "phone", "status",
            "household")


def find_anomaly(anomaly_id: int) -> Anomaly:
    found = Anomaly.get_or_none(Anomaly.id == anomaly_id)
    if found is None:
        abort(404)
    scope.require_township(found.township_id, "查看其他乡镇的异常", f"anomaly:{anomaly_id}")
    return found


@bp.route("/cleaning/anomalies/<int:anomaly_id>/answer", methods=["POST"])
def answer(anomaly_id: int) -> Any:
    found = find_anomaly(anomaly_id)
    who = auth.principal()
    auth.require(who.can_answer(found.township_id), "答复这条异常", f"anomaly:{anomaly_id}")
    anomalies.answer(who, found, request.form.get("answer", ""), request.form.get("note", ""))
    return redirect(url_for("cleaning.anomaly", anomaly_id=anomaly_id))


@bp.route("/cleaning/anomalies/<int:anomaly_id>/send", methods=["POST"])
def send(anomaly_id: int) -> Any:
    found = find_anomaly(anomaly_id)
    who = auth.principal()
    auth.require(who.can_answer(found.township_id), "把这条异常派往村级核实", f"anomaly:{anomaly_id}")
    verification.send_to_field(who, found, request.form.get("question", ""))
    return redirect(url_for("cleaning.anomaly", anomaly_id=anomaly_id))


@bp.route("/cleaning/anomalies/<int:anomaly_id>/reopen", methods=["POST"])
def reopen(anomaly_id: int) -> Any:
    found = find_anomaly(anomaly_id)
    who = auth.principal()
    auth.require(who.can_reopen, "重新打开已答复的异常", f"anomaly:{anomaly_id}")
    anomalies.reopen(who, found, request.form.get("why", ""))
    return redirect(url_for("cleaning.anomaly", anomaly_id=anomaly_id))


def anomaly_context(found: Anomaly) -> dict[str, Any]:
    """What the anomaly page adds for verification: forms allowed, tasks, and the audit trail."""
    who = auth.principal()
    return {"who": who, "answers": ANSWERS, "can_answer": who.can_answer(found.township_id),
            "can_reopen": who.can_reopen,
            "tasks": list(VerificationTask.select().where(VerificationTask.anomaly == found.id)
                          .order_by(VerificationTask.id)),
            "trail": audit.entries_about(f"anomaly:{found.id}")}


@bp.route("/verify/spot-checks", methods=["GET", "POST"])
def spot_checks() -> Any:
    who = auth.principal()
    if request.method == "POST":
        auth.require(who.can_write_county, "抽取月度抽查样本")
        month = request.form.get("month", "") or month_of(date.today())
        verification.draw_spot_check(who, month, current_app.config["SPOT_CHECK_SIZE"],
                                     request.form.get("seed") or None)
        return redirect(url_for("verify.spot_checks"))
    checks = list(SpotCheck.select().order_by(SpotCheck.month.desc()))
    tasks = (VerificationTask.select(VerificationTask, Household, Village, Township).join(Household).join(Village)
             .join(Township).where(VerificationTask.spot_check_id.is_null(False)).order_by(VerificationTask.id.desc()))
    if scope.visible_township_id() is not None:
        tasks = tasks.where(Township.id == scope.visible_township_id())
    shown = list(tasks.limit(500))
    return render_template("verify/spot_checks.html", checks=checks, tasks=shown, heads=persons.heads(
                               [t.household.id for t in shown]), month=month_of(date.today()), answers=ANSWERS)


def _household(number: str) -> Household:
    found = (Household.select(Household, Village, Township).join(Village).join(Township)
             .where(Household.number == number).first())
    if found is None:
        abort(404)
    scope.require_township(found.village.township_id, "查看其他乡镇的农户", f"household:{number}")
    return found


@bp.route("/households/<number>")
def household(number: str) -> Any:
    """Everything about a household side by side: roster, visits by month with their authors and corrections,
    employment, anomalies and answers, verification tasks, and the audit trail of changes."""
    found = _household(number)
    people = list(Person.select().where(Person.household == found.id).order_by(Person.id))
    visits = list(Visit.select(Visit, Record, Node).join(Record).join(Node).where(Visit.household == found.id)
                  .order_by(Visit.month.desc(), Visit.id.desc()))
    jobs: dict[int, list[VisitEmployment]] = {}
    for job in VisitEmployment.select().where(VisitEmployment.visit.in_([v.id for v in visits])):
        jobs.setdefault(job.visit_id, []).append(job)
    names = {p.id_number: p.name for p in people}
    anomalies = list(Anomaly.select().where(Anomaly.household == found.id).order_by(Anomaly.id.desc()))
    tasks = list(VerificationTask.select().where(VerificationTask.household == found.id)
                 .order_by(VerificationTask.id.desc()))
    trail = audit.entries_about(f"household:{number}")
    hits = list(DepartmentEntry.select(DepartmentEntry, DepartmentList).join(DepartmentList)
                .where(DepartmentEntry.id_number.in_(list(names))).order_by(DepartmentList.month.desc()))
    return render_template(
        "verify/household.html", household=found, who=auth.principal(), identity=(*IDENTITY_FIELDS, *MEMBERSHIP_FIELDS),
        people=[{"person": p, "id": mask(p.id_number), "phone": mask_phone(p.phone),
                 "age": age_text(p.birth_date, date.today())} for p in people],
        can_reveal=may_reveal(auth.principal()), subjects=named_subjects(anomalies),
        visits=visits, jobs=jobs, names=names, mask=mask, anomalies=anomalies, tasks=tasks, trail=trail,
        rules=CATALOGUE, status_zh=STATUS_ZH, answers=ANSWERS, editable=EDITABLE, hits=hits,
        list_names=KIND_NAMES)


@bp.route("/households/<number>/people/<int:person_id>", methods=["POST"])
def correct_person(number: str, person_id: int) -> Any:
    """A correction by level (限级修改): identity fields only at county level; before, after and why audited."""
    found = _household(number)
    person = Person.get_or_none(Person.id == person_id, Person.household == found.id)
    if person is None:
        abort(404)
    current = {field: (getattr(person, field) or "") for field in EDITABLE if field != "household"}
    current["household"] = number
    changes: dict[str, Any] = {field: request.form[field].strip() for field in EDITABLE
               if request.form.get(field, "").strip() and request.form[field].strip() != current[field]}
    who = auth.principal()
    if set(changes) & set(IDENTITY_FIELDS):
        what = "修改身份信息（姓名、身份证号、性别、出生日期）"
    elif set(changes) & set(MEMBERSHIP_FIELDS):
        what = "修改家庭成员关系（迁入迁出、人员状态）"
    else:
        what = "修改这户的信息"
    auth.require(who.can_correct(found.village.township_id, set(changes)), what, f"household:{number}")
    why = request.form.get("why", "").strip()
    if not why:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请写明修改原因（依据什么核实）。")
    if "household" in changes:
        target = Household.get_or_none(Household.number == changes["household"])
        if target is None:
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"没有户编号“{changes['household']}”，请核对。")
        changes["household"] = target.id
    if changes:
        persons.correct_person(who.actor, person, changes, {field: current[field] for field in changes},
                               f"household:{number}", why)  # checks recomputed, stations receive it
    return redirect(url_for("verify.household", number=number))


@bp.route("/households/<number>/visits/<int:visit_id>/correct", methods=["POST"])
def correct_visit(number: str, visit_id: int) -> Any:
    """A correction of a visit's figures by township or county staff: a new record signed by the hub that names the
    record it corrects (the original stays, superseded), audited with the reason."""
    found = _household(number)
    visit = Visit.get_or_none(Visit.id == visit_id, Visit.household == found.id, Visit.superseded_by.is_null())
    if visit is None:
        abort(404)
    who = auth.principal()
    auth.require(who.can_correct(found.village.township_id, {"income"}), "更正走访记录", f"household:{number}")
    why = request.form.get("why", "").strip()
    if not why:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请写明更正原因（依据什么核实）。")
    income = dict(own_records.signed_body(visit)["income"])
    for source in income:
        raw = request.form.get(source, "").strip()
        if raw:
            if not raw.isdigit():
                raise FieldsyncError(ErrorCode.INVALID_FIELDS, "金额应为整数（元）。", {source: ["应为整数。"]})
            income[source] = int(raw)
    own_records.correct_visit(who.actor, visit, income, f"household:{number}", why)
    return redirect(url_for("verify.household", number=number))

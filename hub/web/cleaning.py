"""The county's cleaning pages (Chinese): runs, anomaly lists with filters, one anomaly with its records."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from peewee import JOIN, Case, fn

from hub import audit
from hub.cleaning import exports
from hub.cleaning.anomalies import BULK_ANSWERS, OPEN, STATUS_ZH, answer_many, corrections, priority, reopen_reasons
from hub.cleaning.rules import CATALOGUE
from hub.county.policy import source_name
from hub.jobs import queue, records
from hub.roster.disclosure import anomaly_detail, named_subjects
from hub.store.models import Anomaly, CleaningRun, Household, Job, Node, Person, Record, Township, Village, Visit
from hub.web import auth, scope
from hub.web import verification as verification_views
from shared.errors import ErrorCode, FieldsyncError
from shared.idnumber import mask
from shared.months import check_month
from shared.rows import tuples
from shared.verification import ANSWERS

bp = Blueprint("cleaning", __name__, url_prefix="/cleaning")
NAMED_RULES = {rule_id: replace(rule, source=source_name(rule.source)) for rule_id, rule in CATALOGUE.items()}
PAGE_SIZE = 100


@bp.route("/")
def runs() -> str:
    history = list(CleaningRun.select().order_by(CleaningRun.id.desc()).limit(30))
    latest = history[0] if history else None
    summary = json.loads(latest.counts) if latest else {}
    counts, skipped = summary.get("rules", {}), summary.get("skipped", {})  # skipped: above the county, with why
    township = request.args.get("township", "")
    period = latest.period if latest else ""
    coverage = [c for c in exports.coverage(period) if not township or c["township"] == township] if period else []
    jobs = records.recent((records.CLEAN,), 20)
    return render_template("cleaning/runs.html", history=history, latest=latest, counts=counts, rules=NAMED_RULES,
                           skipped=skipped, coverage=coverage,
                           townships=[t.name for t in Township.select().order_by(Township.position)],
                           township=township, jobs=jobs, active=records.active_cleaning(), job_zh=records.STATUS_ZH,
                           who=records.who, report=records.report, finished=_finished(jobs))


def _finished(jobs: list[Any]) -> Any:
    """The job asked for by ?job= once it has ended (its per-rule counts are shown), else None."""
    asked = request.args.get("job", type=int)
    return next((job for job in jobs if job.id == asked and job.status not in records.ACTIVE), None)


@bp.route("/run", methods=["POST"])
def start_run() -> ResponseReturnValue:
    """运行清洗: queue a cleaning run (county staff); refused in Chinese while another is queued or running."""
    who = auth.principal()
    auth.require(who.can_write_county, "运行数据清洗")
    period = request.form.get("period", "").strip()
    job = records.queue_cleaning(who.actor, {"period": check_month(period)} if period else {})
    audit.record(who.actor, "cleaning.queue", f"job:{job.id}", None, records.params(job))
    queue.enqueue(job.id)
    return redirect(url_for("cleaning.runs", job=job.id))


@bp.route("/jobs/<int:job_id>")
def job_state(job_id: int) -> ResponseReturnValue:
    """A cleaning job's state for the progress bar: status, which rule, how many of the catalogue done."""
    job = Job.get_or_none(Job.id == job_id, Job.kind == records.CLEAN)
    if job is None:
        abort(404)
    return jsonify(job_json(job))


def job_json(job: Job) -> dict[str, Any]:
    """What a progress bar shows of any job (its status in Chinese, progress while running, the message)."""
    state = queue.progress(job.id) if job.status == records.RUNNING else {}
    done = job.status in (records.DONE, records.FAILED)
    return {"status": job.status, "status_zh": records.STATUS_ZH[job.status], "ended": done,
            "done": state.get("done", 0), "total": state.get("total", 0), "step": state.get("step", ""),
            "message": job.message}


def _filters() -> dict[str, str]:
    chosen = {key: request.values.get(key, "") for key in ("township", "village", "rule", "status")}
    own = scope.visible_township_id()
    if own is not None:  # a township's queue: its own anomalies only
        chosen["township"] = Township.get_by_id(own).name
    elif chosen["township"]:
        scope.township_choice(chosen["township"], "anomalies")
    return chosen


def _filtered(query: Any, chosen: dict[str, str]) -> Any:
    """``query`` (joined to Township and Village) narrowed to the chosen township, village and rule."""
    if chosen["township"]:
        query = query.where(Township.name == chosen["township"])
    if chosen["village"]:
        query = query.where(Village.name == chosen["village"])
    if chosen["rule"]:
        query = query.where(Anomaly.rule == chosen["rule"])
    return query


def _joined(*columns: Any) -> Any:
    return (Anomaly.select(*columns).join(Township, JOIN.LEFT_OUTER).switch(Anomaly).join(Village, JOIN.LEFT_OUTER)
            .switch(Anomaly))


PRIORITY = Case(Anomaly.rule, [(rule_id, priority(rule_id)) for rule_id in CATALOGUE], 999)


@bp.route("/anomalies")
def anomalies() -> str:
    """The township's queue (the county's, for county roles): by priority — policy risk first — then place."""
    chosen = _filters()
    query = _filtered(_joined(Anomaly, Township, Village, Household).join(Household, JOIN.LEFT_OUTER), chosen)
    query = query.where(Anomaly.status == (chosen["status"] or OPEN))
    page = max(1, request.args.get("page", 1, type=int))
    total = query.count()
    rows = list(query.order_by(PRIORITY, Township.position, Village.name, Household.number, Anomaly.id)
                .paginate(page, PAGE_SIZE))
    counted = _filtered(_joined(Anomaly.status, fn.COUNT(Anomaly.id)), chosen).group_by(Anomaly.status)
    by_status = dict(tuples(counted))  # the counts follow the filter
    return render_template("cleaning/anomalies.html", rows=rows, total=total, page=page, page_size=PAGE_SIZE,
                           subjects=named_subjects(rows), chosen=chosen, rules=CATALOGUE,
                           status_zh=STATUS_ZH, by_status=by_status, townships=scope.visible_townships(),
                           reopened=reopen_reasons([a.id for a in rows]), answers=ANSWERS,
                           bulk_answers=BULK_ANSWERS,
                           can_answer=auth.principal().can_answer(scope.visible_township_id()))


@bp.route("/anomalies/answer", methods=["POST"])
def answer_filtered() -> Any:
    """One answer and one note for every open anomaly of the filter (the caller's township's only), audited per
    anomaly; the form carries the count it showed, so a list that changed meanwhile is not answered blind."""
    chosen = {**_filters(), "status": OPEN}
    who = auth.principal()
    found = list(_filtered(_joined(Anomaly).join(Household, JOIN.LEFT_OUTER), chosen)
                 .where(Anomaly.status == OPEN))
    for anomaly in found:
        auth.require(who.can_answer(anomaly.township_id), "答复这些异常", f"anomaly:{anomaly.id}")
    expected = request.form.get("count", type=int)
    if expected != len(found):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"筛选结果已变化（现在是 {len(found)} 条，页面上是 "
                             f"{expected or 0} 条），请刷新后重新核对再批量答复。")
    answered = answer_many(who, found, request.form.get("answer", ""), request.form.get("note", ""))
    flash(f"已批量答复 {answered} 条异常。")
    kept: dict[str, Any] = {key: value for key, value in chosen.items() if key != "status" and value}
    return redirect(url_for("cleaning.anomalies", **kept))


@bp.route("/anomalies/<int:anomaly_id>")
def anomaly(anomaly_id: int) -> str:
    found = verification_views.find_anomaly(anomaly_id)
    members: list[dict[str, Any]] = []
    visits: list[Any] = []
    if found.household_id:
        members = [{"name": p.name, "id": mask(p.id_number), "relation": p.relation, "labour": p.labour_ability,
                    "status": p.status} for p in Person.select().where(Person.household == found.household_id)]
        visits = list(Visit.select(Visit, Record, Node).join(Record).join(Node)
                      .where(Visit.household == found.household_id).order_by(Visit.month.desc(), Visit.id.desc())
                      .limit(24))
    detail = anomaly_detail(json.loads(found.detail), date.today(), found.rule)
    return render_template("cleaning/anomaly.html", anomaly=found, rule=CATALOGUE.get(found.rule),
                           detail=detail, subject=named_subjects([found])[found.id], members=members,
                           visits=visits, status_zh=STATUS_ZH, corrections=corrections(found),
                           reopened=reopen_reasons([found.id]).get(found.id),
                           **verification_views.anomaly_context(found))

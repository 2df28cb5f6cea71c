"""The county's cleaning pages (Chinese): runs, anomaly lists with filters, one anomaly with its records."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from peewee import JOIN, fn

from hub import audit
from hub.cleaning import exports
from hub.cleaning.anomalies import STATUS_ZH
from hub.cleaning.rules import CATALOGUE
from hub.jobs import queue, records
from hub.roster.disclosure import anomaly_detail, named_subjects
from hub.store.models import Anomaly, CleaningRun, Household, Job, Node, Person, Record, Township, Village, Visit
from hub.web import auth, scope
from hub.web import verification as verification_views
from shared.idnumber import mask
from shared.months import check_month
from shared.rows import tuples

bp = Blueprint("cleaning", __name__, url_prefix="/cleaning")
PAGE_SIZE = 100


@bp.route("/")
def runs() -> str:
    history = list(CleaningRun.select().order_by(CleaningRun.id.desc()).limit(30))
    latest = history[0] if history else None
    counts = json.loads(latest.counts)["rules"] if latest else {}
    township = request.args.get("township", "")
    period = latest.period if latest else ""
    coverage = [c for c in exports.coverage(period) if not township or c["township"] == township] if period else []
    jobs = records.recent((records.CLEAN,), 20)
    return render_template("cleaning/runs.html", history=history, latest=latest, counts=counts, rules=CATALOGUE,
                           coverage=coverage, townships=[t.name for t in Township.select().order_by(Township.position)],
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
            "done": state.get("done", 0), "total": state.get("total", 0), "step": state.get("rule_zh", ""),
            "message": job.message}


def _filters() -> dict[str, str]:
    return {key: request.args.get(key, "") for key in ("township", "village", "rule", "status")}


@bp.route("/anomalies")
def anomalies() -> str:
    chosen = _filters()
    own = scope.visible_township_id()
    if own is not None:  # a township's queue: its own anomalies only
        chosen["township"] = Township.get_by_id(own).name
    query = (Anomaly.select(Anomaly, Township, Village, Household)
             .join(Township, JOIN.LEFT_OUTER).switch(Anomaly).join(Village, JOIN.LEFT_OUTER)
             .switch(Anomaly).join(Household, JOIN.LEFT_OUTER))
    if chosen["township"]:
        query = query.where(Township.name == chosen["township"])
    if chosen["village"]:
        query = query.where(Village.name == chosen["village"])
    if chosen["rule"]:
        query = query.where(Anomaly.rule == chosen["rule"])
    query = query.where(Anomaly.status == (chosen["status"] or "open"))
    page = max(1, request.args.get("page", 1, type=int))
    total = query.count()
    rows = list(query.order_by(Township.position, Village.name, Household.number, Anomaly.rule)
                .paginate(page, PAGE_SIZE))
    counted = Anomaly.select(Anomaly.status, fn.COUNT(Anomaly.id)).group_by(Anomaly.status)
    if own is not None:
        counted = counted.where(Anomaly.township == own)
    by_status = dict(tuples(counted))
    townships = scope.visible_townships()
    return render_template("cleaning/anomalies.html", rows=rows, total=total, page=page, page_size=PAGE_SIZE,
                           subjects=named_subjects(rows), chosen=chosen, rules=CATALOGUE,
                           status_zh=STATUS_ZH, by_status=by_status,
                           townships=townships)


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
    detail = anomaly_detail(json.loads(found.detail), date.today())
    return render_template("cleaning/anomaly.html", anomaly=found, rule=CATALOGUE.get(found.rule),
                           detail=detail, subject=named_subjects([found])[found.id], members=members,
                           visits=visits, status_zh=STATUS_ZH,
                           **verification_views.anomaly_context(found))

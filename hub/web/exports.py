"""Downloads (issue 15): every export of hub/cleaning/exports.py on the web, each user scoped to what their role
may see, every download audited.

A township officer downloads their own township's anomaly list only; county roles download every township's and
the county-wide tables (untransferred labour, income classes, coverage).  Asking for one queues a job: the worker
builds the file (hub/jobs/downloads.py) while the page shows its progress, then offers it to the user who asked
and to no one else; fetched once, it is deleted, and unfetched it is deleted after DOWNLOAD_KEEP_MINUTES.  Every
fetch is audited (``export.download``), every refused one too (``access.denied``).
"""

from __future__ import annotations

import shutil
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from hub import audit
from hub.jobs import downloads, queue, records
from hub.store.models import Job, Township
from hub.web import auth, scope
from hub.web.cleaning import job_json
from shared.errors import ErrorCode, FieldsyncError
from shared.months import check_month, month_of, previous_month

bp = Blueprint("exports", __name__, url_prefix="/exports")
GONE = "这份文件已经下载过，或生成后超过 {minutes} 分钟未下载已删除：请回到“下载报表”重新生成。"


def _app() -> Any:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _period() -> str:
    asked = request.values.get("period", "").strip()
    return check_month(asked) if asked else previous_month(month_of(date.today()))


def _format(fmt: str) -> str:
    if fmt not in downloads.FORMATS:
        abort(404)
    return fmt


@bp.route("/")
def index() -> ResponseReturnValue:
    who = auth.principal()
    downloads.prune(_app())
    return render_template("exports/index.html", townships=scope.visible_townships(), period=_period(),
                           tables=downloads.COUNTY_TABLES if who.county_wide else {}, formats=downloads.FORMATS,
                           mine=records.mine(who.actor, records.EXPORT), job_zh=records.STATUS_ZH,
                           params=records.params, title=downloads.title)


def _queue(params: dict[str, str]) -> ResponseReturnValue:
    job = records.create(records.EXPORT, auth.principal().actor, params=params)
    queue.enqueue(job.id)
    return redirect(url_for("exports.job", job_id=job.id))


@bp.route("/anomalies/<township>.<fmt>", methods=["POST"])
def anomaly_list(township: str, fmt: str) -> ResponseReturnValue:
    """Ask for a township's anomaly list: its own township for a township officer, any for county roles."""
    place = Township.get_or_none(Township.name == township)
    scope.require_township(place.id if place else None, "下载其他乡镇的异常清单", f"export:anomalies:{township}")
    if place is None:
        abort(404)
    return _queue(downloads.request_params(downloads.ANOMALIES, _format(fmt), township=township))


@bp.route("/<table>.<fmt>", methods=["POST"])
def county_table(table: str, fmt: str) -> ResponseReturnValue:
    """Ask for a county-wide table (every township's people): county roles only."""
    if table not in downloads.COUNTY_TABLES:
        abort(404)
    auth.require(auth.principal().county_wide, "下载全县的报表", f"export:{table}")
    return _queue(downloads.request_params(table, _format(fmt), period=_period()))


def _subject(params: dict[str, Any]) -> str:
    return f"export:anomalies:{params['township']}" if params["table"] == downloads.ANOMALIES else \
        f"export:{params['table']}"


def _own(job_id: int) -> Job:
    """A download job of the signed-in user; anyone else's is refused (and audited), even a county admin's."""
    job = Job.get_or_none(Job.id == job_id, Job.kind == records.EXPORT)
    if job is None:
        abort(404)
    auth.require(job.actor == auth.principal().actor, "下载别人生成的文件", f"export-job:{job_id}")
    return job


@bp.route("/jobs/<int:job_id>")
def job(job_id: int) -> ResponseReturnValue:
    """One download: its progress while the worker builds it, then the link to fetch it (once)."""
    found = _own(job_id)
    params = records.params(found)
    return render_template("exports/job.html", job=found, title=downloads.title(params), params=params,
                           job_zh=records.STATUS_ZH, active=found.status in records.ACTIVE,
                           ready=downloads.waiting_file(_app(), found) is not None, result=records.report(found),
                           expires_at=downloads.expires_at(_app(), found), fetched_at=records.fetched_at(found),
                           minutes=current_app.config["DOWNLOAD_KEEP_MINUTES"])


@bp.route("/jobs/<int:job_id>/state")
def job_state(job_id: int) -> ResponseReturnValue:
    return jsonify(job_json(_own(job_id)))


@bp.route("/jobs/<int:job_id>/file")
def fetch(job_id: int) -> ResponseReturnValue:
    """The built file, to the user who asked, once: it is deleted as it is sent; the fetch is audited."""
    found = _own(job_id)
    path = downloads.waiting_file(_app(), found)
    if path is None or not records.claim_download(found):
        minutes = current_app.config["DOWNLOAD_KEEP_MINUTES"]
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, GONE.format(minutes=minutes))
    params = records.params(found)
    handle = path.open("rb")
    shutil.rmtree(path.parent)  # the open handle still reads it; nothing is left on disk
    audit.record(found.actor, "export.download", _subject(params), None,
                 {key: value for key, value in params.items() if value} | {"job": found.id})
    reply = send_file(handle, mimetype=downloads.FORMATS[params["format"]], as_attachment=True,
                      download_name=path.name)
    reply.headers["Cache-Control"] = "no-store"
    return reply

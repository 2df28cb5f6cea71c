"""Uploads (issue 15): the roster, other departments' lists and job postings, each run as a job through the same
import code as the command line (same limits), its row report shown in Chinese and kept as the import's record.

County staff only: an import changes the whole county's data.  The file waits in the private data folder until
the worker has read it, then is deleted; who uploaded which file when is in the job table and the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hub import audit
from hub.jobs import queue, records, tasks
from hub.roster.department_lists import KIND_NAMES
from hub.store.models import Job
from hub.web import auth
from hub.web.cleaning import job_json
from shared.errors import ErrorCode, FieldsyncError
from shared.months import check_month
from shared.table_files import SUFFIXES

bp = Blueprint("imports", __name__, url_prefix="/imports")
KINDS = tuple(records.IMPORT_KINDS)


def _staff(what: str) -> Any:
    who = auth.principal()
    auth.require(who.can_write_county, what)
    return who


def allow_large_upload() -> None:
    """An upload may be as large as the import limit allows, not the 4 MB of other requests.  Registered on the
    app before CSRF protection, which reads the form first."""
    if request.endpoint == "imports.upload":
        request.max_content_length = current_app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"]


@bp.errorhandler(413)
def too_large(_error: Exception) -> ResponseReturnValue:
    """A file over the import limit: the upload page again, saying so (not the sync API's message)."""
    return _page({"file": ErrorCode.TABLE_TOO_LARGE.default_message}, 413)


@bp.route("/")
def index() -> ResponseReturnValue:
    _staff("导入数据")
    return _page({}, 200)


def _page(errors: dict[str, str], status: int) -> ResponseReturnValue:
    return render_template("imports/index.html", kinds=records.IMPORT_KINDS, list_kinds=KIND_NAMES, errors=errors,
                           jobs=records.recent(KINDS, 50), job_zh=records.STATUS_ZH, who=records.who,
                           report=records.report, params=records.params), status


@bp.route("/", methods=["POST"])
def upload() -> ResponseReturnValue:
    """Take the file, queue its import, open its record page (which follows it to the row report)."""
    who = _staff("导入数据")
    kind = request.form.get("kind", "")
    file = request.files.get("file")
    name = Path(file.filename or "").name if file else ""
    suffix = Path(name).suffix.lower()
    if kind not in KINDS:
        return _page({"kind": "请选择要导入的是花名册、部门名单还是岗位表。"}, 422)
    if file is None or suffix not in SUFFIXES:
        return _page({"file": "请选择 .xlsx、.xls、.ods 或 .csv 文件。"}, 422)
    params: dict[str, str] = {}
    if kind == "department_list":
        list_kind = request.form.get("list_kind", "")
        if list_kind not in KIND_NAMES:
            return _page({"list_kind": f"请选择名单类型（{'、'.join(KIND_NAMES.values())}）。"}, 422)
        try:
            params = {"list_kind": list_kind, "month": check_month(request.form.get("month", "").strip())}
        except FieldsyncError as error:
            return _page({"month": error.message}, 422)
    job = records.create(kind, who.actor, name, params)
    saved = tasks.upload_path(current_app._get_current_object(), job.id, suffix)  # type: ignore[attr-defined]
    file.save(saved)
    audit.record(who.actor, "import.upload", f"job:{job.id}", None, {"kind": kind, "file": name, **params})
    try:
        queue.enqueue(job.id)
    except FieldsyncError:
        saved.unlink(missing_ok=True)  # the job failed: nothing will read it
        raise
    return redirect(url_for("imports.record", job_id=job.id))


def _job(job_id: int) -> Job:
    _staff("查看导入记录")
    job = Job.get_or_none(Job.id == job_id, Job.kind.in_(KINDS))
    if job is None:
        abort(404)
    return job


@bp.route("/<int:job_id>")
def record(job_id: int) -> ResponseReturnValue:
    """One import: who uploaded which file when, and its row report (or its progress while it runs)."""
    job = _job(job_id)
    return render_template("imports/record.html", job=job, kinds=records.IMPORT_KINDS, list_kinds=KIND_NAMES,
                           job_zh=records.STATUS_ZH, who=records.who, result=records.report(job),
                           params=records.params(job), active=job.status in records.ACTIVE)


@bp.route("/<int:job_id>/state")
def state(job_id: int) -> ResponseReturnValue:
    return jsonify(job_json(_job(job_id)))

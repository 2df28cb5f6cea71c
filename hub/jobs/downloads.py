"""Downloads built by the worker (issue 15): a township's anomaly list or a county-wide table, written off the
web request (at county scale one township's list takes seconds, the income table minutes: README's reports
bench), kept for the one user who asked, and deleted once fetched.

The file waits as ``<DATA_DIR>/downloads/<job id>/<name>`` — the folder 0700, the file 0600 — until that user
fetches it (hub/web/exports.py; audited there) or DOWNLOAD_KEEP_MINUTES pass, whichever comes first.  ``prune``
deletes what is fetched, expired, failed or orphaned; the worker runs it every few minutes and the downloads page
at each visit.  The job row (who asked for what, when) stays as the record.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from hub.cleaning import exports
from hub.cleaning.catalogue import Context
from hub.cleaning.rules import facts
from hub.county.clock import utcnow
from hub.county.parameters import parameters
from hub.jobs import records
from hub.store.models import Job
from shared.errors import ErrorCode, FieldsyncError
from shared.private_files import FILE_MODE, FOLDER_MODE

log = logging.getLogger(__name__)
FOLDER = "downloads"
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}
ANOMALIES = "anomalies"
Writer = Callable[[Path, str], list[Path]]


def _labour(out: Path, period: str) -> list[Path]:
    return exports.untransferred_labour(out, period)


def _income(out: Path, period: str) -> list[Path]:
    ctx = Context(period, date.today(), parameters())
    facts.build_household_months(ctx)
    return exports.quarterly_income(out, ctx)


def _coverage(out: Path, period: str) -> list[Path]:
    return exports.coverage_table(out, period)


# The county-wide tables: name -> (title, writer).
COUNTY_TABLES: dict[str, tuple[str, Writer]] = {
    "labour": ("未转移就业脱贫劳动力就业情况统计表", _labour),
    "income": ("收入分档与预警", _income),
    "coverage": ("走访覆盖", _coverage),
}


def title(params: dict[str, Any]) -> str:
    """What the download is, as the page names it: 板榄镇异常清单, 走访覆盖 2026-10 …"""
    if params["table"] == ANOMALIES:
        return f"{params['township']}异常清单"
    return f"{COUNTY_TABLES[params['table']][0]} {params['period']}"


def request_params(table: str, fmt: str, township: str = "", period: str = "") -> dict[str, str]:
    """A download's parameters as the job row keeps them (checked by the caller: scope, table, format)."""
    return {"table": table, "format": fmt, "township": township, "period": period}


def root(app: Flask) -> Path:
    folder = Path(app.config["DATA_DIR"]) / FOLDER
    folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
    folder.chmod(FOLDER_MODE)
    return folder


def folder_of(app: Flask, job_id: int) -> Path:
    return root(app) / str(job_id)


def build(app: Flask, job: Job, progress: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The job's work in the worker: write the file (in a private scratch folder first), keep the one asked for."""
    params = records.params(job)
    progress({"done": 0, "total": 0, "step": f"正在生成：{title(params)}"})
    with tempfile.TemporaryDirectory(dir=root(app)) as scratch:  # 0700, removed with what else the writer made
        wanted = [path for path in _write(params, Path(scratch)) if path.suffix == f".{params['format']}"]
        if not wanted:
            raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, "这份报表没有可下载的内容。")
        target = folder_of(app, job.id)
        target.mkdir(mode=FOLDER_MODE)
        kept = Path(shutil.move(wanted[0], target / wanted[0].name))
        kept.chmod(FILE_MODE)
    return {"file": kept.name, "bytes": kept.stat().st_size, "title": title(params)}


def _write(params: dict[str, Any], out: Path) -> list[Path]:
    if params["table"] == ANOMALIES:
        return exports.anomaly_lists(out, params["township"])
    return COUNTY_TABLES[params["table"]][1](out, params["period"])


def expires_at(app: Flask, job: Job) -> datetime | None:
    if job.finished_at is None:
        return None
    return job.finished_at + timedelta(minutes=app.config["DOWNLOAD_KEEP_MINUTES"])


def waiting_file(app: Flask, job: Job) -> Path | None:
    """The built file while it may still be fetched: done, not fetched, not expired; None otherwise."""
    ends = expires_at(app, job)
    if job.status != records.DONE or ends is None or ends <= utcnow() or records.fetched_at(job):
        return None
    path = folder_of(app, job.id) / records.report(job).get("file", "")
    return path if path.is_file() else None


def prune(app: Flask) -> int:
    """Delete every download folder that may no longer be fetched (fetched, expired, failed, or of no job); the
    number deleted.  Folders of jobs still queued or running are left alone."""
    removed = 0
    for folder in root(app).iterdir():
        if not folder.is_dir() or not folder.name.isdigit():
            continue  # a writer's scratch folder is removed by the writer
        job = Job.get_or_none(Job.id == int(folder.name))
        if job is not None and job.status in records.ACTIVE:
            continue
        if job is None or waiting_file(app, job) is None:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed

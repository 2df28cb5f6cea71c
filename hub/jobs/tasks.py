"""The work the queue runs, each inside the hub's app, through the same functions as the command line.

``run_job`` takes a row of the job table and runs it by kind: a cleaning run (hub/cleaning/runner.py, with its
progress), a roster (hub/roster/importer.py), another department's list (hub/roster/department_lists.py) or job
postings (hub/postings/importer.py).  The row ends done with its report, or failed with the Chinese message of
the error; an uploaded file is deleted once read.  A download (hub/jobs/downloads.py) is built here too.
``scheduled_cleaning`` is the run of the 1st, 11th and 21st.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from hub.cleaning import above, runner
from hub.cleaning.rules import CATALOGUE
from hub.county.clock import utcnow
from hub.jobs import downloads, records
from hub.postings import importer as postings
from hub.reports import figures
from hub.roster import department_lists
from hub.roster import importer as roster
from hub.store import db
from hub.store.models import Job, UpwardLink
from hub.sync import own_records, projections
from hub.upward import loader, push
from shared.errors import FieldsyncError
from shared.table_files import RowError

log = logging.getLogger(__name__)
SCHEDULE_DAYS = (1, 11, 21)
SCHEDULE_ACTOR = "schedule"
UPLOADS = "uploads"
Report = dict[str, Any]
Progress = Callable[[dict[str, Any]], None]


def upload_path(app: Flask, job_id: int, suffix: str) -> Path:
    """Where an uploaded file waits for its job: the private data folder, never a shared temporary one."""
    folder = Path(app.config["DATA_DIR"]) / UPLOADS
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / f"{job_id}{suffix}"


@contextmanager
def in_app(app: Flask) -> Iterator[None]:
    """Inside the hub's app with a database connection (closed after, unless the caller held one open)."""
    with app.app_context():
        opened = db.database.is_closed()
        if opened:
            db.database.connect()
        try:
            yield
        finally:
            if opened and not db.database.is_closed():
                db.database.close()


def run_job(app: Flask, progress: Progress, job_id: int) -> None:
    with in_app(app):
        _run(app, progress, job_id)


def _run(app: Flask, progress: Progress, job_id: int) -> None:
    if not records.start(job_id):
        return  # taken by another worker, or already ended
    job = Job.get_by_id(job_id)
    try:
        report = WORK[job.kind](app, job, progress)
    except FieldsyncError as error:
        records.fail(job_id, error.message)
    except Exception:
        log.exception("job %s (%s) failed", job_id, job.kind)
        records.fail(job_id, "内部错误，这项工作没有完成：请联系县级管理员查看平台日志。")
    else:
        records.finish(job_id, report)
    finally:
        if job.kind in records.IMPORT_KINDS:
            for path in Path(app.config["DATA_DIR"], UPLOADS).glob(f"{job_id}.*"):
                path.unlink(missing_ok=True)


def _clean(app: Flask, job: Job, progress: Progress) -> Report:
    done: list[str] = []

    def step(rule_id: str) -> None:
        done.append(rule_id)
        progress({"done": len(done), "total": len(CATALOGUE), "step": f"正在检查：{CATALOGUE[rule_id].zh}"})

    progress({"done": 0, "total": len(CATALOGUE), "step": ""})
    level = app.config["HUB_LEVEL"]
    if above.is_above(level):  # visits filed before this hub had the loader
        loader.backfill(utcnow().isoformat(" "))
    record = runner.run(records.params(job).get("period") or None, progress=step, level=level)
    if above.is_above(level):  # each county's reported anomaly counts against this run
        projections.recheck_counties(record.period)
    return {"run_id": record.id, "period": record.period, "opened": record.opened, "closed": record.closed,
            "rules": json.loads(record.counts)["rules"], "skipped": json.loads(record.counts).get("skipped", {})}


def _rows(errors: list[RowError]) -> list[list[Any]]:
    return [[error.row, error.message] for error in errors]


def _file(app: Flask, job: Job) -> Path:
    return upload_path(app, job.id, Path(job.file_name).suffix.lower())


def _roster(app: Flask, job: Job, progress: Progress) -> Report:
    found = roster.import_roster(_file(app, job), lambda step, done, total: progress(
        {"done": done, "total": total, "step": f"正在{step}"}))
    summary = (f"读取 {found.rows} 行：新增 {found.households_created} 户，更新 {found.households_changed} 户，"
               f"未变 {found.households_unchanged} 户。")
    if found.villages_created:
        summary += f"新建村（安置点）{len(found.villages_created)} 个：{'、'.join(found.villages_created)}。"
    return {"rows": found.rows, "imported": found.households_created + found.households_changed,
            "summary": summary, "errors": _rows(found.errors), "warnings": _rows(found.warnings)}


def _department_list(app: Flask, job: Job, progress: Progress) -> Report:
    kind, month = records.params(job)["list_kind"], records.params(job)["month"]
    found = department_lists.import_list(kind, _file(app, job), month)
    label = f"{month} {department_lists.KIND_NAMES[kind]}"
    if found.unchanged:
        summary = f"{label}：这个文件已经导入过，未作改动（读取 {found.rows} 行）。"
    elif found.errors and not found.imported:
        summary = f"{label}：读取 {found.rows} 行，没有一行可以导入，原有名单保持不变。"
    else:
        replaced = f"，替换了原先的 {found.replaced} 条" if found.replaced else ""
        summary = f"{label}：读取 {found.rows} 行，导入 {found.imported} 条{replaced}。"
    return {"rows": found.rows, "imported": found.imported, "summary": summary, "errors": _rows(found.errors),
            "warnings": []}


def _postings(app: Flask, job: Job, progress: Progress) -> Report:
    found = postings.import_postings(_file(app, job), own_records.sign,
                                     lambda done, total: progress({"done": done, "total": total}))
    summary = (f"共 {found.rows} 行：新增 {found.created} 个岗位（其中 {found.held} 个低于最低工资，待审核），"
               f"{found.unchanged} 个已导入过，{len(found.errors)} 行有问题。")
    return {"rows": found.rows, "imported": found.created, "summary": summary, "errors": _rows(found.errors),
            "warnings": []}


WORK: dict[str, Callable[[Flask, Job, Progress], Report]] = {
    records.CLEAN: _clean, "roster": _roster, "department_list": _department_list, "postings": _postings,
    records.EXPORT: downloads.build}


def county_time(app: Flask, now_utc: datetime) -> datetime:
    return now_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(app.config["TIMEZONE"]))


def cleaning_due(app: Flask, now_utc: datetime) -> bool:
    """huey asks each minute (in UTC): is it the scheduled cleaning's minute in the county's time?"""
    local = county_time(app, now_utc)
    return local.day in SCHEDULE_DAYS and local.hour == app.config["CLEANING_HOUR"] and local.minute == 0


def scheduled_cleaning(app: Flask, enqueue: Callable[[int], Any]) -> int | None:
    """Queue the scheduled run, once per slot however many workers run the schedule; None when skipped."""
    with in_app(app):
        slot = county_time(app, datetime.utcnow()).strftime("%Y-%m-%d")
        taken = Job.select().where(Job.kind == records.CLEAN, Job.actor == SCHEDULE_ACTOR,
                                   Job.params.contains(f'"{slot}"')).exists()
        if taken:
            return None
        try:
            job = records.queue_cleaning(SCHEDULE_ACTOR, params={"slot": slot})
        except FieldsyncError:
            return None  # a run started on the web is under way
    enqueue(job.id)
    return job.id


UPWARD_MINUTE = 30  # the worker pushes a county's month up every hour at this minute (docs/upward.md)


def dashboard_due(app: Flask, now_utc: datetime) -> bool:
    """huey asks each minute: is it time to refresh the dashboards' kept figures (every half of their age)?"""
    return now_utc.minute % max(1, app.config["DASHBOARD_MAX_AGE_MINUTES"] // 2) == 0


def refresh_dashboards(app: Flask) -> int:
    """Refresh the dashboards' figures people have opened, before they get too old; how many views."""
    with in_app(app):
        refreshed = figures.refresh_aging(timedelta(minutes=app.config["DASHBOARD_MAX_AGE_MINUTES"]))
    log.info("event=dashboards_refreshed views=%s", refreshed)
    return refreshed


def upward_due(app: Flask, now_utc: datetime) -> bool:
    """huey asks each minute: is this a county or city hub (they report upward), at its push-up minute (hourly at
    UPWARD_MINUTE by default; every UPWARD_EVERY_MINUTES from it)?"""
    every = max(1, min(60, app.config["UPWARD_EVERY_MINUTES"]))
    return app.config["HUB_LEVEL"] in ("county", "city") and now_utc.minute % every == UPWARD_MINUTE % every


def scheduled_push_up(app: Flask) -> bool:
    """Push the county's month up, if it is enrolled at a city; a failure is logged and the next hour tries again
    (everything stays staged).  Whether anything was sent."""
    with in_app(app):
        if UpwardLink.select().first() is None:
            return False
        try:
            _, done = push.push_up(app.config, actor=push.WORKER)
        except FieldsyncError as error:
            log.warning("event=push_up_failed code=%s", error.code.name)
            return False
    log.info("event=push_up sent=%s duplicates=%s rejected=%s", done.sent, done.duplicates, len(done.rejected))
    return True

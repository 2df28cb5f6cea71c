"""The ``job`` table (hub/store/migrations/0018_jobs.sql): the one module that writes it.

A job is queued by the web (or the schedule), taken by a worker, and ends done (with its report) or failed (with
a Chinese message).  An import's job row is the import's record: who uploaded which file when, and its row report.
Progress while running (which rule, how many done) is not written here but in the queue's own store (queue.py),
because a cleaning run holds the hub database's write lock while its rules run.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime
from typing import Any

from hub.cleaning import runner
from hub.county.clock import utcnow
from hub.store.db import database, write_transaction
from hub.store.models import CountyUser, Job
from shared import migrations
from shared.errors import ErrorCode, FieldsyncError

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_ZH = {QUEUED: "排队中", RUNNING: "正在进行", DONE: "已完成", FAILED: "未完成"}
CLEAN, EXPORT = "clean", "export"
IMPORT_KINDS = {"roster": "花名册", "department_list": "部门名单", "postings": "岗位表"}
KIND_ZH = {CLEAN: "数据清洗", EXPORT: "报表下载", **IMPORT_KINDS}
ACTIVE = (QUEUED, RUNNING)


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def create(kind: str, actor: str, file_name: str = "", params: dict[str, Any] | None = None) -> Job:
    with write_transaction():
        return Job.create(kind=kind, actor=actor, file_name=file_name, params=json.dumps(params or {}),
                          created_at=utcnow())


def queue_cleaning(actor: str, params: dict[str, Any] | None = None) -> Job:
    """A new cleaning job, or CLEANING_BUSY while one is queued or running (checked and written under the write
    lock, so two clicks at once make one job)."""
    with write_transaction():
        if migrations.dialect(database) == "postgresql":
            database.execute_sql(runner.SCHEMA_LOCK_SQL.format(function="pg_advisory_xact_lock"),
                                 (runner.LOCK_KEY + 1,))
        if active_cleaning() is not None:
            raise FieldsyncError(ErrorCode.CLEANING_BUSY)
        return create(CLEAN, actor, params=params)


def active_cleaning() -> Job | None:
    """The cleaning job queued or running, if any."""
    return Job.select().where(Job.kind == CLEAN, Job.status.in_(ACTIVE)).order_by(Job.id).first()


def start(job_id: int) -> bool:
    """Mark a queued job running in this worker; False when it is not queued (already taken or ended)."""
    with write_transaction():
        taken = (Job.update(status=RUNNING, started_at=utcnow(), worker=this_worker())
                 .where(Job.id == job_id, Job.status == QUEUED).execute())
    return taken == 1


def finish(job_id: int, report: dict[str, Any]) -> None:
    with write_transaction():
        Job.update(status=DONE, finished_at=utcnow(), report=json.dumps(report, ensure_ascii=False)).where(
            Job.id == job_id).execute()


def fail(job_id: int, message: str) -> None:
    with write_transaction():
        Job.update(status=FAILED, finished_at=utcnow(), message=message).where(Job.id == job_id).execute()


def orphans() -> list[int]:
    """Jobs marked running by a worker of this machine that is gone (killed mid-job): put back in the queue."""
    host = socket.gethostname()
    found = []
    for job in Job.select().where(Job.status == RUNNING):
        name, _, pid = job.worker.rpartition(":")
        if name == host and pid.isdigit() and not _alive(int(pid)):
            found.append(job.id)
    if found:
        with write_transaction():
            Job.update(status=QUEUED, worker="").where(Job.id.in_(found)).execute()
    return found


def queued() -> list[int]:
    return [job.id for job in Job.select(Job.id).where(Job.status == QUEUED).order_by(Job.id)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def report(job: Job) -> dict[str, Any]:
    return json.loads(job.report or "{}")


def params(job: Job) -> dict[str, Any]:
    return json.loads(job.params or "{}")


def recent(kinds: tuple[str, ...], limit: int = 30) -> list[Job]:
    return list(Job.select().where(Job.kind.in_(kinds)).order_by(Job.id.desc()).limit(limit))


def mine(actor: str, kind: str, limit: int = 10) -> list[Job]:
    """One user's latest jobs of a kind (a user's downloads are theirs alone)."""
    return list(Job.select().where(Job.kind == kind, Job.actor == actor).order_by(Job.id.desc()).limit(limit))


STAMP = "%Y-%m-%dT%H:%M:%SZ"


def fetched_at(job: Job) -> datetime | None:
    """When a download was fetched (UTC), None while it waits."""
    text = report(job).get("fetched_at")
    return datetime.strptime(text, STAMP) if text else None


def claim_download(job: Job) -> bool:
    """Mark a built download fetched, once: of two fetches at the same moment (two web processes) one wins."""
    fetched = {**report(job), "fetched_at": utcnow().strftime(STAMP)}
    with write_transaction():
        taken = Job.update(report=json.dumps(fetched, ensure_ascii=False)).where(
            Job.id == job.id, Job.status == DONE, Job.report == job.report).execute()
    return taken == 1


def who(actor: str) -> str:
    """Who asked, as a clerk reads it: a user's display name, or 定时清洗 for the schedule."""
    kind, _, name = actor.partition(":")
    if kind != "user":
        return "定时清洗" if actor == "schedule" else "命令行"
    user = CountyUser.get_or_none(CountyUser.username == name)
    return user.display_name if user else name

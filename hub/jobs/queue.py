"""The job queue: huey, bound to the app at start-up like the database.

SQLite (``<DATA_DIR>/queue.db``) by default, Redis when QUEUE_URL is ``redis://…``.  Queued work is kept in that
store, so it outlives a restart of the web processes and of the worker.  Each process makes its own huey (gunicorn
forks its workers after the app is built, and a SQLite connection must not cross a fork).  One task, ``job``,
runs a row of the job table by its kind (tasks.py); one periodic task starts the scheduled cleaning runs, another
deletes downloads no longer waiting to be fetched (downloads.py).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from hub.jobs import downloads, records, tasks
from shared.errors import ErrorCode, FieldsyncError

if TYPE_CHECKING:  # huey (and redis) load when a process first queues or takes work, not for every command
    from huey import Huey

EXTENSION = "fieldsync_queue"
QUEUE_FILE = "queue.db"
PROGRESS_PREFIX = "progress:"
PRUNE_EVERY_MINUTES = 5
UNQUEUED = "任务队列无法使用，这项工作没有开始：请联系县级管理员检查任务队列（FIELDSYNC_QUEUE_URL）。"
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = {}  # pid -> this process's huey


def queue(app: Flask | None = None) -> Huey:
    """This process's huey for ``app`` (default: the current app), made on first use."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    made: dict[int, Huey] = app.extensions[EXTENSION]
    if os.getpid() not in made:
        made.clear()  # a forked child never uses its parent's
        made[os.getpid()] = _make(app)
    return made[os.getpid()]


def _make(app: Flask) -> Huey:
    from huey import RedisHuey, SqliteHuey

    url = app.config["QUEUE_URL"]
    huey: Huey
    if url.startswith(("redis://", "rediss://", "unix://")):
        huey = RedisHuey("fieldsync", url=url, utc=True, results=False)
    else:
        huey = SqliteHuey("fieldsync", filename=str(Path(app.config["DATA_DIR"]) / QUEUE_FILE), utc=True, results=False,
                          fsync=True, timeout=15)
    run_job = huey.task(name="job")(lambda job_id: _run_job(app, huey, job_id))
    huey.periodic_task(lambda now: tasks.cleaning_due(app, now), name="scheduled_cleaning")(
        lambda: tasks.scheduled_cleaning(app, lambda job_id: run_job(job_id)))
    huey.periodic_task(lambda now: now.minute % PRUNE_EVERY_MINUTES == 0, name="prune_downloads")(
        lambda: _prune_downloads(app))
    huey.periodic_task(lambda now: tasks.dashboard_due(app, now), name="refresh_dashboards")(
        lambda: tasks.refresh_dashboards(app))
    huey.periodic_task(lambda now: tasks.upward_due(app, now), name="scheduled_push_up")(
        lambda: tasks.scheduled_push_up(app))
    app.extensions[EXTENSION + ".run_job"] = run_job
    return huey


def _prune_downloads(app: Flask) -> None:
    with tasks.in_app(app):
        downloads.prune(app)


def _run_job(app: Flask, huey: Huey, job_id: int) -> None:
    progress = Progress(huey, job_id)
    try:
        tasks.run_job(app, progress, job_id)
    finally:
        progress.clear()  # an ended job is read from the job table


def enqueue(job_id: int, app: Flask | None = None) -> None:
    """Put job ``job_id`` (a row of the job table) in the queue."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        queue(app)
        app.extensions[EXTENSION + ".run_job"](job_id)
    except Exception as error:  # the queue's store is unreachable (Redis down, a full disk): say so, block nothing
        log.exception("job %s could not be queued", job_id)
        with tasks.in_app(app):
            records.fail(job_id, UNQUEUED)
        raise FieldsyncError(ErrorCode.INTERNAL, UNQUEUED) from error


class Progress:
    """Where a running job says how far it got, readable by every web process (the queue's own store)."""

    def __init__(self, huey: Huey, job_id: int):
        self.huey, self.key = huey, f"{PROGRESS_PREFIX}{job_id}"

    def __call__(self, state: dict[str, Any]) -> None:
        self.huey.put(self.key, state)

    def clear(self) -> None:
        self.huey.delete(self.key)


def progress(job_id: int) -> dict[str, Any]:
    found = queue().get(f"{PROGRESS_PREFIX}{job_id}", peek=True)
    return found if isinstance(found, dict) else {}


def requeue_orphans(app: Flask) -> list[int]:
    """At a worker's start: jobs a killed worker of this machine left running go back in the queue, and so do jobs
    marked queued that the queue no longer holds (taken by a worker killed before it marked them running).  A job
    queued twice runs once: only a queued job can be started."""
    waiting = {task.args[0] for task in queue(app).pending() if task.args}
    with tasks.in_app(app):
        found = records.orphans()
        found += [job_id for job_id in records.queued() if job_id not in waiting and job_id not in found]
    for job_id in found:
        enqueue(job_id, app)
    return found

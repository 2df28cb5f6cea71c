"""`fieldsync-hub worker`: the job queue's consumer (work started from the web, and the scheduled cleaning runs)."""

from __future__ import annotations

import logging
from typing import Any

import click

from hub.cli.context import run_in_app


@click.command("worker")
@click.option("--threads", type=int, default=2, show_default=True,
              help="Jobs run at the same time (cleaning runs are one at a time whatever this is).")
@run_in_app(connected=False)
def worker(app: Any, threads: int) -> None:
    """Run the job queue: cleaning runs and imports started on the web, and the cleaning runs of the 1st, 11th
    and 21st.  Stop it with SIGINT to let running jobs finish; a job cut off by a kill runs again at the next start."""
    from hub.jobs import queue

    again = queue.requeue_orphans(app)
    if again:
        click.echo(f"重新排队 {len(again)} 项被中断的工作。")
    logging.getLogger("huey").setLevel(logging.INFO)
    click.echo("工作进程已启动：等待网页上提交的清洗和导入，以及每月 1、11、21 日的定时清洗。")
    queue.queue(app).create_consumer(workers=threads, worker_type="thread", periodic=True).run()

"""Syncing with the hub: push what the hub lacks, then pull roster changes.

One pass: ask the hub what it holds (records it reports missing go back into the outbox), push the outbox
in batches of consecutive records, mark each record as the hub answered, then pull the roster from the
saved cursor.  Every step commits locally before the next request, so a pass killed at any point resumes
where it stopped and the hub's idempotence makes a resend harmless.
"""

from __future__ import annotations

import fcntl
import json
import logging
import random
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from peewee import DatabaseError

from field_node import accounts, postings, tasks
from field_node.outbox import privacy, records
from field_node.roster.households import apply_roster_page
from field_node.store.db import database
from field_node.store.state import get_state, now_text, set_state
from field_node.sync import certificate
from field_node.sync.node import Node
from shared import wire
from shared.errors import ErrorCode, FieldsyncError
from shared.protocol import SEQ_MAX

Echo = Callable[[str], None]
log = logging.getLogger("fieldsync.node.sync")


@dataclass
class SyncReport:
    batches: int = 0
    sent: int = 0
    rejected: int = 0
    retry: int = 0
    requeued: int = 0
    households: int = 0


@contextmanager
def sync_lock(node: Node) -> Iterator[None]:
    """One sync at a time per data folder (a watch loop and a manual sync must not interleave)."""
    with open(node.data_dir / "sync.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise FieldsyncError(ErrorCode.SYNC_BUSY) from exc
        yield


def push_outbox(node: Node, hub, echo: Echo, report: SyncReport) -> None:
    batch_size = node.settings["BATCH_SIZE"]
    total = records.counts()["pending"]
    while True:
        with database.connection_context():
            run = records.next_run(batch_size)
            head = records.head()
        if not run:
            return
        reply = hub.push(wire.encode_batch(run, head))
        with database.connection_context():
            result = records.apply_push_reply(reply, run[0].seq, run[-1].seq)
        report.batches += 1
        report.sent += result.sent
        report.rejected += result.rejected
        report.retry += result.retry
        echo(f"第 {report.batches} 批：发送 {len(run)} 条（序号 {run[0].seq}–{run[-1].seq}），"
             f"县里已收 {result.sent}，拒收 {result.rejected}，待重发 {result.retry}；"
             f"进度 {min(report.sent + report.rejected, total)}/{total}")
        if result.retry:  # the hub could not check some records; try them again on the next pass
            return


def pull_roster(node: Node, hub, echo: Echo, report: SyncReport) -> None:
    while True:
        with database.connection_context():
            cursor = get_state("roster_cursor", "")
        page = hub.roster_page(cursor)
        with database.connection_context():
            report.households += apply_roster_page(page)
        if not page["more"]:
            break
    echo(f"花名册：更新 {report.households} 户。")


def pull_pages(fetch: Callable[[int], dict], apply: Callable[[dict], int], cursor_key: str) -> int | None:
    """Pull a cursor-paged feed (postings, tasks) to its end; None when the hub is of an earlier release."""
    received = 0
    while True:
        with database.connection_context():
            cursor = int(get_state(cursor_key, "0"))
        try:
            page = fetch(cursor)
        except FieldsyncError as error:
            if error.code is ErrorCode.NOT_FOUND:
                return None
            raise
        with database.connection_context():
            received += apply(page)
        if not page["more"]:
            return received


def pull_postings(hub, echo: Echo) -> None:  # client.HubClient
    """Job postings for the station's board: county-wide and this township's, from the saved cursor."""
    received = pull_pages(hub.postings_page, postings.apply_posting_page, "postings_cursor")
    if received is not None:
        echo(f"招聘岗位：更新 {received} 个。")


def pull_tasks(hub, echo: Echo) -> None:  # client.HubClient
    """Verification tasks for the station's households."""
    received = pull_pages(hub.tasks_page, tasks.apply_task_page, "tasks_cursor")
    if received is not None:
        echo(f"核实任务：更新 {received} 个。")


def pull_accounts(hub, echo: Echo) -> None:  # client.HubClient
    """The county's station accounts for this node's villages (a hub without the endpoint is skipped)."""
    try:
        documents = hub.accounts()
    except FieldsyncError as error:
        if error.code is ErrorCode.NOT_FOUND:
            return
        raise
    with database.connection_context():
        accounts.apply_hub_accounts(documents)
    echo(f"账户：县级平台为本站点设置了 {len(documents)} 个账户。")


def sync_once(node: Node, echo: Echo = print) -> SyncReport:
    """One full pass; raises FieldsyncError (HUB_UNREACHABLE and others) on failure, losing nothing.

    Its outcome is kept in the ``last_sync`` state (time, sent, rejected, or the error) for the sync page.
    """
    try:
        report = _pass(node, echo)
    except FieldsyncError as error:
        if error.code is not ErrorCode.SYNC_BUSY:  # the pass under way keeps its own outcome
            _remember({"at": now_text(), "ok": False, "code": error.code.name, "message": error.message})
        raise
    except (DatabaseError, OSError):  # the station's own storage: the command says so in its own words
        raise
    except Exception as exc:  # a pass must end in words the station staff can act on, never a trace
        log_unexpected(exc)
        failure = FieldsyncError(ErrorCode.INTERNAL, "同步时本站软件出错，数据仍安全保存；请稍后重试，"
                                 "如一直出现请联系县级管理员。")
        _remember({"at": now_text(), "ok": False, "code": failure.code.name, "message": failure.message})
        raise failure from exc
    _remember({"at": now_text(), "ok": True, "sent": report.sent, "rejected": report.rejected,
               "retry": report.retry, "households": report.households})
    return report


def log_unexpected(error: BaseException) -> None:
    """Log where the pass failed, never the exception's text (it can quote a record's values)."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("event=sync_failed type=%s\n%s", type(error).__name__, frames)


def _remember(outcome: dict) -> None:
    """Keep the pass's outcome, and how many passes in a row failed (``fieldsync-node status`` shows both)."""
    with database.atomic("IMMEDIATE"):
        failures = 0 if outcome["ok"] else int(get_state("sync_failures", "0")) + 1
        set_state("sync_failures", failures)
        set_state("last_sync", json.dumps(outcome, ensure_ascii=False))


def beyond(head: int) -> list[list[int]]:
    """The range above the hub's head: records there that the node marked sent, the hub no longer holds."""
    return [[head + 1, SEQ_MAX]] if head < SEQ_MAX else []


def _pass(node: Node, echo: Echo) -> SyncReport:
    report = SyncReport()
    with sync_lock(node):
        hub = node.hub()
        state = hub.state()
        with database.connection_context():
            report.requeued = records.requeue_missing(state["missing"] + beyond(state["head"]))
        if report.requeued:
            echo(f"县级平台缺少 {report.requeued} 条已发送的记录，将重新发送。")
        push_outbox(node, hub, echo, report)
        pull_roster(node, hub, echo, report)
        pull_accounts(hub, echo)
        pull_postings(hub, echo)
        pull_tasks(hub, echo)
        certificate.exchange_certificate(node, hub, echo)
        with database.atomic("IMMEDIATE"):
            set_state("last_contact", now_text())
        records.blank_acknowledged_interests()  # interests a release before this one signed in plain text
        privacy.checkpoint()  # what was blanked or replaced during the pass leaves the WAL too
    return report


def backoff_delay(failures: int, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter: a random wait up to base·2^(failures-1), at most ``cap``."""
    return rng() * min(cap, base * 2 ** (failures - 1))


def watch(node: Node, echo: Echo = print, sleep: Callable[[float], None] = time.sleep,
          passes: int | None = None) -> None:
    """Sync forever (or ``passes`` times): steady interval while the hub answers, backoff while it does not."""
    failures = 0
    done = 0
    while passes is None or done < passes:
        done += 1
        try:
            sync_once(node, echo)
            failures = 0
            delay = node.settings["WATCH_INTERVAL"]
        except FieldsyncError as error:
            failures += 1
            delay = backoff_delay(failures, node.settings["BACKOFF_BASE"], node.settings["BACKOFF_MAX"])
            echo(f"同步未完成：{error.message}（{delay:.0f} 秒后重试）")
        if passes is None or done < passes:
            sleep(delay)

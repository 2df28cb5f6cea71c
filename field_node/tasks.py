"""Verification tasks at the station: pulled from the hub, answered by a grid member on site with a signed record.

A task answered here leaves the list at once (``answered_seq``); the hub closes it when the record arrives, and the
next pull says so.
"""

from __future__ import annotations

import json
from typing import Any

from field_node.store.db import database, until_written
from field_node.store.models import Task
from field_node.store.state import now_text, set_state


def apply_task_page(page: dict[str, Any]) -> int:
    with database.atomic("IMMEDIATE"):
        for document in page["tasks"]:
            existing = Task.get_or_none(Task.id == document["id"])
            (Task.insert(id=document["id"], household=document["household"], question=document["question"],
                         open=document["open"], answered_seq=existing.answered_seq if existing else None,
                         updated_at=now_text()).on_conflict_replace().execute())
        set_state("tasks_cursor", page["cursor"])
    return len(page["tasks"])


def project_answer(seq: int, body: dict[str, Any]) -> None:
    """The station's own answer, written in the transaction that signs it."""
    Task.update(answered_seq=seq).where(Task.id == body["task"]).execute()


def waiting(household: str | None = None, within: list[str] | None = None) -> list[Task]:
    """Open tasks not yet answered here (of one household, or all; only of the households ``within`` when given)."""
    if household and within is None:  # the household page's, on every view: a fixed statement
        return list(Task.raw("SELECT * FROM task WHERE household = ? AND open = 1 AND answered_seq IS NULL "
                             "ORDER BY id", household))
    query = Task.select().where(Task.open == True, Task.answered_seq.is_null())  # noqa: E712
    if household:
        query = query.where(Task.household == household)
    if within is not None:
        query = query.where(Task.household.in_(within or [""]))
    return list(query.order_by(Task.id))


@until_written()
def waiting_count(villages: frozenset[str] | None = None) -> int:
    """How many tasks ``waiting`` lists (of the households in ``villages``, 乡镇/村 labels, when given): the
    landing page's notice, one fixed statement kept until the next commit."""
    sql = "SELECT COUNT(*) FROM task WHERE open = 1 AND answered_seq IS NULL"
    if villages is None:
        return int(database.execute_sql(sql).fetchone()[0])
    sql += (" AND household IN (SELECT number FROM household"
            " WHERE township || '/' || village IN (SELECT value FROM json_each(?)))")
    return int(database.execute_sql(sql, (json.dumps(sorted(villages)),)).fetchone()[0])

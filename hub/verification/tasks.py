"""Records that match reality (issue 6, DOMAIN.md §7): the township queue of anomalies, answers, the county's
reopening, verification tasks sent to the field and answered there, and monthly spot checks.

Every change appends to the audit log (``hub/audit.py``) in the same transaction, with who, before, after and why.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime
from typing import Any

from hub import audit
from hub.accounts.users import Principal
from hub.cleaning import anomalies
from hub.county.clock import utcnow
from hub.store.db import write_transaction
from hub.store.models import (
    Anomaly,
    Household,
    Node,
    SpotCheck,
    TaskClock,
    Township,
    VerificationTask,
    Village,
    next_change_seq,
    village_ids,
)
from shared.errors import ErrorCode, FieldsyncError
from shared.rows import tuples

TASK_OPEN, TASK_ANSWERED, TASK_WITHDRAWN = "open", "answered", "withdrawn"


def send_to_field(who: Principal, anomaly: Anomaly, question: str) -> VerificationTask:
    """A verification task for the household's village station; the anomaly waits for its answer."""
    if anomaly.household_id is None:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "这条异常不涉及具体农户，不能派往村级核实。")
    question = question.strip() or anomaly.subject
    reopened = anomalies.reopen_reasons([anomaly.id]).get(anomaly.id)
    if reopened is not None and reopened.why not in question:  # the station sees why the county reopened it
        question = f"{question}（县级重新打开的原因：{reopened.why}）"
    with write_transaction():
        task = VerificationTask.create(household=anomaly.household_id, anomaly=anomaly.id, question=question[:500],
                                       status=TASK_OPEN, sent_by=who.actor, sent_at=utcnow(),
                                       change_seq=next_change_seq(TaskClock))
        anomalies.mark_in_field(who.actor, anomaly, task.id, question[:500])
    return task


def tasks_for_node(node: Node, cursor: int, limit: int) -> dict[str, Any]:
    """Tasks of the node's villages' households changed after ``cursor`` (open ones, and closed ones to drop)."""
    households = Household.select(Household.id).where(Household.village.in_(village_ids(node)))
    rows = list(VerificationTask.select(VerificationTask, Household.number).join(Household)
                .where(VerificationTask.change_seq > cursor, VerificationTask.household.in_(households))
                .order_by(VerificationTask.change_seq).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"tasks": [{"id": t.id, "household": t.household.number, "question": t.question,
                       "open": t.status == TASK_OPEN} for t in rows],
            "cursor": rows[-1].change_seq if rows else cursor, "more": more}


def project_verifications(stored: list, now: str) -> None:  # list[projections.Stored]
    """A station's signed answer closes its task and answers the anomaly behind it (if still waiting)."""
    names = dict(tuples(Node.select(Node.id, Node.name)))
    for item in stored:
        body = item.body
        task = VerificationTask.get_or_none(VerificationTask.id == body["task"],
                                            VerificationTask.household == item.household_id)
        if task is None or task.status != TASK_OPEN:
            continue  # kept as a signed record; a task answered twice or for another household changes nothing
        actor = f"node:{names.get(item.node_id, item.node_id)}" + (f"/{body['author']}" if body.get("author") else "")
        VerificationTask.update(status=TASK_ANSWERED, answer=body["answer"], answer_note=body["note"],
                                answered_by=actor, answered_at=datetime.fromisoformat(now),
                                answer_record=item.record_id, change_seq=next_change_seq(TaskClock)).where(
            VerificationTask.id == task.id).execute()
        audit.record(actor, "task.answer", f"task:{task.id}", {"status": TASK_OPEN},
                     {"status": TASK_ANSWERED, "answer": body["answer"], "record": item.record_id}, body["note"])
        if task.anomaly_id:
            anomalies.answer_from_field(actor, task.anomaly_id, body["answer"], body["note"],
                                        datetime.fromisoformat(now))


def sample(seed: str, per_township: int) -> dict[int, list[int]]:
    """Township id -> household ids drawn: the same seed always draws the same households."""
    drawn = {}
    for township in Township.select().order_by(Township.id):
        ids = [h for (h,) in tuples(Household.select(Household.id).join(Village).where(Village.township == township.id)
               .order_by(Household.number))]
        rnd = random.Random(f"{seed}:{township.name}")
        drawn[township.id] = sorted(rnd.sample(ids, min(per_township, len(ids))))
    return drawn


def draw_spot_check(who: Principal, month: str, per_township: int, seed: str | None = None) -> SpotCheck:
    """The month's spot check: a sample per township from a recorded seed, sent out as verification tasks."""
    if SpotCheck.get_or_none(SpotCheck.month == month):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"{month} 的抽查已经抽过；用相同的种子可重新核对样本。")
    seed = seed or secrets.token_hex(8)
    question = f"{month} 月度抽查：请入户核对家庭成员、收入和务工情况是否与记录相符。"
    with write_transaction():
        check = SpotCheck.create(month=month, seed=seed, per_township=per_township, drawn_by=who.actor,
                                 drawn_at=utcnow())
        for household_ids in sample(seed, per_township).values():
            for household_id in household_ids:
                VerificationTask.create(household=household_id, spot_check_id=check.id, status=TASK_OPEN,
                                        question=question, sent_by=who.actor, sent_at=utcnow(),
                                        change_seq=next_change_seq(TaskClock))
        audit.record(who.actor, "spot_check.draw", f"spot_check:{month}", None,
                     {"seed": seed, "per_township": per_township}, "月度抽查")
    return check

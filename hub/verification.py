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
from hub.cleaning.models import ANSWERED, OPEN, Anomaly, VerificationTask
from hub.db import write_transaction
from hub.models import Household, Node, SpotCheck, TaskClock, Township, Village, next_change_seq
from hub.nodes import utcnow, village_ids
from hub.users import Principal
from shared.errors import ErrorCode, FieldsyncError
from shared.verification import ANSWERS

IN_FIELD = "in_field"  # an anomaly sent to the field: open until the station answers
TASK_OPEN, TASK_ANSWERED, TASK_WITHDRAWN = "open", "answered", "withdrawn"


def _snapshot(anomaly: Anomaly) -> dict[str, Any]:
    return {"status": anomaly.status, "answer": anomaly.answer, "note": anomaly.answer_note}


def answer(who: Principal, anomaly: Anomaly, verdict: str, note: str) -> Anomaly:
    """A township's (or the county's) answer: correct as it is, corrected, or cannot be verified — with a note."""
    if verdict not in ANSWERS:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"答复只能是：{'、'.join(ANSWERS.values())}。")
    if not note.strip():
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请写明核实情况（谁、何时、怎样核实；更正了什么）。")
    with write_transaction():
        before = _snapshot(anomaly)
        Anomaly.update(status=ANSWERED, answer=verdict, answer_note=note.strip()[:500], answered_by=who.actor,
                       answered_at=utcnow()).where(Anomaly.id == anomaly.id).execute()
        after = _snapshot(Anomaly.get_by_id(anomaly.id))
        audit.record(who.actor, "anomaly.answer", f"anomaly:{anomaly.id}", before, after, note.strip()[:500])
    return Anomaly.get_by_id(anomaly.id)


def reopen(who: Principal, anomaly: Anomaly, why: str) -> Anomaly:
    """The county reopens an answer: back in the township's queue, with the reason."""
    if not why.strip():
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请写明重新打开的原因。")
    with write_transaction():
        before = _snapshot(anomaly)
        Anomaly.update(status=OPEN, answer=None, answered_at=None, answered_by=None).where(
            Anomaly.id == anomaly.id).execute()
        audit.record(who.actor, "anomaly.reopen", f"anomaly:{anomaly.id}", before,
                     _snapshot(Anomaly.get_by_id(anomaly.id)), why.strip()[:500])
    return Anomaly.get_by_id(anomaly.id)


def send_to_field(who: Principal, anomaly: Anomaly, question: str) -> VerificationTask:
    """A verification task for the household's village station; the anomaly waits for its answer."""
    if anomaly.household_id is None:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "这条异常不涉及具体农户，不能派往村级核实。")
    question = question.strip() or anomaly.subject
    with write_transaction():
        task = VerificationTask.create(household=anomaly.household_id, anomaly=anomaly.id, question=question[:500],
                                       status=TASK_OPEN, sent_by=who.actor, sent_at=utcnow(),
                                       change_seq=next_change_seq(TaskClock))
        before = _snapshot(anomaly)
        Anomaly.update(status=IN_FIELD).where(Anomaly.id == anomaly.id).execute()
        audit.record(who.actor, "anomaly.send_to_field", f"anomaly:{anomaly.id}", before,
                     {**_snapshot(Anomaly.get_by_id(anomaly.id)), "task": task.id}, question[:500])
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
    names = dict(Node.select(Node.id, Node.name).tuples())
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
        anomaly = Anomaly.get_or_none(Anomaly.id == task.anomaly_id) if task.anomaly_id else None
        if anomaly is not None and anomaly.status == IN_FIELD:
            before = _snapshot(anomaly)
            Anomaly.update(status=ANSWERED, answer=body["answer"], answer_note=body["note"], answered_by=actor,
                           answered_at=datetime.fromisoformat(now)).where(Anomaly.id == anomaly.id).execute()
            audit.record(actor, "anomaly.answer", f"anomaly:{anomaly.id}", before,
                         _snapshot(Anomaly.get_by_id(anomaly.id)), body["note"])


def sample(seed: str, per_township: int) -> dict[int, list[int]]:
    """Township id -> household ids drawn: the same seed always draws the same households."""
    drawn = {}
    for township in Township.select().order_by(Township.id):
        ids = [h for (h,) in Household.select(Household.id).join(Village).where(Village.township == township.id)
               .order_by(Household.number).tuples()]
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

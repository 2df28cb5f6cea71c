"""An anomaly's life: its statuses and every change of them, the one writer of the ``anomaly`` table.

    open ──(answered by a user, or by a station's answer to a task)──▶ answered
    open ──(sent to the field: a verification task)──▶ in_field ──(the station answers)──▶ answered
    answered ──(reopened by the county, with the reason)──▶ open
    open / answered / in_field ──(a run re-examines its scope and no longer finds it)──▶ closed
    closed, or answered other than "correct as it is", or answered "correct" but its data changed
        ──(a run finds it again)──▶ open

A run reconciles its findings here (``reconcile``, called by hub/cleaning/runner.py); a county or township user
answers or reopens one (the verification pages, `fieldsync-hub answer`); hub/verification/tasks.py sends one to
the field and brings the station's answer back.  Every change by a person is audited with its reason.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from hub import audit
from hub.accounts.users import Principal
from hub.cleaning.catalogue import Finding, person_subject
from hub.county.clock import utcnow
from hub.store.db import insert_rows, write_transaction
from hub.store.models import Anomaly, AuditLog, CleaningRun, Household
from shared import free_text
from shared.errors import ErrorCode, FieldsyncError
from shared.rows import tuples
from shared.sealing import is_person_key
from shared.verification import ANSWERS

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
IN_FIELD = "in_field"  # an anomaly sent to the field: open until the station answers
ANSWER_CORRECT = "correct"  # 核实无误: stays answered until the data it was raised on change
ANSWER_CORRECTED = "corrected"  # 已更正: names the corrections made on the household since the anomaly opened
CORRECTIONS = ("person.correct", "visit.correct")  # the audited corrections an answer "corrected" rests on
BULK_ANSWERS = ("correct", "unverifiable")  # "corrected" is one anomaly at a time: each names its own correction
STATUS_ZH = {OPEN: "待核实", IN_FIELD: "已派村级核实", ANSWERED: "已核实", CLOSED: "已消除"}
Examined = dict[str, set[str]]  # rule id -> the scopes a run re-examined


PERSON_RULES = ("I1", "I2", "I4", "I6", "I9", "P4", "P9", "P10", "X1", "X3")  # subject: household:person[:scope]


def rekey_person_subjects() -> int:
    """Anomalies of a release before this one keyed a person by ID number (``P4:12:<number>:2026``): each gets
    the key a run makes now (``person_subject``: the person key), so it keeps its identity, its answer and its
    history, and no anomaly holds a full number.  Run before a run reconciles; returns how many it rekeyed."""
    rows = tuples(Anomaly.select(Anomaly.id, Anomaly.key).where(Anomaly.rule.in_(PERSON_RULES)))
    legacy = [(anomaly_id, key.split(":")) for anomaly_id, key in rows if not is_person_key(key.split(":")[2])]
    taken = {key for (key,) in tuples(Anomaly.select(Anomaly.key))}
    for anomaly_id, (rule_id, household, number, *scope) in legacy:
        key = f"{rule_id}:{person_subject(int(household), number, *scope)}"
        key = key if key not in taken else f"{key}:{anomaly_id}"  # a run already opened it again under the new key
        taken.add(key)
        Anomaly.update(key=key).where(Anomaly.id == anomaly_id).execute()
    return len(legacy)


def reopens(status: str, answer: str | None, data_changed: bool) -> bool:
    """Whether a run that finds an anomaly again puts it back in the township's queue: a closed one, and an
    answered one unless it was answered "correct as it is" and its data have not changed since."""
    return status == CLOSED or (status == ANSWERED and (answer != ANSWER_CORRECT or data_changed))


def reconcile(findings: list[Finding], run_record: CleaningRun, places: dict[int | None, tuple[int, int]],
              examined: Examined) -> tuple[int, int]:
    """Insert new anomalies, refresh found ones, close what no longer holds among what the run re-examined
    (``examined``); return (opened, closed)."""
    now = datetime.utcnow()
    known = {a.key: a for a in Anomaly.select(Anomaly.id, Anomaly.key, Anomaly.rule, Anomaly.scope, Anomaly.status,
                                              Anomaly.answer, Anomaly.digest)}
    fresh, seen = {}, set()
    unchanged: list[int] = []
    opened = 0
    for finding in findings:
        if finding.key in seen:
            continue
        seen.add(finding.key)
        existing = known.get(finding.key)
        if existing is None:
            village, township = places.get(finding.household_id, (None, None))
            fresh[finding.key] = {
                "key": finding.key, "rule": finding.rule, "township": township, "village": village,
                "household": finding.household_id, "subject": finding.subject,
                "detail": json.dumps(finding.detail, ensure_ascii=False), "digest": finding.digest, "status": OPEN,
                "answer": None, "answered_at": None, "first_run": run_record.id, "last_run": run_record.id,
                "opened_at": now, "closed_at": None, "scope": finding.scope}
            continue
        status = existing.status
        changed = existing.digest != finding.digest
        if reopens(status, existing.answer, changed):
            status, opened = OPEN, opened + 1
        if status == existing.status and not changed and existing.scope == finding.scope:
            unchanged.append(existing.id)
            continue
        (Anomaly.update(status=status, subject=finding.subject, digest=finding.digest, last_run=run_record.id,
                        detail=json.dumps(finding.detail, ensure_ascii=False), closed_at=None, scope=finding.scope)
         .where(Anomaly.id == existing.id).execute())
    insert_rows(Anomaly, list(fresh.values()))
    for start in range(0, len(unchanged), 500):
        Anomaly.update(last_run=run_record.id).where(Anomaly.id.in_(unchanged[start:start + 500])).execute()
    gone = [a.id for key, a in known.items()
            if key not in seen and a.status != CLOSED and a.scope in examined.get(a.rule, ())]
    for start in range(0, len(gone), 500):
        (Anomaly.update(status=CLOSED, closed_at=now, last_run=run_record.id)
         .where(Anomaly.id.in_(gone[start:start + 500])).execute())
    return opened + len(fresh), len(gone)


def priority(rule_id: str) -> int:
    """The queue's order: policy risk first (P1, P2 … P11), then the other departments' lists (X), then data
    integrity (I); within a letter by number."""
    letter, number = rule_id[:1], rule_id[1:]
    return {"P": 0, "X": 100, "I": 200}.get(letter, 300) + (int(number) if number.isdigit() else 99)


def _snapshot(anomaly: Anomaly) -> dict[str, Any]:
    return {"status": anomaly.status, "answer": anomaly.answer, "note": anomaly.answer_note}


def corrections(anomaly: Anomaly) -> list[AuditLog]:
    """The corrections made on the anomaly's household (its people or its visits) since the anomaly opened, oldest
    first: what an answer "已更正" refers to."""
    if anomaly.household_id is None:
        return []
    number = Household.get_by_id(anomaly.household_id).number
    return list(AuditLog.select().where(AuditLog.subject == f"household:{number}", AuditLog.action.in_(CORRECTIONS),
                                        AuditLog.at >= anomaly.opened_at).order_by(AuditLog.seq))


def reopen_reasons(anomaly_ids: list[int]) -> dict[int, AuditLog]:
    """Anomaly id -> the latest "reopened by the county" entry (its ``why`` is the reason), for those reopened."""
    found: dict[int, AuditLog] = {}
    subjects = [f"anomaly:{anomaly_id}" for anomaly_id in anomaly_ids]
    for start in range(0, len(subjects), 500):
        for entry in (AuditLog.select().where(AuditLog.action == "anomaly.reopen",
                                              AuditLog.subject.in_(subjects[start:start + 500]))
                      .order_by(AuditLog.seq)):
            found[int(entry.subject.split(":", 1)[1])] = entry
    return found


def _check_answer(verdict: str, note: str) -> None:
    if verdict not in ANSWERS:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"答复只能是：{'、'.join(ANSWERS.values())}。")
    if not note.strip():
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请写明核实情况（谁、何时、怎样核实；更正了什么）。")
    free_text.refuse_numbers("note", note)


def _answered(who: Principal, anomaly: Anomaly, verdict: str, note: str, extra: dict[str, Any]) -> None:
    """Write one answer and its audit entry (inside the caller's transaction)."""
    before, kept = _snapshot(anomaly), note.strip()[:500]
    Anomaly.update(status=ANSWERED, answer=verdict, answer_note=kept, answered_by=who.actor,
                   answered_at=utcnow()).where(Anomaly.id == anomaly.id).execute()
    after = {"status": ANSWERED, "answer": verdict, "note": kept, **extra}  # what the update wrote
    audit.record(who.actor, "anomaly.answer", f"anomaly:{anomaly.id}", before, after, kept)


def answer(who: Principal, anomaly: Anomaly, verdict: str, note: str) -> Anomaly:
    """A township's (or the county's) answer: correct as it is, corrected, or cannot be verified — with a note.
    "Corrected" names the corrections made on the household since the anomaly opened, and needs one."""
    _check_answer(verdict, note)
    extra: dict[str, Any] = {}
    if verdict == ANSWER_CORRECTED:
        made = corrections(anomaly)
        if not made:
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, "答复“已更正”前，请先在户页面更正人员信息或走访记录"
                                 "（更正会记入审计日志），再回来答复。")
        extra["corrections"] = [entry.seq for entry in made]
    with write_transaction():
        _answered(who, anomaly, verdict, note, extra)
    return Anomaly.get_by_id(anomaly.id)


def answer_many(who: Principal, found: list[Anomaly], verdict: str, note: str) -> int:
    """One answer and one note for a filtered set of open anomalies (the caller has checked the caller's scope of
    each), audited per anomaly, in one transaction; return how many were answered."""
    _check_answer(verdict, note)
    if verdict not in BULK_ANSWERS:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "批量答复只能是“核实无误”或“无法核实”：“已更正”请逐条答复，"
                             "并写明所做的更正。")
    with write_transaction():
        for anomaly in found:
            if anomaly.status == OPEN:
                _answered(who, anomaly, verdict, note, {"bulk": True})
    return sum(1 for anomaly in found if anomaly.status == OPEN)


def reopen(who: Principal, anomaly: Anomaly, why: str) -> Anomaly:
    """The county reopens an answer: back in the township's queue, with the reason."""
    if not why.strip():
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请写明重新打开的原因。")
    free_text.refuse_numbers("why", why)
    with write_transaction():
        before = _snapshot(anomaly)
        Anomaly.update(status=OPEN, answer=None, answered_at=None, answered_by=None).where(
            Anomaly.id == anomaly.id).execute()
        audit.record(who.actor, "anomaly.reopen", f"anomaly:{anomaly.id}", before,
                     _snapshot(Anomaly.get_by_id(anomaly.id)), why.strip()[:500])
    return Anomaly.get_by_id(anomaly.id)


def mark_in_field(actor: str, anomaly: Anomaly, task_id: int, question: str) -> None:
    """The anomaly waits for the station's answer to task ``task_id`` (inside the task's transaction)."""
    before = _snapshot(anomaly)
    Anomaly.update(status=IN_FIELD).where(Anomaly.id == anomaly.id).execute()
    audit.record(actor, "anomaly.send_to_field", f"anomaly:{anomaly.id}", before,
                 {**_snapshot(Anomaly.get_by_id(anomaly.id)), "task": task_id}, question)


def answer_from_field(actor: str, anomaly_id: int, verdict: str, note: str, at: datetime) -> None:
    """A station's signed answer answers the anomaly behind its task, if the anomaly still waits for it."""
    anomaly = Anomaly.get_or_none(Anomaly.id == anomaly_id)
    if anomaly is None or anomaly.status != IN_FIELD:
        return
    before = _snapshot(anomaly)
    Anomaly.update(status=ANSWERED, answer=verdict, answer_note=note, answered_by=actor,
                   answered_at=at).where(Anomaly.id == anomaly.id).execute()
    audit.record(actor, "anomaly.answer", f"anomaly:{anomaly.id}", before, _snapshot(Anomaly.get_by_id(anomaly.id)),
                 note)

"""The audit trail: who changed what, when, from what to what and why, as a hash chain.

Every entry carries ``seq`` (1, 2, 3… with no gaps) and ``hash`` = sha256 of the canonical JSON (RFC 8785) of
its fields and of ``prev_hash``, the hash of the entry before it.  Changing an entry breaks its hash; deleting
one leaves a gap in ``seq`` (or, at the end, a head ahead of the last row); :func:`verify` finds all of these.
The one-row ``audit_head`` table holds the last seq and hash.  An append updates it first, which serialises
concurrent appends: PostgreSQL locks the row until the transaction ends, SQLite's ``write_transaction`` is
IMMEDIATE.  Because the head and the entry change in the same transaction, a rolled-back change leaves no
entry and no gap.

Schema: hub/store/migrations/0009_audit.sql.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from peewee import fn

from hub.store.db import database, insert_rows, write_transaction
from hub.store.models import AuditHead, AuditLog
from shared import migrations
from shared.errors import ErrorCode, FieldsyncError
from shared.records import canonical

GENESIS_HASH = "0" * 64  # prev_hash of entry 1, and the head's hash before any entry
HEAD_ID = 1
VERIFY_CHUNK = 1000  # rows read per query by verify(): memory stays flat however long the log grows

ALTERED, MISSING, CHAIN_BROKEN, HEAD_MISMATCH = "altered", "missing", "chain_broken", "head_mismatch"

_COLUMNS = ("id", "seq", "at", "actor", "action", "subject", "before_json", "after_json", "why", "prev_hash", "hash")
REDACT_ACTION = "audit.redact"


@dataclass(frozen=True)
class AuditProblem:
    """One thing :func:`verify` found wrong: the entry's seq (and row id when the row exists), a code, a message."""

    seq: int
    id: int | None
    problem: str  # ALTERED, MISSING, CHAIN_BROKEN or HEAD_MISMATCH
    message: str


def _now_text() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(" ", timespec="microseconds")


def _at_text(value: Any) -> str:
    """``at`` as hashed: the text as written.  PostgreSQL hands a TIMESTAMP back as a datetime, which formats
    back to the same text; SQLite hands back the stored text itself, so any change to it counts."""
    if isinstance(value, datetime):
        return value.isoformat(" ", timespec="microseconds")
    return str(value)


def _json_text(value: Any) -> str | None:
    return None if value is None else canonical(value).decode("utf-8")


def entry_hash(seq: int, at: str, actor: str, action: str, subject: str, before_json: str | None,
               after_json: str | None, why: str, prev_hash: str) -> str:
    """The hash of one entry.  ``before``/``after`` enter as their stored canonical JSON text, so checking needs
    no JSON round trip and any change to the stored text, even one that parses the same, is a change."""
    payload = {"seq": seq, "at": at, "actor": actor, "action": action, "subject": subject, "before": before_json,
               "after": after_json, "why": why, "prev_hash": prev_hash}
    return hashlib.sha256(canonical(payload)).hexdigest()


def record(actor: str, action: str, subject: str, before: Any = None, after: Any = None, why: str = "") -> AuditLog:
    """Append one entry, inside the caller's transaction when there is one (then it commits or rolls back with
    the change it describes).  ``before`` and ``after`` are JSON values (dicts, lists, str, int, bool, None).

    A caller that already holds a transaction should have opened it with ``write_transaction()``: on SQLite a
    deferred transaction that has read may not be able to take the write lock.
    """
    if not (actor and action and subject):
        raise ValueError("actor, action and subject must not be empty")
    before_json, after_json = _json_text(before), _json_text(after)
    with write_transaction():
        # Taking the head first is what queues concurrent appends (see the module docstring).
        updated = AuditHead.update(seq=AuditHead.seq + 1).where(AuditHead.id == HEAD_ID).execute()
        if updated != 1:
            raise FieldsyncError(ErrorCode.INTERNAL, "审计日志的链尾记录（audit_head）缺失，无法写入审计记录："
                                 "请运行 fieldsync-hub audit verify 并联系县级管理员。")
        head = AuditHead.get_by_id(HEAD_ID)
        at = _now_text()
        digest = entry_hash(head.seq, at, actor, action, subject, before_json, after_json, why, head.hash)
        row = {"seq": head.seq, "at": at, "actor": actor, "action": action, "subject": subject,
               "before_json": before_json, "after_json": after_json, "why": why, "prev_hash": head.hash,
               "hash": digest}
        # insert_rows passes ``at`` as the very text that was hashed (peewee would re-format the datetime).
        [(entry_id,)] = insert_rows(AuditLog, [row], returning=("id",))
        AuditHead.update(hash=digest).where(AuditHead.id == HEAD_ID).execute()
    return AuditLog(id=entry_id, **{**row, "at": datetime.fromisoformat(at)})


def _rows() -> Iterator[tuple]:
    """All entries in seq order, ``VERIFY_CHUNK`` at a time (keyset pagination on the unique seq index)."""
    columns = ", ".join(_COLUMNS)
    last: int | None = None
    while True:
        if last is None:
            cursor = database.execute_sql(f"SELECT {columns} FROM audit_log ORDER BY seq LIMIT {VERIFY_CHUNK}")
        else:
            cursor = database.execute_sql(
                f"SELECT {columns} FROM audit_log WHERE seq > {database.param} ORDER BY seq LIMIT {VERIFY_CHUNK}",
                (last,))
        chunk = cursor.fetchall()
        yield from chunk
        if len(chunk) < VERIFY_CHUNK:
            return
        last = chunk[-1][1]


def _missing(first: int, last: int) -> AuditProblem:
    span = f"第 {first} 条审计记录" if first == last else f"第 {first} 至 {last} 条审计记录（共 {last - first + 1} 条）"
    return AuditProblem(first, None, MISSING, f"{span}缺失：已被删除。")


def _check() -> list[AuditProblem]:
    problems: list[AuditProblem] = []
    expected, prev_hash, last_id = 1, GENESIS_HASH, None
    for entry_id, seq, at, actor, action, subject, before_json, after_json, why, stored_prev, stored in _rows():
        gap = seq > expected
        if gap:
            problems.append(_missing(expected, seq - 1))
        if entry_hash(seq, _at_text(at), actor, action, subject, before_json, after_json, why, stored_prev) != stored:
            problems.append(AuditProblem(seq, entry_id, ALTERED,
                                         f"第 {seq} 条审计记录与其哈希不符：该记录被改动过。"))
        if not gap and stored_prev != prev_hash:
            problems.append(AuditProblem(seq, entry_id, CHAIN_BROKEN,
                                         f"第 {seq} 条审计记录与前一条衔接不上：前一条被改动或替换过。"))
        expected, prev_hash, last_id = max(expected, seq + 1), stored, entry_id
    last_seq = expected - 1
    head = database.execute_sql(f"SELECT seq, hash FROM audit_head WHERE id = {database.param}", (HEAD_ID,)).fetchone()
    if head is None:
        problems.append(AuditProblem(last_seq, last_id, HEAD_MISMATCH,
                                     "审计日志的链尾记录（audit_head）缺失：无法确认最后几条审计记录是否被删除。"))
    elif head[0] > last_seq:
        problems.append(_missing(last_seq + 1, head[0]))
    elif head[0] < last_seq:
        problems.append(AuditProblem(head[0] + 1, None, HEAD_MISMATCH,
                                     f"第 {head[0] + 1} 条起的审计记录不在链尾记录之内：它们不是经审计模块写入的。"))
    elif head[1] != prev_hash:
        problems.append(AuditProblem(last_seq, last_id, HEAD_MISMATCH, f"第 {last_seq} 条审计记录（最后一条）"
                                     "与链尾记录的哈希不符：该记录被改动或替换过。"))
    return problems


def verify() -> list[AuditProblem]:
    """Check the whole chain; an empty list means it is intact.

    Reads in one snapshot (PostgreSQL REPEATABLE READ; an SQLite read transaction), so entries appended
    meanwhile are not mistaken for a head mismatch.  Only an entry whose row *and* every later row and the head
    were rewritten consistently escapes detection: anchor the head hash elsewhere to rule that out.
    """
    if database.in_transaction():
        return _check()
    if migrations.dialect(database) == "postgresql":
        with database.atomic(isolation_level="REPEATABLE READ"):
            return _check()
    with database.atomic():
        return _check()


def _filtered(query: Any, subject_prefix: str | None) -> Any:
    if subject_prefix:
        # SUBSTR rather than LIKE: exact and case-sensitive on both databases, no wildcards to escape.
        query = query.where(fn.SUBSTR(AuditLog.subject, 1, len(subject_prefix)) == subject_prefix)
    return query


def entries(subject_prefix: str | None = None, limit: int = 50, offset: int = 0) -> list[AuditLog]:
    """One page of entries, newest first, optionally only those whose subject starts with ``subject_prefix``."""
    query = _filtered(AuditLog.select(), subject_prefix)
    return list(query.order_by(AuditLog.seq.desc()).limit(max(limit, 0)).offset(max(offset, 0)))


def entries_about(subject: str, limit: int = 100) -> list[AuditLog]:
    """The entries about exactly one subject (``anomaly:12``, not ``anomaly:123``), newest first."""
    query = AuditLog.select().where(AuditLog.subject == subject)
    return list(query.order_by(AuditLog.seq.desc()).limit(max(limit, 0)))


def count(subject_prefix: str | None = None) -> int:
    """How many entries :func:`entries` pages through."""
    return _filtered(AuditLog.select(), subject_prefix).count()


@dataclass(frozen=True)
class Redaction:
    """What :func:`redact` did: how many entries it rewrote, the first and last of them, the head hash before and
    after, and the entry that records it (None when nothing needed rewriting)."""

    changed: int
    first_seq: int | None
    last_seq: int | None
    head_before: str
    head_after: str
    entry: AuditLog | None


# (action, before, after, why) -> the same four as they should be kept; returning them unchanged keeps the entry.
Redactor = Callable[[str, Any, Any, str], tuple[Any, Any, str]]


def _loaded(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def redact(actor: str, redactor: Redactor, why: str) -> Redaction:
    """Rewrite old entries through ``redactor`` (masking values a later release no longer keeps) without leaving
    the trail unverifiable: the chain is checked first and a broken one is refused (a redaction must not launder
    tampering); every entry from the first rewritten one on gets its hash recomputed over the new values and the
    new ``prev_hash``, the head follows, and one more entry (``audit.redact``) records how many entries changed,
    their seq range and the head hash before, so a copy of the old head kept elsewhere can be matched to it.

    One transaction: either all of it or nothing.  Entries ``redactor`` leaves as they are keep their text; those
    after the first change keep their content and get new hashes only."""
    if not actor:
        raise ValueError("actor must not be empty")
    with write_transaction():
        # Taking the head first queues every append behind the rewrite (see the module docstring).
        AuditHead.update(seq=AuditHead.seq).where(AuditHead.id == HEAD_ID).execute()
        problems = _check()
        if problems:
            raise FieldsyncError(ErrorCode.AUDIT_CHAIN_BROKEN, details={
                "problems": len(problems), "first_seq": problems[0].seq})
        head = AuditHead.get_by_id(HEAD_ID)
        head_before = head.hash
        changed: list[int] = []
        prev_hash = GENESIS_HASH
        rewriting = False
        updates: list[tuple] = []
        for row in _rows():
            entry_id, seq, at, entry_actor, action, subject, before_json, after_json, entry_why, _prev, stored = row
            before, after, new_why = redactor(action, _loaded(before_json), _loaded(after_json), entry_why)
            new_before, new_after = _json_text(before), _json_text(after)
            content_changed = (new_before, new_after, new_why) != (before_json, after_json, entry_why)
            if content_changed:
                changed.append(seq)
                rewriting = True
            if not rewriting:
                prev_hash = stored
                continue
            digest = entry_hash(seq, _at_text(at), entry_actor, action, subject, new_before, new_after, new_why,
                                prev_hash)
            updates.append((new_before, new_after, new_why, prev_hash, digest, entry_id))
            prev_hash = digest
        if not changed:
            return Redaction(0, None, None, head_before, head_before, None)
        mark = database.param
        for params in updates:
            database.execute_sql(f"UPDATE audit_log SET before_json = {mark}, after_json = {mark}, why = {mark}, "
                                 f"prev_hash = {mark}, hash = {mark} WHERE id = {mark}", params)
        AuditHead.update(hash=prev_hash).where(AuditHead.id == HEAD_ID).execute()
        entry = record(actor, REDACT_ACTION, "audit_log", {"head_seq": head.seq, "head_hash": head_before},
                       {"entries": len(changed), "first_seq": changed[0], "last_seq": changed[-1],
                        "rehashed_from": changed[0], "rehashed_to": head.seq}, why[:500])
    return Redaction(len(changed), changed[0], changed[-1], head_before, prev_hash, entry)

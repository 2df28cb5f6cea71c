"""Taking in a node's push: verify every record, store each exactly once, say per record what happened.

The work is split in two phases.  The CPU work — rebuilding the hash chain, checking signatures, parsing
and validating — happens before any lock is taken.  The second phase runs in one write transaction with the
node's row locked: it compares each record with what the hub already holds at that (node, seq), inserts
the new ones, and moves the node's high-water mark.  The reply is built only after the commit.
"""

from __future__ import annotations

import json
import logging
import traceback
from dataclasses import dataclass, field
from typing import Any

from hub.county.clock import utcnow
from hub.roster.sealing_keys import readable_body
from hub.store.db import database, insert_rows, write_transaction
from hub.store.models import Household, Node, Record, village_ids
from hub.sync import nodes
from hub.sync.projections import KINDS, SignerScope, Stored
from hub.upward import city, region
from shared.errors import ErrorCode
from shared.kinds import BODY_SCHEMAS, load_body
from shared.protocol import HEAD_LEAD_MAX, SEQ_MAX, ranges
from shared.records import GENESIS_PREV, envelope_problem, verified_hash
from shared.rows import tuples
from shared.wire import Batch

ACCEPTED, DUPLICATE, REJECTED, RETRY = "accepted", "duplicate", "rejected", "retry"
log = logging.getLogger("fieldsync.hub.ingest")


def log_record_failure(stage: str, node: Node, seq: int, error: BaseException) -> None:
    """Log where one record failed, never the exception's text or the record: both can quote personal data."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("event=record_failed stage=%s node=%s seq=%s type=%s\n%s", stage, node.id, seq,
              type(error).__name__, frames)


@dataclass(slots=True)
class Checked:
    """One frame after the CPU phase."""

    seq: int
    prev: bytes
    content: bytes
    signature: bytes
    hash: bytes
    kind: str = ""
    body: dict[str, Any] | None = None
    version: int = 1
    household_id: int | None = None
    problem: tuple[ErrorCode, dict[str, Any]] | None = None


@dataclass
class Outcome:
    seq: int
    status: str
    code: ErrorCode | None = None
    details: dict[str, Any] = field(default_factory=dict)


def household_index(node: Node) -> dict[str, int]:
    """Household number -> id for the node's villages: the only households its records may name.  The hub's own
    signer (county corrections) may name any household; who may ask it to is checked by role before signing."""
    query = Household.select(Household.number, Household.id)
    if node.name != nodes.HUB_NODE_NAME:
        query = query.where(Household.village.in_(village_ids(node)))
    return dict(_fetch_all(query))


def _fetch_all(query: Any) -> list[tuple]:
    """The rows of a peewee query as plain tuples, without peewee's per-row wrapper: on the ingest path these
    queries return a row per household or per record, and the wrapper cost more than the query."""
    sql, params = query.sql()
    return database.execute_sql(sql, params).fetchall()


def _validate(node: Node, checked: Checked, households: dict[str, int], scope: SignerScope) -> None:
    """Envelope, schema, household and signer's scope of one record; the body kept is the one the schema loaded
    (defaults filled in), never the raw JSON, in the form of the hub's tables (format 2's person keys and sealed
    numbers turned back into ID numbers)."""
    code, found = envelope_problem(checked.content, node.id, checked.seq, BODY_SCHEMAS)
    if code is not None:
        checked.problem = (ErrorCode[code], found)
        return
    checked.kind, checked.version = found["kind"], found["v"]
    checked.problem = city.level_problem(node, checked.kind)
    if checked.problem is not None:
        return
    body, errors = load_body(checked.kind, found["body"], checked.version)
    checked.body = body
    if body is None:  # (None, errors) or (body, None)
        checked.problem = (ErrorCode.RECORD_INVALID, {"fields": errors})
        return
    handling = KINDS[checked.kind]
    if handling.household_field is not None:
        checked.household_id = households.get(body[handling.household_field])
        if checked.household_id is None:
            checked.problem = (ErrorCode.HOUSEHOLD_NOT_ASSIGNED, {"household": body[handling.household_field]})
            return
    if handling.scope_problem is not None:
        checked.problem = handling.scope_problem(scope, body, checked.household_id)
        if checked.problem is not None:
            return
    checked.body = readable_body(checked.kind, body, checked.household_id, checked.version)


def _validate_safely(node: Node, checked: Checked, households: dict[str, int], scope: SignerScope) -> None:
    """One record's check can fail only that record: anything unforeseen makes it a final RECORD_INVALID."""
    try:
        _validate(node, checked, households, scope)
    except Exception as error:  # the rest of the batch must not depend on this record
        log_record_failure("validate", node, checked.seq, error)
        checked.kind, checked.body = checked.kind or "?", None
        checked.problem = (ErrorCode.RECORD_INVALID, {"reason": "the hub could not check this record"})


def _verified_prefix(node: Node, batch: Batch) -> list[Checked]:
    """Chain and verify the frames in order, up to the first bad signature."""
    public_key = nodes.public_key(node)
    verified: list[Checked] = []
    prev = batch.first_prev
    for seq, (content, signature) in enumerate(batch.frames, start=batch.first_seq):
        record_hash = verified_hash(public_key, prev, content, signature)
        if record_hash is None:
            break
        verified.append(Checked(seq, prev, content, signature, record_hash))
        prev = record_hash
    return verified


def check_frames(node: Node, batch: Batch) -> tuple[list[Checked], list[Outcome]]:
    """CPU phase.  Stops at the first bad signature: what follows it cannot be chained, so it is retried.

    All signatures are checked before any body is parsed: the two loops run faster apart than interleaved.
    """
    checked = _verified_prefix(node, batch)
    households = household_index(node)
    scope = SignerScope(node)
    for item in checked:
        _validate_safely(node, item, households, scope)
    first_bad = batch.first_seq + len(checked)
    if first_bad > batch.first_seq + len(batch.frames) - 1:
        return checked, []
    unprocessed = [Outcome(first_bad, RETRY, ErrorCode.BAD_SIGNATURE)]
    unprocessed += [Outcome(later, RETRY, ErrorCode.BAD_BATCH, {"reason": "after a bad signature"})
                    for later in range(first_bad + 1, batch.first_seq + len(batch.frames))]
    return checked, unprocessed


@dataclass(frozen=True)
class Held:
    hash: bytes
    prev: bytes
    status: str
    reason: str | None


def _held_around(node: Node, first: int, last: int) -> dict[int, Held]:
    query = (Record.select(Record.seq, Record.hash, Record.prev, Record.status, Record.reason)
             .where(Record.node == node, Record.seq.between(first - 1, last + 1)))
    return {seq: Held(bytes(h), bytes(p), status, reason) for seq, h, p, status, reason in tuples(query)}


def _chain_fault(item: Checked, held: dict[int, Held]) -> str | None:
    before, after = held.get(item.seq - 1), held.get(item.seq + 1)
    if item.seq == 1 and item.prev != GENESIS_PREV:
        return "the first record must start the chain"
    if before is not None and before.hash != item.prev:
        return "does not follow the record held before it"
    if after is not None and after.prev != item.hash:
        return "the record held after it does not follow it"
    return None


def _held_outcome(item: Checked, existing: Held) -> Outcome:
    if existing.hash != item.hash:
        return Outcome(item.seq, REJECTED, ErrorCode.SEQUENCE_CONFLICT)
    if existing.status == REJECTED:
        assert existing.reason is not None  # a record is stored as rejected with its reason
        reason = json.loads(existing.reason)
        return Outcome(item.seq, REJECTED, ErrorCode[reason["code"]], reason["details"])
    return Outcome(item.seq, DUPLICATE)


def _record_row(node: Node, item: Checked, now: str) -> dict[str, Any]:
    rejected = item.problem is not None
    return {
        "node": node.id, "seq": item.seq, "kind": item.kind or "?",
        "status": REJECTED if rejected else ACCEPTED,
        "reason": json.dumps({"code": item.problem[0].name, "details": item.problem[1]}, ensure_ascii=False)
        if item.problem is not None else None,
        "hash": item.hash, "prev": item.prev, "content": item.content, "signature": item.signature,
        "household": item.household_id, "received_at": now,
    }


def _store(node: Node, items: list[Checked], now: str) -> list[Checked]:
    """Insert the new records, then project the accepted ones, kind by kind; return those that could not be
    projected, now held as rejected (RECORD_UNPROCESSABLE) so that the rest of the batch is stored."""
    record_ids = dict(insert_rows(Record, [_record_row(node, item, now) for item in items], returning=("seq", "id")))
    by_kind: dict[str, list[tuple[Checked, Stored]]] = {}
    for item in items:
        if item.problem is None:
            assert item.body is not None  # a record with no problem went through every check, body and all
            by_kind.setdefault(item.kind, []).append(
                (item, Stored(record_ids[item.seq], node.id, item.household_id, item.body)))
    failed: list[Checked] = []
    for kind, pairs in by_kind.items():
        failed += _project_kind(node, kind, pairs, now)
    return failed


def _project_kind(node: Node, kind: str, pairs: list[tuple[Checked, Stored]], now: str) -> list[Checked]:
    """Project a kind's records in one go inside a savepoint; if that fails, record by record, each in its own
    savepoint, so that one record the projection cannot take fails alone."""
    try:
        with database.atomic():
            KINDS[kind].project([stored for _, stored in pairs], now)
        return []
    except Exception:  # retried one by one below, where the failing record is found and logged
        pass
    failed = []
    for item, stored in pairs:
        try:
            with database.atomic():
                KINDS[kind].project([stored], now)
        except Exception as error:  # one record's projection must not fail the batch
            log_record_failure("project", node, item.seq, error)
            _hold_unprocessable(node, item, stored)
            failed.append(item)
    return failed


def _hold_unprocessable(node: Node, item: Checked, stored: Stored) -> None:
    item.problem = (ErrorCode.RECORD_UNPROCESSABLE, {"reason": "the hub could not store what it says"})
    reason = json.dumps({"code": item.problem[0].name, "details": item.problem[1]}, ensure_ascii=False)
    Record.update(status=REJECTED, reason=reason).where(Record.id == stored.record_id).execute()
    nodes.raise_alarm(node, ErrorCode.RECORD_UNPROCESSABLE,
                      "县级平台无法入库站点发来的一条记录（已拒收保存，其余记录照常入库），请联系维护人员。",
                      item.seq, once=True)


def _held_above(node: Node, seq: int) -> list[int]:
    query = Record.select(Record.seq).where(Record.node == node, Record.seq > seq).order_by(Record.seq)
    return [held for (held,) in _fetch_all(query)]


def _advance_hwm(node: Node) -> tuple[int, list[int]]:
    """Move the contiguous high-water mark; return it with the held sequence numbers above it."""
    above = _held_above(node, node.hwm)
    contiguous = 0
    while contiguous < len(above) and above[contiguous] == node.hwm + contiguous + 1:
        contiguous += 1
    return node.hwm + contiguous, above[contiguous:]


def missing_ranges(hwm: int, held_above: list[int], head: int) -> list[list[int]]:
    """Sequence ranges up to ``head`` that the hub does not hold."""
    missing, expected = [], hwm + 1
    for seq in [*held_above, head + 1]:
        if seq > expected:
            missing.append([expected, seq - 1])
        expected = seq + 1
    return missing


def ingest(node: Node, batch: Batch, counter: int) -> dict[str, Any]:
    """Process one push batch, authenticated with request ``counter``; return the reply after the commit."""
    checked, outcomes = check_frames(node, batch)
    now = utcnow().isoformat(" ")  # database form, written as-is by insert_rows
    with write_transaction():
        nodes.lock(node)
        nodes.consume_counter(node, counter)
        node = Node.get_by_id(node.id)
        held = _held_around(node, batch.first_seq, batch.first_seq + len(batch.frames) - 1)
        new: list[Checked] = []
        if outcomes:  # a bad signature inside a request the node signed: its storage or software is suspect
            nodes.raise_alarm(node, ErrorCode.BAD_SIGNATURE, "站点发来的记录签名无效（存储卡损坏或软件被改动？）。",
                              outcomes[0].seq, once=True)
        for item in checked:
            existing = held.get(item.seq)
            if existing is not None:
                outcome = _held_outcome(item, existing)
                if outcome.code is ErrorCode.SEQUENCE_CONFLICT:
                    nodes.raise_alarm(node, ErrorCode.SEQUENCE_CONFLICT, "同一序号收到两条不同的记录。",
                                      item.seq, item.content)
                    nodes.quarantine(node, f"序号 {item.seq} 收到两条不同的记录")
                outcomes.append(outcome)
                continue
            fault = _chain_fault(item, held)
            if fault:
                nodes.raise_alarm(node, ErrorCode.CHAIN_BROKEN, fault, item.seq, item.content)
                nodes.quarantine(node, f"序号 {item.seq} 与前一条记录衔接不上")
                outcomes.append(Outcome(item.seq, REJECTED, ErrorCode.CHAIN_BROKEN, {"reason": fault}))
                continue
            alarm = region.forgery_alarm(node, item.problem) if item.problem is not None else None
            if alarm is not None and item.problem is not None:  # a forwarded record forged: the alarm names who
                nodes.raise_alarm(Node(id=alarm[0]), item.problem[0], alarm[1], item.seq, item.content)
            new.append(item)
            held[item.seq] = Held(item.hash, item.prev, REJECTED if item.problem else ACCEPTED, None)
            outcomes.append(Outcome(item.seq, REJECTED, *item.problem) if item.problem
                            else Outcome(item.seq, ACCEPTED))
        unprocessable = {item.seq: item.problem for item in _store(node, new, now) if item.problem is not None}
        outcomes = [Outcome(o.seq, REJECTED, *unprocessable[o.seq]) if o.seq in unprocessable else o
                    for o in outcomes]
        hwm, held_above = _advance_hwm(node)
        head = plausible_head(node.head, batch)
        Node.update(hwm=hwm, head=head, last_seen_at=utcnow(), push_failures=0) \
            .where(Node.id == node.id).execute()
    return push_reply(hwm, head, held_above, outcomes)


def plausible_head(known: int, batch: Batch) -> int:
    """The head the hub keeps: what the station claims, but never beyond HEAD_LEAD_MAX past the last record it
    showed nor beyond SEQ_MAX; and never lower than what the hub already knew."""
    last_sent = batch.first_seq + len(batch.frames) - 1
    return max(known, min(batch.head, last_sent + HEAD_LEAD_MAX, SEQ_MAX))


def push_reply(hwm: int, head: int, held_above: list[int], outcomes: list[Outcome]) -> dict[str, Any]:
    outcomes.sort(key=lambda outcome: outcome.seq)
    return {
        "hwm": hwm,
        "head": head,
        "missing": missing_ranges(hwm, held_above, head),
        "accepted": ranges([o.seq for o in outcomes if o.status == ACCEPTED]),
        "duplicates": ranges([o.seq for o in outcomes if o.status == DUPLICATE]),
        "rejected": [_rejection(o) for o in outcomes if o.status in (REJECTED, RETRY)],
    }


def _rejection(outcome: Outcome) -> dict[str, Any]:
    assert outcome.code is not None  # every rejection and retry says why
    return {"seq": outcome.seq, "code": outcome.code.name, "message": outcome.code.default_message,
            "details": outcome.details, "final": outcome.status == REJECTED}


def node_state(node: Node) -> dict[str, Any]:
    """What the hub holds of ``node``: its high-water mark and the ranges it is still missing."""
    held = Record.select().where(Record.node == node).count()
    above = _held_above(node, node.hwm)
    at_hwm = Record.select(Record.hash).where(Record.node == node, Record.seq == node.hwm).scalar()
    return {"node_id": node.id, "hwm": node.hwm, "head": node.head, "held": held,
            "missing": missing_ranges(node.hwm, above, node.head), "hwm_hash": bytes(at_hwm).hex() if at_hwm else ""}

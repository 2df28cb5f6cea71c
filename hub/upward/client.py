"""Sending the upward outbox to the city: the station's sync pass (field_node/sync/), one level up.

Every request is signed with the county's upward key and a counter kept in ``upward_link`` (saved before it is
used).  A pass asks the city what it holds first (``/state``) and sends again what a restored city lacks; then
it sends the pending records in batches of consecutive sequence numbers, and marks each as the reply says.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from peewee import fn

from hub.county.clock import utcnow
from hub.store.db import write_transaction
from hub.store.models import UpwardLink, UpwardRecord
from shared import wire
from shared.errors import ErrorCode, FieldsyncError
from shared.protocol import ENROLL_PATH, PUSH_PATH, SEQ_MAX, STATE_PATH, clip, reply_problem
from shared.records import SealedRecord
from shared.rows import tuples
from shared.upward import COUNTY_KEYS, STATION_KEYS

MAX_BATCH_CONTENT = 4 * 1024 * 1024  # bytes of record content in one batch, well inside the city's limits
PENDING, SENT, REJECTED = "pending", "sent", "rejected"
RESUMED = "resumed"  # a marker for the city's records a county restored from a backup no longer holds
HASH = re.compile(r"[0-9a-f]{64}")
FORWARDED_STATEMENT = ":keys"  # how the source of a forwarded statement of keys ends (hub/upward/relay.py)


def _unreachable(reason: str) -> FieldsyncError:
    return FieldsyncError(ErrorCode.CITY_UNREACHABLE, details={"reason": reason})


def _send(method: str, url: str, timeout: float, **kwargs: Any) -> Any:
    try:
        response = requests.request(method, url, timeout=timeout,
                                    headers={wire.PROTOCOL_HEADER: str(wire.PROTOCOL_VERSION),
                                             **kwargs.pop("headers", {})}, **kwargs)
    except requests.RequestException as exc:
        raise _unreachable(type(exc).__name__) from exc
    try:
        payload = response.json()
    except ValueError as exc:
        raise _unreachable(f"HTTP {response.status_code}") from exc
    if response.status_code != 200:
        try:
            raise FieldsyncError(ErrorCode[payload["code"]], payload.get("message"), payload.get("details") or {})
        except (KeyError, TypeError) as exc:
            raise _unreachable(f"HTTP {response.status_code}") from exc
    return payload


def enroll(city_url: str, code: str, key: Ed25519PrivateKey, timeout: float) -> dict[str, Any]:
    """Enrol the upward key with the city's one-time code (the station's enrolment, docs/protocol.md)."""
    reply = _send("POST", city_url.rstrip("/") + ENROLL_PATH, timeout, json=wire.enrol_body(code, key))
    if not isinstance(reply, dict) or type(reply.get("node_id")) is not int:
        raise _unreachable("enrolment reply")
    return reply


def _next_counter() -> int:
    with write_transaction():
        UpwardLink.update(request_counter=UpwardLink.request_counter + 1).execute()
        return int(UpwardLink.select(UpwardLink.request_counter).scalar())


def _signed(key: Ed25519PrivateKey, method: str, path: str, timeout: float, body: bytes = b"",
            headers: dict[str, str] | None = None, retry_counter: bool = True) -> Any:
    link = UpwardLink.select().first()
    assert link is not None  # push_up checks the link first
    counter = _next_counter()
    auth = wire.authorization_header(key, method, path, link.signer_id, counter, body)
    try:
        return _send(method, link.city_url + path, timeout, data=body or None,
                     headers={"Authorization": auth, **(headers or {})})
    except FieldsyncError as error:
        last = error.details.get("last_counter")
        if error.code is ErrorCode.REPLAYED_REQUEST and retry_counter and type(last) is int and 0 <= last < SEQ_MAX:
            with write_transaction():  # this county's folder was restored from a backup: jump past the city's count
                UpwardLink.update(request_counter=last).execute()
            return _signed(key, method, path, timeout, body, headers, retry_counter=False)
        raise


def _checked(reply: Any, shape: str) -> dict[str, Any]:
    problem = reply_problem(reply, shape)
    if problem is not None:
        raise _unreachable(f"reply: {problem}")
    return reply


@dataclass
class Pass:
    """What one push-up pass did."""

    sent: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    resent: int = 0
    batches: int = 0
    bytes_sent: int = 0


def city_state(key: Ed25519PrivateKey, timeout: float) -> dict[str, Any]:
    """What the city holds of this county (``/state``)."""
    return _checked(_signed(key, "GET", STATE_PATH, timeout), "state")


def resume_after(state: dict[str, Any]) -> bool:
    """A county restored from a backup older than what the city holds continues its chain after the city's
    contiguous records: a marker row stands for them (never sent), so new records do not collide with held ones;
    what was staged after the backup is staged again and the city's projections take it once.  Whether it did."""
    top = UpwardRecord.select(fn.MAX(UpwardRecord.seq)).scalar() or 0
    if state["hwm"] <= top or not HASH.fullmatch(str(state.get("hwm_hash", ""))):
        return False
    with write_transaction():
        UpwardRecord.create(seq=state["hwm"], kind=RESUMED, source=f"resumed:{state['hwm']}", prev=b"",
                            hash=bytes.fromhex(state["hwm_hash"]), content=b"", signature=b"", status=SENT,
                            created_at=utcnow())
    return True


def _resend_missing(state: dict[str, Any], result: Pass) -> None:
    """Mark pending again what the city lacks among the records marked sent: missing below its head, or beyond
    the head it knows (a city restored from an older backup)."""
    lost = (UpwardRecord.seq > state["head"]) & (UpwardRecord.kind != RESUMED)
    for first, last in state["missing"]:
        lost |= UpwardRecord.seq.between(first, last)
    with write_transaction():
        result.resent = UpwardRecord.update(status=PENDING).where(lost, UpwardRecord.status == SENT).execute()


@dataclass(frozen=True)
class Pending:
    """An outbox record as a batch sends it (plain values: a batch holds up to a thousand)."""

    seq: int
    kind: str
    source: str
    prev: bytes
    content: bytes
    signature: bytes


def ends_batch(record: Pending) -> bool:
    """A statement of keys ends its batch — the county's of its stations, the city's of its counties, or a county's
    statement a city forwards — so the level above holds the keys before the records they vouch for."""
    return record.kind in (STATION_KEYS, COUNTY_KEYS) or record.source.endswith(FORWARDED_STATEMENT)


def _next_batch(limit: int, after: int) -> list[Pending]:
    """Pending records of consecutive sequence numbers after ``after`` (a keyset: a long push never rescans what
    it sent); a statement ends its batch, so the level above holds the keys before the records they vouch for."""
    batch: list[Pending] = []
    size = 0
    query = (UpwardRecord.select(UpwardRecord.seq, UpwardRecord.kind, UpwardRecord.source, UpwardRecord.prev,
                                 UpwardRecord.content, UpwardRecord.signature)
             .where(UpwardRecord.status == PENDING, UpwardRecord.seq > after).order_by(UpwardRecord.seq).limit(limit))
    for seq, kind, source, prev, content, signature in tuples(query):
        record = Pending(seq, kind, source, bytes(prev), bytes(content), bytes(signature))
        if batch and (record.seq != batch[-1].seq + 1 or size + len(record.content) > MAX_BATCH_CONTENT):
            break
        batch.append(record)
        size += len(record.content)
        if ends_batch(record):
            break
    return batch


def _mark(batch: list[Pending], reply: dict[str, Any], result: Pass) -> bool:
    """Mark the batch as the city answered; False when a record must wait for the next pass."""
    first, last = batch[0].seq, batch[-1].seq
    done = clip(reply["accepted"], first, last) + clip(reply["duplicates"], first, last)
    final = {item["seq"]: item for item in reply["rejected"] if item["final"] and first <= item["seq"] <= last}
    with write_transaction():
        UpwardRecord.update(status=SENT).where(UpwardRecord.seq.in_(done)).execute()
        for seq, item in final.items():
            reason = json.dumps({"code": item["code"], "details": item["details"]}, ensure_ascii=False)
            UpwardRecord.update(status=REJECTED, reason=reason).where(UpwardRecord.seq == seq).execute()
    result.sent += len(clip(reply["accepted"], first, last))
    result.duplicates += len(clip(reply["duplicates"], first, last))
    result.rejected += list(final.values())
    return len(done) + len(final) == len(batch)


def push_up(key: Ed25519PrivateKey, batch_size: int, timeout: float, state: dict[str, Any]) -> Pass:
    """One pass after asking the city what it holds (``state``): send again what it lacks, then every pending
    record."""
    result = Pass()
    _resend_missing(state, result)
    head = UpwardRecord.select(UpwardRecord.seq).order_by(UpwardRecord.seq.desc()).scalar() or 0
    after = 0
    while batch := _next_batch(batch_size, after):
        body = wire.encode_batch([SealedRecord(r.seq, r.prev, r.content, r.signature) for r in batch], head)
        reply = _checked(_signed(key, "POST", PUSH_PATH, timeout, body, {"Content-Type": wire.BATCH_CONTENT_TYPE}),
                         "push")
        result.batches += 1
        result.bytes_sent += len(body)
        if not _mark(batch, reply, result):
            break
        after = batch[-1].seq
    return result

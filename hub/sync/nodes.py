"""Field nodes at the hub: registration, one-time enrolment codes, revocation, request authentication."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Request
from peewee import fn

from hub import audit
from hub.county.clock import utcnow
from hub.store import partitions
from hub.store.db import database, write_transaction
from hub.store.models import Alarm, Node, NodeVillage, Record, Township, Village
from shared import keys, wire
from shared.errors import ErrorCode, FieldsyncError
from shared.migrations import dialect
from shared.protocol import SEQ_MAX

_public_keys: dict[bytes, Ed25519PublicKey] = {}


HUB_NODE_NAME = "县级平台"  # the hub's own signer (hub/sync/own_records.py): county postings, interest, corrections

def _code_hash(code: str) -> str:
    return hashlib.sha256(wire.normalise_code(code).encode()).hexdigest()


def find_village(label: str) -> Village:
    """A village named ``乡镇/村``; the error lists what exists so the clerk can pick the right one."""
    township_name, _, village_name = label.partition("/")
    query = Village.select().join(Township).where(Township.name == township_name.strip(),
                                                  Village.name == village_name.strip())
    village = query.first()
    if village is None:
        known = [v.label for v in Village.select(Village, Township).join(Township).limit(50)]
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"没有村“{label}”，请写成“乡镇/村”。",
                             {"known_villages": known})
    return village


def register(name: str, villages: list[Village], code_hours: int, *, actor: str, level: str = "station"
             ) -> tuple[Node, str]:
    """Create a node for ``villages`` and return it with its one-time enrolment code (shown once, never stored:
    only its hash is kept).  ``level`` 'county': a county hub enrolling at a city hub (docs/upward.md).  Audited."""
    name = name.strip()
    if not name:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请填写站点名称（例如村名加“服务站”）。",
                             {"name": ["请填写站点名称。"]})
    if Node.get_or_none(Node.name == name) is not None:
        raise FieldsyncError(ErrorCode.NODE_NAME_TAKEN, f"已有名为“{name}”的站点，没有添加：请换一个名称"
                             "（例如加上村名）；fieldsync-hub nodes 列出已有的站点。")
    code = _new_code()
    with write_transaction():
        node = Node.create(name=name, enrolment_code_hash=_code_hash(code), created_at=utcnow(),
                           enrolment_expires_at=utcnow() + timedelta(hours=code_hours), level=level)
        partitions.add_node(node.id, level)  # at a city or region on PostgreSQL (docs/scale.md)
        for village in villages:
            NodeVillage.create(node=node, village=village)
        audit.record(actor, "node.register", f"node:{name}", None,
                     {"villages": [v.label for v in villages], "code_hours": code_hours, "level": level},
                     "登记新站点" if level == "station" else "登记下级平台")
    return node, code


def relayed_county(name: str, *, actor: str) -> int:
    """The node a region hub names a county by when the county reaches it only through its city (docs/upward.md):
    level 'county', no key and no enrolment code, so it can never sign in.  Made on first sight, found again by
    name afterwards (a county its city re-enrolled keeps its history).  Audited when made."""
    candidate, n = name, 1
    while (found := Node.get_or_none(Node.name == candidate)) is not None:
        if found.level == "county" and found.public_key is None and found.enrolment_code_hash is None:
            return int(found.id)
        n += 1
        candidate = f"{name}（{n}）"
    node = Node.create(name=candidate, created_at=utcnow(), level="county")
    partitions.add_node(node.id, "county", signs=False)  # in the ingest's transaction (docs/scale.md)
    audit.record(actor, "node.relayed", f"node:{candidate}", None, {"level": "county"}, "上级平台转来的下级平台")
    return int(node.id)


def _new_code() -> str:
    return "-".join("".join(secrets.choice(wire.CODE_ALPHABET) for _ in range(4)) for _ in range(3))


def reissue_code(node: Node, code_hours: int, *, actor: str) -> str:
    """A new one-time code for a station not enrolled yet (its code expired or was lost); the old code stops
    working.  Audited."""
    fresh = Node.get_by_id(node.id)
    if fresh.enrolled_at or fresh.revoked_at:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"站点“{fresh.name}”已登记或已停用，不能再发登记码：一台新设备"
                             "请作为新站点登记。")
    code = _new_code()
    with write_transaction():
        Node.update(enrolment_code_hash=_code_hash(code), enrolment_expires_at=utcnow() + timedelta(hours=code_hours)
                    ).where(Node.id == node.id, Node.enrolled_at.is_null()).execute()
        audit.record(actor, "node.code_reissue", f"node:{fresh.name}", None, {"code_hours": code_hours},
                     "重新生成登记码")
    return code


def enrolment_link(hub_url: str, code: str) -> str:
    """What the enrolment QR code holds: the hub's address and the one-time code (CLI and management page)."""
    return f"fieldsync://enroll?hub={hub_url}&code={code}"


def enrol(code: str, public_key: bytes, proof: bytes) -> Node:
    """Bind ``public_key`` to the node that ``code`` was issued for; the code works once."""
    node = Node.get_or_none(Node.enrolment_code_hash == _code_hash(code))
    if node is None or node.revoked_at or node.enrolment_expires_at is None or node.enrolment_expires_at < utcnow():
        raise FieldsyncError(ErrorCode.ENROLMENT_CODE_INVALID)
    try:
        keys.public_key_from_bytes(public_key).verify(proof, wire.enrol_message(code, public_key))
    except (InvalidSignature, ValueError) as exc:
        raise FieldsyncError(ErrorCode.UNAUTHENTICATED, "登记请求的签名无效，请重新运行登记。") from exc
    with write_transaction():
        updated = (Node.update(public_key=public_key, enrolled_at=utcnow(), enrolment_code_hash=None,
                               enrolment_expires_at=None)
                   .where(Node.id == node.id, Node.enrolment_code_hash == _code_hash(code)).execute())
        if updated:
            audit.record(f"node:{node.name}", "node.enrol", f"node:{node.name}", None,
                         {"public_key": keys.b64encode(public_key)}, "一次性登记码")
    if not updated:  # someone else used the code between our read and our write
        raise FieldsyncError(ErrorCode.ENROLMENT_CODE_INVALID)
    return Node.get_by_id(node.id)


def revoke(node: Node, *, actor: str, why: str = "") -> None:
    with write_transaction():
        Node.update(revoked_at=utcnow(), enrolment_code_hash=None).where(Node.id == node.id).execute()
        audit.record(actor, "node.revoke", f"node:{node.name}", {"revoked": False}, {"revoked": True},
                     why or "停用站点")


def public_key(node: Node) -> Ed25519PublicKey:
    if node.public_key is None:  # not enrolled yet
        raise FieldsyncError(ErrorCode.UNKNOWN_NODE)
    raw = bytes(node.public_key)
    if raw not in _public_keys:
        _public_keys[raw] = keys.public_key_from_bytes(raw)
    return _public_keys[raw]


def raise_alarm(node: Node, code: ErrorCode, detail: str, seq: int | None = None,
                evidence: bytes | None = None, once: bool = False) -> None:
    """Record an alarm for county staff; ``once`` keeps a single open alarm of that code per node."""
    if once and Alarm.select().where(Alarm.node == node, Alarm.code == code.name,
                                     Alarm.resolved_at.is_null()).exists():
        return
    Alarm.create(node=node, code=code.name, seq=seq, detail=detail, evidence=evidence, created_at=utcnow())


def authenticate(request: Request) -> tuple[Node, int]:
    """The node a request comes from and the request's counter, after checking its signature.

    The counter is checked here without writing; ``consume_counter`` records it atomically in the
    transaction that does the request's work, so a replay is refused before any heavy work and a request
    whose work was rolled back can be sent again.
    """
    auth = wire.parse_authorization(request.headers.get("Authorization"))
    node = Node.get_or_none(Node.id == auth.node_id)
    if node is None or node.public_key is None:
        raise FieldsyncError(ErrorCode.UNKNOWN_NODE)
    path = request.path + ("?" + request.query_string.decode("latin-1") if request.query_string else "")
    if not wire.request_signature_valid(public_key(node), auth, request.method, path, request.get_data()):
        raise FieldsyncError(ErrorCode.UNAUTHENTICATED)
    if node.revoked_at:
        with write_transaction():
            raise_alarm(node, ErrorCode.NODE_REVOKED, "停用的站点密钥仍在尝试同步（设备可能被盗或被复制）。",
                        once=True)
        raise FieldsyncError(ErrorCode.NODE_REVOKED)
    if node.quarantined_at:
        raise FieldsyncError(ErrorCode.NODE_QUARANTINED, details={"since": node.quarantined_at.isoformat()})
    if auth.counter <= node.last_counter:
        raise _replayed(node.last_counter)
    return node, auth.counter


def quarantine(node: Node, reason: str) -> None:
    """Stop a suspected clone inside the current transaction: what it sent stays; its next request is refused."""
    if Node.get_by_id(node.id).quarantined_at:
        return
    Node.update(quarantined_at=utcnow(), quarantine_reason=reason).where(Node.id == node.id).execute()
    audit.record("hub", "node.quarantine", f"node:{node.name}", {"quarantined": False}, {"quarantined": True},
                 reason)


def note_push_failure(node: Node, code: ErrorCode) -> None:
    """Count a push that stored nothing (after its transaction rolled back), so the county sees a station stuck."""
    with write_transaction():
        Node.update(push_failures=Node.push_failures + 1, last_push_error=code.name, last_push_failed_at=utcnow()) \
            .where(Node.id == node.id).execute()


def held_head(node: Node) -> int:
    """The highest sequence number the hub holds of ``node`` (0 for none)."""
    return Record.select(fn.MAX(Record.seq)).where(Record.node == node).scalar() or 0


def _json_safe(seq: int) -> int | str:
    """A sequence number as the audit log's JSON can hold it: beyond SEQ_MAX (a head poisoned before the bounds),
    as text."""
    return seq if seq <= SEQ_MAX else str(seq)


def release(node: Node, actor: str, why: str) -> dict[str, dict[str, Any]]:
    """Let a station sync again: lift a quarantine, and bring a head it claimed back to what the hub holds (a
    poisoned head would keep the hub reporting records missing that never existed).  Audited with before/after."""
    with write_transaction():
        fresh = Node.get_by_id(node.id)
        head = max(fresh.hwm, held_head(fresh))
        before = {"quarantined": fresh.quarantined_at is not None, "head": _json_safe(fresh.head),
                  "push_failures": fresh.push_failures}
        after = {"quarantined": False, "head": _json_safe(min(fresh.head, head)), "push_failures": 0}
        Node.update(quarantined_at=None, quarantine_reason=None, head=min(fresh.head, head), push_failures=0) \
            .where(Node.id == node.id).execute()
        audit.record(actor, "node.release", f"node:{node.name}", before, after, why)
    return {"before": before, "after": after}


def _replayed(last_counter: int) -> FieldsyncError:
    return FieldsyncError(ErrorCode.REPLAYED_REQUEST, details={"last_counter": last_counter})


def consume_counter(node: Node, counter: int) -> None:
    """Record the request's counter inside the current transaction; a concurrent duplicate loses here."""
    fresh = (Node.update(last_counter=counter, last_seen_at=utcnow())
             .where(Node.id == node.id, Node.last_counter < counter).execute())
    if not fresh:
        raise _replayed(Node.get_by_id(node.id).last_counter)


def authenticate_read(request: Request) -> Node:
    """Authenticate a request that changes nothing else: the counter is recorded at once."""
    node, counter = authenticate(request)
    with write_transaction():
        consume_counter(node, counter)
    return node


def lock(node: Node) -> None:
    """Serialise pushes of one node inside the current transaction (SQLite's IMMEDIATE lock does it there)."""
    if dialect(database) == "postgresql":
        Node.select(Node.id).where(Node.id == node.id).for_update().execute()

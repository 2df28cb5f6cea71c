"""Records the hub signs itself: postings made by county staff and interest registered on the hub's pages.

The hub is a signer like any station: its own Ed25519 key (``hub.key`` in the data folder, mode 0600), its own
row in ``node`` (``HUB_NODE_NAME``, with no villages), its own sequence and hash chain.  A record it signs goes
through the same ingest path as a station's push — verified, validated, stored once, projected — so there is one
way into the record store, and the hub's records are as checkable as everyone's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from hub import audit
from hub.county.clock import utcnow
from hub.store import partitions
from hub.store.db import write_transaction
from hub.store.models import Node, Record, Visit
from hub.sync import ingest, nodes
from shared import free_text, keys, wire
from shared.errors import ErrorCode, FieldsyncError
from shared.kinds import body_errors
from shared.records import GENESIS_PREV, seal

HUB_NODE_NAME = nodes.HUB_NODE_NAME
KEY_FILE = "hub.key"


def _key() -> Ed25519PrivateKey:
    path = Path(current_app.config["DATA_DIR"]) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        keys.save_private_key(keys.generate(), path)
    return keys.load_private_key(path)


def hub_node(key: Ed25519PrivateKey) -> Node:
    """The hub's own signer row, made on first use with the key's public half."""
    public = keys.public_bytes(key)
    node = Node.get_or_none(Node.name == HUB_NODE_NAME)
    if node is None:
        now = utcnow()
        node = Node.create(name=HUB_NODE_NAME, public_key=public, enrolled_at=now, created_at=now)
        partitions.add_node(node.id, node.level)
    elif bytes(node.public_key or b"") != public:
        raise FieldsyncError(ErrorCode.UNAUTHENTICATED,
                             "县级平台的签名密钥与数据库中登记的不一致：请恢复数据目录中的 hub.key。")
    return node


def sign(kind: str, body: dict[str, Any], version: int = 1) -> bytes:
    """Sign ``body`` as the hub's next record and store it; returns its hash.  Refused bodies raise
    RECORD_INVALID with the fields' messages, and nothing is stored.  ``version`` is the body's record format:
    the hub's own bodies name persons by plain ID number (format 1); a correction keeps its original's format."""
    key = _key()
    with write_transaction():
        node = hub_node(key)
        nodes.lock(node)
        node = Node.get_by_id(node.id)
        last = Record.select(Record.seq, Record.hash).where(Record.node == node).order_by(Record.seq.desc()).first()
        seq, prev = (last.seq + 1, bytes(last.hash)) if last else (1, GENESIS_PREV)
        problems = body_errors(kind, body, version)
        if problems:
            raise FieldsyncError(ErrorCode.RECORD_INVALID, details={"fields": problems})
        record = seal(key, node.id, seq, prev, kind, body, utcnow().isoformat() + "Z", version)
        reply = ingest.ingest(node, wire.Batch(seq, seq, prev, [(record.content, record.signature)]),
                              node.last_counter + 1)
    if reply["rejected"]:
        rejection = reply["rejected"][0]
        raise FieldsyncError(ErrorCode[rejection["code"]], rejection["message"], rejection["details"])
    return record.hash


def signed_body(visit: Visit) -> dict[str, Any]:
    """The body of the record a visit was projected from, as its signer wrote it."""
    return json.loads(bytes(visit.record.content))["body"]


def correct_visit(actor: str, visit: Visit, income: dict[str, int], subject: str, why: str) -> None:
    """A correction of a visit's figures: a new record signed by the hub that names the record it corrects (the
    original stays, superseded), in the original's record format, audited with the reason."""
    free_text.refuse_numbers("why", why)
    original = json.loads(bytes(visit.record.content))
    body = original["body"]
    corrected = {**body, "income": income, "corrects": bytes(visit.record.hash).hex(), "author": actor[:40]}
    with write_transaction():
        sign("visit", corrected, original["v"])
        audit.record(actor, "visit.correct", subject, {"visit": visit.id, **body["income"]},
                     {"visit": visit.id, **income}, why[:500])

"""Signed records: the envelope, its canonical bytes, its hash chain and its signature.

A record is an envelope ``{v, node, seq, prev, kind, created_at, body}`` signed by its node.  What is signed
is ``SIGNING_PREFIX + prev + content`` where ``content`` is the RFC 8785 canonical JSON of the envelope
*without* ``prev`` and ``prev`` is the raw 32-byte hash of the node's previous record (zeros for the
first).  Keeping ``prev`` outside the JSON lets the hub recompute it from the record before instead of
receiving it, while still verifying exactly the bytes that arrived (docs/records.md explains the choice).

A record's hash is SHA-256 of the signed message, so each record commits to the whole chain before it.
``seq`` orders records and protects against replay; ``created_at`` is information only (village Pis have
no real-time clock).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT_VERSION = 3  # what stations sign: persons by key, typed numbers and interest phones sealed (docs/records.md)
FORMAT_VERSIONS = (1, 2, 3)  # what the hub accepts: formats 1 and 2 from stations not yet upgraded
SIGNING_PREFIX = b"fieldsync-record-v1\x00"
GENESIS_PREV = bytes(32)
HASH_SIZE = 32
SIGNATURE_SIZE = 64
ENVELOPE_FIELDS = frozenset({"v", "node", "seq", "kind", "created_at", "body"})


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of ``value``."""
    return rfc8785.dumps(value)


def signed_message(prev: bytes, content: bytes) -> bytes:
    return SIGNING_PREFIX + prev + content


def record_hash(prev: bytes, content: bytes) -> bytes:
    return hashlib.sha256(signed_message(prev, content)).digest()


@dataclass(frozen=True)
class SealedRecord:
    """A record as it is stored and sent: its position, the bytes that were signed, and the signature."""

    seq: int
    prev: bytes
    content: bytes
    signature: bytes

    @property
    def hash(self) -> bytes:
        return record_hash(self.prev, self.content)

    def envelope(self) -> dict[str, Any]:
        return json.loads(self.content)


def envelope(node_id: int, seq: int, kind: str, body: dict[str, Any], created_at: str,
             version: int = 1) -> dict[str, Any]:
    return {"v": version, "node": node_id, "seq": seq, "kind": kind, "created_at": created_at,
            "body": body}


def seal(key: Ed25519PrivateKey, node_id: int, seq: int, prev: bytes, kind: str, body: dict[str, Any],
         created_at: str, version: int = 1) -> SealedRecord:
    """Encode and sign one record.  ``version`` is the body's format: stations sign FORMAT_VERSION
    (field_node/outbox/records.py); tools that make bodies with plain ID numbers sign format 1, as old stations did."""
    content = canonical(envelope(node_id, seq, kind, body, created_at, version))
    return SealedRecord(seq, prev, content, key.sign(signed_message(prev, content)))


def signature_valid(public_key: Ed25519PublicKey, prev: bytes, content: bytes, signature: bytes) -> bool:
    return verified_hash(public_key, prev, content, signature) is not None


def verified_hash(public_key: Ed25519PublicKey, prev: bytes, content: bytes, signature: bytes) -> bytes | None:
    """The record's hash if its signature is valid, else None (one message build serves both)."""
    message = signed_message(prev, content)
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return None
    return hashlib.sha256(message).digest()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Built once: ``json.loads``/``json.dumps`` with options build a new decoder/encoder for every record.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def _parse(content: bytes) -> Any:
    """The content's JSON value, or None for anything not UTF-8 JSON — including bodies nested too deep for the
    parser (RecursionError) and integers beyond Python's digit limit (ValueError): hostile, never a crash."""
    try:
        return _DECODER.decode(content.decode("utf-8"))
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None


def is_canonical(content: bytes, value: Any) -> bool:
    """Whether ``content`` is exactly the canonical encoding of ``value``, which it parsed to.

    Re-encoding with the C JSON encoder (sorted keys, no spaces, UTF-8, RFC 8785's string escapes) gives the
    RFC 8785 bytes for every value a record may hold — objects with ASCII keys, strings, integers within
    ±(2^53−1) — at a fraction of the pure-Python ``rfc8785`` cost.  So other spacing, key order, duplicate keys,
    UTF-16/32, escaped characters that need no escape and lone surrogates all compare unequal.  Where the two
    encoders could differ (floats, keys outside the BMP, larger integers) the schema refuses the record anyway.
    """
    try:
        return _ENCODER.encode(value).encode() == content
    except (ValueError, RecursionError):  # UnicodeEncodeError: a lone surrogate
        return False


def signed_in_plain(envelope: dict[str, Any]) -> bool:
    """Whether a record's signed body may hold readable ID numbers or phones: format 1 names persons by number,
    and format 2 still carried an interest's phone and number in plain text (docs/records.md)."""
    return envelope.get("v") == 1 or (envelope.get("v") == 2 and envelope.get("kind") == "interest")


def envelope_problem(content: bytes, node_id: int, seq: int, known_kinds: set[str] | dict
                     ) -> tuple[str, dict[str, Any]] | tuple[None, dict[str, Any]]:
    """Check the envelope around a body: returns (error code name, details) or (None, envelope)."""
    env = _parse(content)
    if env is None:
        return "RECORD_INVALID", {"reason": "content is not JSON"}
    if not isinstance(env, dict) or set(env) != ENVELOPE_FIELDS:
        return "RECORD_INVALID", {"reason": "envelope fields", "expected": sorted(ENVELOPE_FIELDS)}
    if not is_canonical(content, env):
        return "RECORD_INVALID", {"reason": "content is not RFC 8785 canonical JSON"}
    if type(env["v"]) is not int or env["v"] not in FORMAT_VERSIONS:
        return "RECORD_INVALID", {"reason": "format version", "expected": list(FORMAT_VERSIONS)}
    if type(env["node"]) is not int or env["node"] != node_id:
        return "WRONG_NODE", {"node": str(env["node"])[:40]}
    if type(env["seq"]) is not int or env["seq"] != seq:
        return "RECORD_INVALID", {"reason": "seq does not match its position", "expected": seq}
    if not isinstance(env["kind"], str) or env["kind"] not in known_kinds:
        return "UNKNOWN_KIND", {"kind": str(env["kind"])[:40]}
    if not isinstance(env["created_at"], str) or len(env["created_at"]) > 40:
        return "RECORD_INVALID", {"reason": "created_at"}
    return None, env

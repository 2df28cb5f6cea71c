"""The sync protocol's wire formats: push batches and request authentication.

A push batch is gzip over::

    MAGIC "FSB1" | first_seq u64 | head u64 | first_prev 32 bytes | frame*
    frame := length u32 | content (RFC 8785 JSON) | signature 64 bytes

Frames carry consecutive sequence numbers from ``first_seq``.  Only the first record's ``prev`` travels;
every later one is the hash of the frame before it, which the hub computes anyway (PRIOR-ART: a hash the
hub can recompute need not travel).  ``head`` is the node's newest sequence number, so the hub knows what
it is still missing.  Signatures travel raw: base64 would cost a third more of the one part that never
compresses.

A request is authenticated by the node's key over method, path, node id, a per-node counter that only
grows (replay protection without trusting any clock), and the SHA-256 of the body.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared import keys
from shared.errors import ErrorCode, FieldsyncError
from shared.protocol import SEQ_MAX
from shared.records import HASH_SIZE, SIGNATURE_SIZE, SealedRecord

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-Fieldsync-Protocol"
AUTH_SCHEME = "Fieldsync"
BATCH_MAGIC = b"FSB1"
BATCH_CONTENT_TYPE = "application/vnd.fieldsync.batch"
_HEADER = struct.Struct(">4sQQ")
_LENGTH = struct.Struct(">I")
REQUEST_PREFIX = b"fieldsync-request-v1\n"


@dataclass(frozen=True)
class Batch:
    first_seq: int
    head: int
    first_prev: bytes
    frames: list[tuple[bytes, bytes]]  # (content, signature) in sequence order


def encode_batch(records: list[SealedRecord], head: int, level: int = 9) -> bytes:
    """Frame and gzip consecutive records for one push."""
    first = records[0]
    parts = [_HEADER.pack(BATCH_MAGIC, first.seq, head), first.prev]
    for expected_seq, record in enumerate(records, start=first.seq):
        if record.seq != expected_seq:
            raise ValueError("a batch holds consecutive sequence numbers")
        parts += [_LENGTH.pack(len(record.content)), record.content, record.signature]
    return gzip.compress(b"".join(parts), compresslevel=level, mtime=0)


def _bad_batch(reason: str) -> FieldsyncError:
    return FieldsyncError(ErrorCode.BAD_BATCH, details={"reason": reason})


def _out_of_range() -> FieldsyncError:
    return FieldsyncError(ErrorCode.SEQ_OUT_OF_RANGE, details={"min_seq": 1, "max_seq": SEQ_MAX})


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress, refusing a body that would expand beyond ``max_bytes`` (a gzip bomb)."""
    decompressor = zlib.decompressobj(wbits=31)
    try:
        raw = decompressor.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise _bad_batch("not gzip data") from exc
    if len(raw) > max_bytes:
        raise FieldsyncError(ErrorCode.PAYLOAD_TOO_LARGE, details={"max_bytes": max_bytes})
    if not decompressor.eof:
        raise _bad_batch("truncated gzip stream")
    return raw


def decode_batch(data: bytes, max_bytes: int, max_records: int) -> Batch:
    """Parse a push body; any structural fault refuses the whole body, since frames cannot be trusted."""
    raw = _gunzip(data, max_bytes)
    if len(raw) < _HEADER.size + HASH_SIZE:
        raise _bad_batch("shorter than its header")
    magic, first_seq, head = _HEADER.unpack_from(raw)
    if magic != BATCH_MAGIC:
        raise _bad_batch("unknown batch format")
    if first_seq < 1:
        raise _bad_batch("sequence numbers start at 1")
    if first_seq > SEQ_MAX or head > SEQ_MAX:
        raise _out_of_range()
    offset = _HEADER.size
    first_prev = raw[offset:offset + HASH_SIZE]
    offset += HASH_SIZE
    frames: list[tuple[bytes, bytes]] = []
    while offset < len(raw):
        if len(frames) >= max_records:
            raise FieldsyncError(ErrorCode.PAYLOAD_TOO_LARGE, details={"max_records": max_records})
        if offset + _LENGTH.size > len(raw):
            raise _bad_batch("truncated frame header")
        (length,) = _LENGTH.unpack_from(raw, offset)
        offset += _LENGTH.size
        end = offset + length + SIGNATURE_SIZE
        if end > len(raw):
            raise _bad_batch("truncated frame")
        frames.append((raw[offset:offset + length], raw[offset + length:end]))
        offset = end
    if not frames:
        raise _bad_batch("no records")
    if first_seq + len(frames) - 1 > SEQ_MAX:
        raise _out_of_range()
    if head < first_seq + len(frames) - 1:
        raise _bad_batch("head is below the records sent")
    return Batch(first_seq, head, first_prev, frames)


def request_message(method: str, path: str, node_id: int, counter: int, body: bytes) -> bytes:
    """What a node signs to authenticate one request.  ``path`` includes the query string."""
    return REQUEST_PREFIX + f"{method.upper()}\n{path}\n{node_id}\n{counter}\n".encode() + \
        hashlib.sha256(body).digest()


def authorization_header(key: Ed25519PrivateKey, method: str, path: str, node_id: int, counter: int,
                         body: bytes) -> str:
    signature = key.sign(request_message(method, path, node_id, counter, body))
    return f"{AUTH_SCHEME} node={node_id},counter={counter},signature={keys.b64encode(signature)}"


@dataclass(frozen=True)
class RequestAuth:
    node_id: int
    counter: int
    signature: bytes


def parse_authorization(header: str | None) -> RequestAuth:
    """Read the Authorization header; any fault is UNAUTHENTICATED."""
    if not header or not header.startswith(AUTH_SCHEME + " "):
        raise FieldsyncError(ErrorCode.UNAUTHENTICATED)
    try:
        fields = dict(part.split("=", 1) for part in header[len(AUTH_SCHEME) + 1:].split(","))
        auth = RequestAuth(_bounded(fields["node"]), _bounded(fields["counter"]), keys.b64decode(fields["signature"]))
    except (KeyError, ValueError) as exc:
        raise FieldsyncError(ErrorCode.UNAUTHENTICATED) from exc
    return auth


def _bounded(text: str) -> int:
    """A node id or counter: decimal digits only, in 1 … SEQ_MAX (so no query ever sees a larger integer)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 16 or not 1 <= int(text) <= SEQ_MAX:
        raise ValueError("out of range")
    return int(text)


def request_signature_valid(public_key: Ed25519PublicKey, auth: RequestAuth, method: str, path: str,
                            body: bytes) -> bool:
    try:
        public_key.verify(auth.signature, request_message(method, path, auth.node_id, auth.counter, body))
    except InvalidSignature:
        return False
    return True


ENROL_PREFIX = b"fieldsync-enrol-v1\n"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed by hand


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch in CODE_ALPHABET)


def enrol_message(code: str, public_key: bytes) -> bytes:
    """What a node signs at enrolment to prove it holds the private key of the public key it sends."""
    return ENROL_PREFIX + normalise_code(code).encode() + b"\n" + public_key


def enrol_body(code: str, key: Ed25519PrivateKey) -> dict[str, str]:
    """The enrolment request a signer sends with its one-time code: its public key and the proof it holds the
    private one (a station enrolling at its county, a county hub at its city)."""
    public = keys.public_bytes(key)
    return {"code": code, "public_key": keys.b64encode(public),
            "proof": keys.b64encode(key.sign(enrol_message(code, public)))}

"""The sync protocol's endpoints and reply vocabulary, shared by hub and node.

Endpoints (all under ``/api/v1``; the OpenAPI document at ``/api/v1/openapi.json`` describes them):

* ``POST /enroll`` — one-time code + the node's public key (+ proof of possession) -> node id, villages.
* ``POST /push`` — a gzip batch of signed records (shared.wire) -> per-record outcome and high-water mark.
* ``GET /roster?cursor=C`` — the node's villages' household changes after cursor C.
* ``GET /state`` — what the hub holds of this node: high-water mark and missing ranges.
* ``GET /postings?cursor=N`` — job postings for the node's townships and the county changed after N.
* ``GET /tasks?cursor=N`` — verification tasks for the node's villages' households changed after N.
* ``GET /accounts`` — the station accounts the county made for the node's villages (password hashes).
* ``POST /certificate`` — the station's CSR (or null) -> its name and, once issued, its TLS certificate.
"""

from __future__ import annotations

API_PREFIX = "/api/v1"
ENROLL_PATH = f"{API_PREFIX}/enroll"
PUSH_PATH = f"{API_PREFIX}/push"
ROSTER_PATH = f"{API_PREFIX}/roster"
STATE_PATH = f"{API_PREFIX}/state"
ACCOUNTS_PATH = f"{API_PREFIX}/accounts"
POSTINGS_PATH = f"{API_PREFIX}/postings"
TASKS_PATH = f"{API_PREFIX}/tasks"
CERTIFICATE_PATH = f"{API_PREFIX}/certificate"

# Sequence numbers, heads and request counters live in 1 … SEQ_MAX (docs/protocol.md, "Bounds"): the largest
# integer an IEEE double — what RFC 8785 JSON numbers are — holds exactly, and well inside a signed 64-bit column,
# so SQLite and PostgreSQL store every value the protocol allows and the hub refuses the rest before any query.
SEQ_MAX = 2**53 - 1
# A push's ``head`` is believed at most this far beyond the last record it carries: a station that claims more
# cannot make the hub wait for records it never showed (an honest station is at most its outbox ahead).
HEAD_LEAD_MAX = 1_000_000


def in_seq_range(value: object) -> bool:
    """An integer (not a bool) in 1 … SEQ_MAX."""
    return type(value) is int and 1 <= value <= SEQ_MAX


def reply_problem(reply: object, shape: str) -> str | None:
    """What is wrong with a hub's ``push`` or ``state`` reply, or None: the node acts on a reply only after this,
    so no reply — however broken or hostile — can crash it or make it build ranges beyond SEQ_MAX."""
    if not isinstance(reply, dict):
        return "not an object"
    for name in ("hwm", "head"):
        if not (type(reply.get(name)) is int and 0 <= reply[name] <= SEQ_MAX):
            return name
    for name in ("missing", *(("accepted", "duplicates") if shape == "push" else ())):
        if not _seq_ranges(reply.get(name)):
            return name
    if shape == "push" and not (isinstance(reply.get("rejected"), list)
                                and all(_rejection_ok(item) for item in reply["rejected"])):
        return "rejected"
    return None


def _seq_ranges(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(pair, list) and len(pair) == 2 and in_seq_range(pair[0]) and in_seq_range(pair[1])
        and pair[0] <= pair[1] for pair in value)


def _rejection_ok(item: object) -> bool:
    return (isinstance(item, dict) and in_seq_range(item.get("seq")) and isinstance(item.get("code"), str)
            and isinstance(item.get("message"), str) and isinstance(item.get("details"), dict)
            and type(item.get("final")) is bool)


def clip(runs: list[list[int]], first: int, last: int) -> list[int]:
    """The sequence numbers of ``runs`` within first … last (a reply can only speak of the records sent)."""
    return [seq for low, high in runs for seq in range(max(low, first), min(high, last) + 1)]


def ranges(seqs: list[int]) -> list[list[int]]:
    """Compress sorted sequence numbers into inclusive [first, last] runs."""
    runs: list[list[int]] = []
    for seq in seqs:
        if runs and runs[-1][1] == seq - 1:
            runs[-1][1] = seq
        else:
            runs.append([seq, seq])
    return runs


def expand(runs: list[list[int]]) -> list[int]:
    return [seq for first, last in runs for seq in range(first, last + 1)]

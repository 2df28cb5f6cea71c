"""The sync protocol's endpoints and reply vocabulary, shared by hub and node.

Endpoints (all under ``/api/v1``; the OpenAPI document at ``/api/v1/openapi.json`` describes them):

* ``POST /enroll`` — one-time code + the node's public key (+ proof of possession) -> node id, villages.
* ``POST /push`` — a gzip batch of signed records (shared.wire) -> per-record outcome and high-water mark.
* ``GET /roster?cursor=C`` — the node's villages' household changes after cursor C.
* ``GET /state`` — what the hub holds of this node: high-water mark and missing ranges.
* ``GET /postings?cursor=N`` — job postings for the node's townships and the county changed after N.
* ``GET /tasks?cursor=N`` — verification tasks for the node's villages' households changed after N.
* ``GET /accounts`` — the station accounts the county made for the node's villages (password hashes).
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

"""A station's data folder filled without a hub: roster, key, accounts and signed visits (tests, bench, demo).

Everything goes through the node's own functions (``apply_roster_page``, ``records.save_records``), so a
seeded station is exactly what enrolment and sync would have produced, minus the network.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from devtools import synthetic
from field_node import accounts
from field_node.outbox import records
from field_node.roster.households import apply_roster_page
from field_node.store.db import database
from field_node.store.state import set_state
from field_node.sync import node as node_module
from shared import keys, sealing

BOOLEAN_COLUMNS = ("dibao", "tekun", "relocated", "disabled")
MEMBER_COLUMNS = ("name", "gender", "relation", "labour_ability", "student", "status")
PASSWORD = "station-pass-1"
# A stand-in for the hub's sealing key (tests, bench and demo only): person keys and sealing as a hub would.
DEV_SEAL_KEY = X25519PrivateKey.from_private_bytes(hashlib.sha256(b"fieldsync devtools seal key").digest())


def person_key(id_number: str) -> str:
    """The person key the stand-in hub gives ``id_number``."""
    return sealing.person_key(sealing.person_key_secret(DEV_SEAL_KEY), id_number)

SEED = 11


def roster_page(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Synthetic roster rows (DOMAIN.md §10 keys) as one page of the hub's roster pull (format 2: persons by key,
    birth month, no ID number or phone)."""
    households: dict[str, dict[str, Any]] = {}
    for row in rows:
        household = households.setdefault(row["household_id"], {
            "number": row["household_id"], "township": row["township"], "village": row["village"],
            "assigned": True, "household_type": row["household_type"], "monitoring_type": row["monitoring_type"],
            "monitoring_since": row["monitoring_since"] or None, "members": []})
        member = {key: row[key] or "" for key in MEMBER_COLUMNS}
        member.update({key: row[key] == "是" for key in BOOLEAN_COLUMNS})
        member.update(key=person_key(row["id_number"]), birth_month=row["birth_date"][:7] or None)
        household["members"].append(member)
    return {"households": list(households.values()), "cursor": "seeded", "more": False,
            "seal_key": sealing.public_text(DEV_SEAL_KEY)}


def station_body(body: dict[str, Any], key_of: Callable[[str], str] = person_key) -> dict[str, Any]:
    """A synthetic visit body (labourers by ID number) as a station signs it: labourers by person key
    (``key_of``: the stand-in hub's, or a real hub's ``hub_person_keys``)."""
    return {**body, "employment": [{**job, "person": key_of(job["person"])} for job in body["employment"]]}


def hub_person_keys(hub_data_dir: Path) -> Callable[[str], str]:
    """The person keys a hub with this data folder gives (tests over a real hub)."""
    from hub.roster.sealing_keys import SEAL_KEY_FILE, load_key

    secret = sealing.person_key_secret(load_key(Path(hub_data_dir) / SEAL_KEY_FILE))  # made now if the hub has not
    return lambda id_number: sealing.person_key(secret, id_number)


def seed_station(data_dir: Path, villages: list[tuple[str, str]], households_per_village: int,
                 months: list[str], seed: int = SEED, name: str = "测试站", with_roster: bool = True,
                 key_of: Callable[[str], str] = person_key) -> tuple[node_module.Node, list[dict]]:
    """A station with a roster, a grid member ``wang`` and an admin ``admin`` (password ``PASSWORD``),
    and one signed visit per household for each of ``months``.  Returns the node and the roster rows.
    ``with_roster=False``: the station is enrolled and has pulled the same roster from a hub already (then
    ``key_of`` is that hub's person keys, ``hub_person_keys``)."""
    opened = node_module.open_node(data_dir)
    if not opened.key_path.exists():
        keys.save_private_key(keys.generate(), opened.key_path)
    rows = synthetic.generate_roster(seed, villages, households_per_village)
    rnd = random.Random(seed)
    with database.connection_context():
        if with_roster:
            with database.atomic("IMMEDIATE"):
                set_state("node_id", 1)
                set_state("node_name", name)
            apply_roster_page(roster_page(rows))
        accounts.create_account("wang", "王网格", PASSWORD)
        accounts.create_account("admin", "站点管理员", PASSWORD, role="admin")
        by_household: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_household.setdefault(row["household_id"], []).append(row)
        for month in months:
            bodies = [("visit", station_body({**synthetic.visit_body(rnd, members, month, "王网格"), "author": "wang"},
                                            key_of))
                      for members in by_household.values()]
            for start in range(0, len(bodies), 2000):
                saved, problems = records.save_records(opened.key(), opened.node_id, bodies[start:start + 2000])
                assert not problems, problems[0].details
    return opened, rows

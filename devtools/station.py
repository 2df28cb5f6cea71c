"""A station's data folder filled without a hub: roster, key, accounts and signed visits (tests, bench, demo).

Everything goes through the node's own functions (``store.apply_roster_page``, ``store.save_records``), so a
seeded station is exactly what enrolment and sync would have produced, minus the network.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from devtools import synthetic
from field_node import accounts, store
from field_node import node as node_module
from field_node.db import database
from shared import keys

BOOLEAN_COLUMNS = ("dibao", "tekun", "relocated", "disabled")
MEMBER_COLUMNS = ("id_number", "name", "gender", "birth_date", "relation", "labour_ability", "student", "phone",
                  "status")
PASSWORD = "station-pass-1"
SEED = 11


def roster_page(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Synthetic roster rows (DOMAIN.md §10 keys) as one page of the hub's roster pull."""
    households: dict[str, dict[str, Any]] = {}
    for row in rows:
        household = households.setdefault(row["household_id"], {
            "number": row["household_id"], "township": row["township"], "village": row["village"],
            "assigned": True, "household_type": row["household_type"], "monitoring_type": row["monitoring_type"],
            "monitoring_since": row["monitoring_since"] or None, "members": []})
        member = {key: row[key] or (None if key == "birth_date" else "") for key in MEMBER_COLUMNS}
        member.update({key: row[key] == "是" for key in BOOLEAN_COLUMNS})
        household["members"].append(member)
    return {"households": list(households.values()), "cursor": "seeded", "more": False}


def seed_station(data_dir: Path, villages: list[tuple[str, str]], households_per_village: int,
                 months: list[str], seed: int = SEED, name: str = "测试站", with_roster: bool = True
                 ) -> tuple[node_module.Node, list[dict]]:
    """A station with a roster, a grid member ``wang`` and an admin ``admin`` (password ``PASSWORD``),
    and one signed visit per household for each of ``months``.  Returns the node and the roster rows.
    ``with_roster=False``: the station is enrolled and has pulled the same roster from a hub already."""
    opened = node_module.open_node(data_dir)
    if not opened.key_path.exists():
        keys.save_private_key(keys.generate(), opened.key_path)
    rows = synthetic.generate_roster(seed, villages, households_per_village)
    rnd = random.Random(seed)
    with database.connection_context():
        if with_roster:
            with database.atomic("IMMEDIATE"):
                store.set_state("node_id", 1)
                store.set_state("node_name", name)
            store.apply_roster_page(roster_page(rows))
        accounts.create_account("wang", "王网格", PASSWORD)
        accounts.create_account("admin", "站点管理员", PASSWORD, role="admin")
        by_household: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_household.setdefault(row["household_id"], []).append(row)
        for month in months:
            bodies = [("visit", {**synthetic.visit_body(rnd, members, month, "王网格"), "author": "wang"})
                      for members in by_household.values()]
            for start in range(0, len(bodies), 2000):
                saved, problems = store.save_records(opened.key(), opened.node_id, bodies[start:start + 2000])
                assert not problems, problems[0].details
    return opened, rows

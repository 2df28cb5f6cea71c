"""Node fixtures: a real node data folder, and a hub served over loopback HTTP in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from field_node.sync import node as node_module
from tests.support import VILLAGES, import_county


@pytest.fixture
def opened_node(tmp_path: Path) -> node_module.Node:
    return node_module.open_node(tmp_path / "node", {"WATCH_INTERVAL": 0.0, "BACKOFF_BASE": 0.01})


@pytest.fixture
def live_hub(app, tmp_path) -> Iterator[dict]:
    """The hub app on a loopback port, with a county imported; yields its URL and roster rows."""
    from devtools.station import hub_person_keys
    from hub.roster import sealing_keys
    from hub.store import db

    with app.app_context(), db.database.connection_context():
        rows = import_county(tmp_path)
        sealing_keys.private_key()  # made on first use; tests need its person keys from the start
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "rows": rows, "server": server,
           "person_key": hub_person_keys(Path(app.config["DATA_DIR"]))}
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def enrolled(app, live_hub, opened_node):
    """The node enrolled for the first two villages."""
    from hub.store import db
    from hub.sync import nodes

    with app.app_context(), db.database.connection_context():
        _, code = nodes.register("测试站", [nodes.find_village("/".join(v)) for v in VILLAGES[:2]], 24, actor="test")
    node_module.enroll(opened_node, live_hub["url"], code)
    return opened_node


def seed_roster(opened_node: node_module.Node, seed: int, households: int) -> dict[str, list[dict]]:
    """Give ``opened_node`` a generated roster (one village), node id 1 and a signing key; the roster rows by
    household number, in number order."""
    from devtools import synthetic
    from devtools.station import roster_page
    from field_node.roster.households import apply_roster_page
    from field_node.store.db import database
    from field_node.store.state import set_state
    from shared import keys

    rows = synthetic.generate_roster(seed, VILLAGES[:1], households)
    with database.connection_context():
        apply_roster_page(roster_page(rows))
        set_state("node_id", 1)
    keys.save_private_key(keys.generate(), opened_node.key_path)
    return {number: [r for r in rows if r["household_id"] == number]
            for number in sorted({row["household_id"] for row in rows})}


def recent_months(count: int) -> list[str]:
    """The ``count`` months before the station's current month, oldest first."""
    from field_node.store.state import now_text
    from shared.months import months_back

    months = months_back(now_text()[:7], count + 1)
    return months[:-1]


@pytest.fixture
def station(tmp_path: Path):
    """A seeded station (two villages, eight households each, visits for the last two months) and its app."""
    from devtools import station as seeding
    from field_node.web import create_app

    opened, rows = seeding.seed_station(tmp_path / "station", VILLAGES[:2], 8, recent_months(2))
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, data_dir=opened.data_dir)
    return {"node": opened, "rows": rows, "app": app}


@pytest.fixture
def member_client(station):
    """A test client signed in as the grid member ``wang``."""
    from devtools.station import PASSWORD

    client = station["app"].test_client()
    reply = client.post("/login", data={"username": "wang", "password": PASSWORD})
    assert reply.status_code == 302
    return client

"""Node fixtures: a real node data folder, and a hub served over loopback HTTP in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from field_node import node as node_module
from tests.support import VILLAGES, import_county


@pytest.fixture
def opened_node(tmp_path: Path) -> node_module.Node:
    return node_module.open_node(tmp_path / "node", {"WATCH_INTERVAL": 0.0, "BACKOFF_BASE": 0.01})


@pytest.fixture
def live_hub(app, tmp_path) -> Iterator[dict]:
    """The hub app on a loopback port, with a county imported; yields its URL and roster rows."""
    from hub import db

    with app.app_context(), db.database.connection_context():
        rows = import_county(tmp_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "rows": rows, "server": server}
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def enrolled(app, live_hub, opened_node):
    """The node enrolled for the first two villages."""
    from hub import db, nodes

    with app.app_context(), db.database.connection_context():
        _, code = nodes.register("测试站", [nodes.find_village("/".join(v)) for v in VILLAGES[:2]], 24)
    node_module.enroll(opened_node, live_hub["url"], code)
    return opened_node

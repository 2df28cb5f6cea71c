"""A seeded station (two villages) and its app, with accounts as an attacker or a curious grid member has them; a
hub clerk."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import make_user
from tests.support import VILLAGES


@pytest.fixture
def clerk(app: Flask) -> str:
    """A county staff account, ``clerk`` (password ``ADMIN_PASSWORD``), on the hub ``app`` fixture."""
    make_user(app, "clerk", "staff")
    return "clerk"


@pytest.fixture
def station(tmp_path):
    """Two villages of eight households each, visits for the last two months; ``wang`` (member, made at the
    station before village scopes existed), ``admin``, and the county's ``li`` scoped to the first village."""
    from devtools import station as seeding
    from field_node import accounts
    from field_node.store.db import database
    from field_node.store.state import now_text
    from field_node.web import create_app
    from shared.accounts import account_document, hash_password
    from shared.months import months_back

    months = months_back(now_text()[:7], 3)[:-1]
    opened, rows = seeding.seed_station(tmp_path / "station", VILLAGES[:2], 8, months)
    with database.connection_context():
        accounts.apply_hub_accounts([account_document("li", "李网格", hash_password(seeding.PASSWORD), "member",
                                                      True, ["/".join(VILLAGES[0])])])
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, data_dir=opened.data_dir)
    own = [row for row in rows if (row["township"], row["village"]) == VILLAGES[0]]
    other = [row for row in rows if (row["township"], row["village"]) == VILLAGES[1]]
    return {"node": opened, "rows": rows, "app": app, "own": own, "other": other}


def sign_in(station, username: str):
    from devtools.station import PASSWORD

    client = station["app"].test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client

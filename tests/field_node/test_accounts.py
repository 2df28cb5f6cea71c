"""Station accounts made at the hub reach the stations of their village at sync, and only those."""

from __future__ import annotations

import pytest

from field_node import accounts
from field_node.store.db import database
from field_node.store.models import Account
from field_node.sync import passes
from hub.accounts import field_accounts
from hub.store import db as hub_database
from hub.sync import nodes
from shared.errors import FieldsyncError
from shared.protocol import ACCOUNTS_PATH
from tests.support import VILLAGES, SimNode, import_county


def make_hub_accounts(app) -> None:
    with app.app_context(), hub_database.database.connection_context():
        field_accounts.create("wei", "韦网格", "secret-1", nodes.find_village("/".join(VILLAGES[0])), actor="test")
        field_accounts.create("lan", "蓝网格", "secret-2", nodes.find_village("/".join(VILLAGES[3])), actor="test")


def test_a_station_pulls_the_accounts_of_its_villages_and_signs_them_in_offline(app, live_hub, enrolled):
    make_hub_accounts(app)
    passes.sync_once(enrolled, lambda _: None)
    with database.connection_context():
        assert {a.username: a.origin for a in Account.select()} == {"wei": "hub"}
        assert Account.get_by_id("wei").villages == f'["{"/".join(VILLAGES[0])}"]'  # the station scopes it
        assert accounts.sign_in("wei", "secret-1", 5, 900).display_name == "韦网格"
    with app.app_context(), hub_database.database.connection_context():
        field_accounts.disable("wei", actor="test")
    passes.sync_once(enrolled, lambda _: None)
    with database.connection_context():
        assert accounts.sign_in("wei", "secret-1", 5, 900) is None
        assert Account.get_by_id("wei").active is False


def test_the_accounts_endpoint_needs_a_node_signature_and_answers_with_its_villages_only(app, client, hub_db,
                                                                                       tmp_path):
    import_county(tmp_path)
    make_hub_accounts(app)
    assert client.get(ACCOUNTS_PATH).status_code == 401
    node = SimNode(app, client, "站点乙", VILLAGES[3:4])
    reply = node.get(ACCOUNTS_PATH)
    assert reply.status_code == 200
    assert [a["username"] for a in reply.json["accounts"]] == ["lan"]
    assert reply.json["accounts"][0]["password_hash"].startswith("pbkdf2:sha256:")
    assert reply.json["accounts"][0]["villages"] == ["/".join(VILLAGES[3])]


def test_the_hub_refuses_a_bad_account_with_reasons(app, hub_db, tmp_path):
    import_county(tmp_path)
    with app.app_context(), hub_database.database.connection_context(), pytest.raises(FieldsyncError) as caught:
        field_accounts.create("X Y", "", "1", nodes.find_village("/".join(VILLAGES[0])), actor="test")
    assert set(caught.value.details) == {"username", "display_name", "password"}

"""Sessions end on the server: a session cookie copied before 退出 (or before the account was disabled, its role or
password changed) opens nothing afterwards, on the hub and on the station app (issue 12, item 5).

Each case is what an attacker holding a copy of the cookie does: send it with a request to a page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from devtools.station import PASSWORD as STATION_PASSWORD
from hub.cli import main as hub_cli
from hub.store import db
from hub.store.models import CountyUser
from shared.accounts import account_document, hash_password
from tests.conftest import ADMIN_PASSWORD
from tests.support import VILLAGES

PAGE = "/"


def sign_in(app: Flask, username: str, password: str = ADMIN_PASSWORD) -> FlaskClient:
    client = app.test_client()
    reply = client.post("/login", data={"username": username, "password": password})
    assert reply.status_code == 302, reply.get_data(as_text=True)
    return client


def copied(app: Flask, victim: FlaskClient) -> FlaskClient:
    """A fresh client (the attacker's) sending a copy of the victim's session cookie."""
    attacker = app.test_client()
    attacker.set_cookie("session", victim.get_cookie("session").value)
    return attacker


def refused(reply) -> bool:  # a test response
    return reply.status_code == 302 and "/login" in reply.location


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, clerk):
    victim = sign_in(app, clerk)
    attacker = copied(app, victim)
    assert attacker.get(PAGE).status_code == 200  # the copy works while the session lives
    assert victim.post("/logout").status_code == 302
    assert refused(attacker.get(PAGE))
    assert attacker.get("/api/v1/read/households").status_code == 401


def test_sign_out_ends_the_users_sessions_on_every_device(app, clerk):
    office, phone = sign_in(app, clerk), sign_in(app, clerk)
    office.post("/logout")
    assert refused(phone.get(PAGE))
    assert sign_in(app, clerk).get(PAGE).status_code == 200  # signing in again works


def test_a_role_change_ends_the_users_sessions(app, clerk, runner):
    attacker = copied(app, sign_in(app, clerk))
    done = runner.invoke(hub_cli, ["--data-dir", app.config["DATA_DIR"], "--database-url",
                                   app.config["DATABASE_URL"], "set-role", clerk, "--role", "viewer",
                                   "--why", "调岗"])
    assert done.exit_code == 0, done.output
    assert refused(attacker.get(PAGE))


def test_disabling_a_user_ends_the_users_sessions(app, clerk, runner):
    attacker = copied(app, sign_in(app, clerk))
    done = runner.invoke(hub_cli, ["--data-dir", app.config["DATA_DIR"], "--database-url",
                                   app.config["DATABASE_URL"], "disable-user", clerk, "--why", "离职"])
    assert done.exit_code == 0, done.output
    assert refused(attacker.get(PAGE))
    assert app.test_client().post("/login", data={"username": clerk, "password": ADMIN_PASSWORD}).status_code == 401


def test_a_password_change_ends_the_users_sessions(app, clerk):
    attacker = copied(app, sign_in(app, clerk))
    with app.app_context(), db.database.connection_context():
        CountyUser.update(password_hash=hash_password("another-pass-2")).where(
            CountyUser.username == clerk).execute()
    assert refused(attacker.get(PAGE))


def test_a_cookie_naming_only_the_user_id_is_refused(app, clerk):
    """The session id of earlier releases (the bare user id), even correctly signed, loads no user."""
    with app.app_context(), db.database.connection_context():
        user_id = CountyUser.get(CountyUser.username == clerk).id
    forged = app.test_client()
    with forged.session_transaction() as session:
        session["_user_id"] = str(user_id)
    assert refused(forged.get(PAGE))


# The station app ------------------------------------------------------------------------------------------------


@pytest.fixture
def station_app(tmp_path: Path) -> Flask:
    from devtools import station as seeding
    from field_node.web import create_app

    opened, _ = seeding.seed_station(tmp_path / "station", VILLAGES[:1], 2, [])
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, data_dir=opened.data_dir)


def test_station_a_cookie_copied_before_sign_out_opens_nothing_after_it(station_app):
    victim = sign_in(station_app, "wang", STATION_PASSWORD)
    attacker = copied(station_app, victim)
    assert attacker.get(PAGE).status_code == 200
    victim.post("/logout")
    assert refused(attacker.get(PAGE))


def test_station_a_password_or_role_changed_at_the_hub_ends_the_sessions(station_app):
    from field_node import accounts
    from field_node.store.db import database

    with database.connection_context():
        accounts.apply_hub_accounts([account_document("wei", "韦网格", hash_password("first-pass-1"), "member",
                                                      True)])
    attacker = copied(station_app, sign_in(station_app, "wei", "first-pass-1"))
    assert attacker.get(PAGE).status_code == 200
    with database.connection_context():
        accounts.apply_hub_accounts([account_document("wei", "韦网格", hash_password("second-pass-2"), "member",
                                                      True)])
    assert refused(attacker.get(PAGE))
    attacker = copied(station_app, sign_in(station_app, "wei", "second-pass-2"))
    with database.connection_context():
        accounts.apply_hub_accounts([account_document("wei", "韦网格", hash_password("second-pass-2"), "admin",
                                                      True)])
    assert refused(attacker.get(PAGE))


def test_station_an_account_the_hub_disabled_loses_its_sessions(station_app):
    from field_node import accounts
    from field_node.store.db import database

    document = account_document("wei", "韦网格", hash_password("first-pass-1"), "member", True)
    with database.connection_context():
        accounts.apply_hub_accounts([document])
    attacker = copied(station_app, sign_in(station_app, "wei", "first-pass-1"))
    with database.connection_context():
        accounts.apply_hub_accounts([{**document, "active": False}])
    assert refused(attacker.get(PAGE))


def test_station_pages_are_not_stored_but_public_job_pages_may_be(station_app):
    member = sign_in(station_app, "wang", STATION_PASSWORD)
    assert member.get(PAGE).headers["Cache-Control"] == "no-store"
    assert station_app.test_client().get("/login").headers["Cache-Control"] == "no-store"
    assert station_app.test_client().get("/jobs").headers.get("Cache-Control") != "no-store"


@pytest.mark.e2e
def test_over_real_http_a_copied_cookie_dies_with_sign_out(tmp_path, database_url):
    """The same attack against the hub under gunicorn (two workers), cookie copied off the wire."""
    import re

    import requests

    from devtools import synthetic
    from devtools.processes import Hub

    hub = Hub(tmp_path / "hub", database_url)
    hub.cli("init", "--county", synthetic.COUNTY, "--township", synthetic.RONGAN_TOWNSHIPS[0])
    hub.cli("add-user", "clerk", "--name", "文员", "--role", "staff", "--password", ADMIN_PASSWORD)
    hub.start(workers=2)
    try:
        victim = requests.Session()
        token = re.search(r'name="csrf_token" value="([^"]+)"', victim.get(f"{hub.url}/login", timeout=10).text)[1]
        victim.post(f"{hub.url}/login", data={"csrf_token": token, "username": "clerk", "password": ADMIN_PASSWORD},
                    timeout=10)
        stolen = victim.cookies.get("session")
        attacker = requests.Session()
        attacker.cookies.set("session", stolen)
        assert attacker.get(f"{hub.url}/", allow_redirects=False, timeout=10).status_code == 200
        page = victim.get(f"{hub.url}/", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        assert victim.post(f"{hub.url}/logout", data={"csrf_token": token}, allow_redirects=False,
                           timeout=10).status_code == 302
        for _ in range(4):  # whichever worker answers
            reply = attacker.get(f"{hub.url}/", allow_redirects=False, timeout=10)
            assert reply.status_code == 302 and "/login" in reply.headers["Location"]
    finally:
        hub.stop()

"""Sign-in as an attacker tries it: guessing passwords, locking others out, telling which user names exist, weak
passwords, and rate limits that must count per client behind nginx and across gunicorn workers (issue 12)."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

import shared.accounts
from devtools import synthetic
from devtools.processes import Hub
from field_node.cli import main as node_cli
from hub.cli import main as hub_cli
from hub.store import db
from hub.web.app import create_app
from tests.conftest import ADMIN_PASSWORD
from tests.support import VILLAGES, import_county

ATTACKER, CLERK_DESK = "203.0.113.66", "10.20.0.5"


def client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client: FlaskClient, username: str, password: str, **headers: str):
    return client.post("/login", data={"username": username, "password": password}, headers=headers)


def hub_app(app: Flask, **config: object) -> Flask:
    """Another hub app on the ``app`` fixture's database, with ``config`` changed."""
    return create_app({"TESTING": True, "DATA_DIR": app.config["DATA_DIR"], "WTF_CSRF_ENABLED": False,
                       "DATABASE_URL": app.config["DATABASE_URL"], **config}, check_schema=False)


def test_five_wrong_passwords_lock_the_name_for_that_address_only(app, clerk):
    attacker = client_at(app, ATTACKER)
    for _ in range(5):
        assert attempt(attacker, clerk, "guess-guess").status_code == 401
    assert attempt(attacker, clerk, ADMIN_PASSWORD).status_code == 401  # locked for the attacker's address
    assert attempt(client_at(app, CLERK_DESK), clerk, ADMIN_PASSWORD).status_code == 302  # not for the clerk


def test_a_locked_name_and_an_unknown_name_answer_alike(app, clerk):
    """Lockouts tell nothing about which names exist: an unknown name is counted and locked the same way."""
    answers = {}
    for address, name in (("203.0.113.7", clerk), ("203.0.113.8", "no-such-user")):
        attacker = client_at(app, address)  # one address each: the per-address rate limit is not the point here
        for _ in range(6):
            reply = attempt(attacker, name, "guess-guess")
        page = re.sub(r'name="csrf_token" value="[^"]*"', "", reply.get_data(as_text=True))
        answers[name] = (reply.status_code, page.replace(name, "<name>"))
    assert answers[clerk] == answers["no-such-user"]


def test_a_locked_name_still_costs_a_full_password_check(app, clerk, monkeypatch):
    """The answer to a locked account takes as long as any other refusal (20 ms against 180 ms before): the
    password hash is worked out every time."""
    attacker = client_at(app, ATTACKER)
    for _ in range(5):
        attempt(attacker, clerk, "guess-guess")
    checks = []
    real = shared.accounts.password_matches
    monkeypatch.setattr(shared.accounts, "password_matches", lambda *args: checks.append(1) or real(*args))
    for name in (clerk, "no-such-user"):
        assert attempt(attacker, name, "guess-guess").status_code == 401
    assert len(checks) == 2


def test_the_right_password_clears_the_count(app, clerk):
    desk = client_at(app, CLERK_DESK)
    for _ in range(4):
        attempt(desk, clerk, "typo-typo")
    assert attempt(desk, clerk, ADMIN_PASSWORD).status_code == 302
    for _ in range(4):
        attempt(client_at(app, CLERK_DESK), clerk, "typo-typo")
    assert attempt(client_at(app, CLERK_DESK), clerk, ADMIN_PASSWORD).status_code == 302


def test_behind_one_proxy_each_client_has_its_own_rate_limit(app, clerk):
    proxied = hub_app(app, PROXY_HOPS=1, LOGIN_RATE_LIMIT="3/minute")
    nginx = client_at(proxied, "127.0.0.1")
    for _ in range(3):
        assert attempt(nginx, clerk, "guess-guess", **{"X-Forwarded-For": ATTACKER}).status_code == 401
    refused = attempt(nginx, clerk, "guess-guess", **{"X-Forwarded-For": ATTACKER})
    assert refused.status_code == 429 and "太频繁" in refused.get_data(as_text=True)
    assert attempt(nginx, clerk, ADMIN_PASSWORD, **{"X-Forwarded-For": CLERK_DESK}).status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_for_escapes_no_limit(app, clerk):
    direct = hub_app(app, PROXY_HOPS=0, LOGIN_RATE_LIMIT="3/minute")
    attacker = client_at(direct, ATTACKER)
    replies = [attempt(attacker, clerk, "guess-guess", **{"X-Forwarded-For": f"198.51.100.{n}"}).status_code
               for n in range(5)]
    assert replies[-1] == 429


def test_one_job_seekers_script_does_not_close_the_interest_form_for_others(app, tmp_path):
    """Behind nginx, five 我想报名 a minute from one phone used to close the form for every job-seeker."""
    from hub.sync import own_records
    from tests.hub.postings.test_postings import posting_body

    with app.app_context(), db.database.connection_context():
        import_county(tmp_path)
        body = posting_body()
        own_records.sign("posting", body)
    nginx = client_at(hub_app(app, PROXY_HOPS=1, INTEREST_RATE_LIMIT="2/minute"), "127.0.0.1")
    form = {"name": "", "phone": "", "village": "", "id_number": ""}
    url = f"/j/{body['posting_id']}/interest"
    script = [nginx.post(url, data=form, headers={"X-Forwarded-For": ATTACKER}).status_code for _ in range(3)]
    assert script[-1] == 429 and 429 not in script[:2]
    assert nginx.post(url, data=form, headers={"X-Forwarded-For": "100.64.1.2"}).status_code == 422


def test_enrolment_is_rate_limited_per_address(app):
    limited = hub_app(app, ENROLL_RATE_LIMIT="2/hour")
    attacker = client_at(limited, ATTACKER)
    body = {"code": "AAAA-BBBB-CCCC", "public_key": "AAAA", "proof": "AAAA"}
    first = [attacker.post("/api/v1/enroll", json=body).status_code for _ in range(2)]
    reply = attacker.post("/api/v1/enroll", json=body)
    assert 429 not in first
    assert reply.status_code == 429 and reply.get_json()["code"] == "TOO_MANY_REQUESTS"


# Password policy: hub and station, CLI and web ------------------------------------------------------------------


@pytest.mark.parametrize("password", ["12345678", "password", "short1", "aaaaaaaaaa"])
def test_the_hub_refuses_a_weak_password_with_a_reason(app, password):
    done = CliRunner().invoke(hub_cli, ["--data-dir", app.config["DATA_DIR"], "--database-url",
                                        app.config["DATABASE_URL"], "add-user", "newbie", "--name", "新人",
                                        "--role", "viewer", "--password", password])
    assert done.exit_code == 1 and "错误：" in done.output and "密码" in done.output
    assert "Traceback" not in done.output


def test_the_hub_refuses_a_weak_station_account_password(app, tmp_path):
    with app.app_context(), db.database.connection_context():
        import_county(tmp_path)
    done = CliRunner().invoke(hub_cli, ["--data-dir", app.config["DATA_DIR"], "--database-url",
                                        app.config["DATABASE_URL"], "add-field-user", "wei", "--name", "韦网格",
                                        "--village", "/".join(VILLAGES[0]),
                                        "--password", "12345678"])
    assert done.exit_code == 1 and "太常见" in done.output


def test_the_station_refuses_a_weak_password_in_cli_and_web(tmp_path: Path):
    from devtools import station as seeding
    from devtools.station import PASSWORD
    from field_node.web import create_app as station_app

    opened, _ = seeding.seed_station(tmp_path / "station", synthetic.default_villages(1)[:1], 1, [])
    done = CliRunner().invoke(node_cli, ["--data-dir", str(opened.data_dir), "add-user", "li", "--name", "李网格",
                                         "--password", "12345678"])
    assert done.exit_code != 0 and "太常见" in done.output
    app = station_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, data_dir=opened.data_dir)
    admin = app.test_client()
    assert admin.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 302
    reply = admin.post("/accounts", data={"username": "li", "display_name": "李网格", "password": "12345678",
                                          "role": "member"})
    assert "太常见" in reply.get_data(as_text=True)


# Over a real gunicorn with several workers ----------------------------------------------------------------------


def csrf_session(url: str, forwarded_for: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    session.headers["X-Forwarded-For"] = forwarded_for
    page = session.get(f"{url}/login", timeout=10).text
    return session, re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


# Redis where a county deploys one: CI sets FIELDSYNC_TEST_REDIS_URL (then an unreachable Redis fails the run).
REDIS_URL = os.environ.get("FIELDSYNC_TEST_REDIS_URL", "")
STORAGES = ["database://", pytest.param(REDIS_URL, id="redis", marks=pytest.mark.skipif(
    not REDIS_URL, reason="FIELDSYNC_TEST_REDIS_URL not set"))]


@pytest.mark.e2e
@pytest.mark.parametrize("storage", STORAGES)
def test_limits_hold_per_client_across_gunicorn_workers_behind_a_proxy(tmp_path, database_url, monkeypatch,
                                                                       storage):
    """Four workers, counters in the hub's database (or Redis): the limit is the configured one, not four times
    it, and one client's refusals do not touch another's."""
    attacker = f"2001:db8::{secrets.token_hex(2)}"  # Redis outlives the test: a fresh bucket each run
    monkeypatch.setenv("FIELDSYNC_RATELIMIT_STORAGE_URI", storage)
    monkeypatch.setenv("FIELDSYNC_PROXY_HOPS", "1")
    monkeypatch.setenv("FIELDSYNC_LOGIN_RATE_LIMIT", "6/minute")
    monkeypatch.setenv("FIELDSYNC_SECURE_COOKIES", "0")
    hub = Hub(tmp_path / "hub", database_url)
    hub.cli("init", "--county", synthetic.COUNTY, "--township", synthetic.RONGAN_TOWNSHIPS[0])
    hub.cli("add-user", "clerk", "--name", "文员", "--role", "staff", "--password", ADMIN_PASSWORD)
    hub.start(workers=4)
    try:
        statuses = []
        for _ in range(10):  # a new connection each time: gunicorn hands them to different workers
            session, token = csrf_session(hub.url, attacker)
            statuses.append(session.post(f"{hub.url}/login", data={"csrf_token": token, "username": "clerk",
                                                                    "password": "guess-guess"},
                                         allow_redirects=False, timeout=10).status_code)
            session.close()
        assert statuses[:6].count(429) == 0 and statuses[6:] == [429] * 4, statuses
        session, token = csrf_session(hub.url, CLERK_DESK)
        reply = session.post(f"{hub.url}/login", data={"csrf_token": token, "username": "clerk",
                                                       "password": ADMIN_PASSWORD}, allow_redirects=False, timeout=10)
        assert reply.status_code == 302
        assert reply.headers["Cache-Control"] == "no-store"
    finally:
        hub.stop()
    assert "event=internal_error" not in hub.log_path.read_text()

"""Fixtures that build real databases: SQLite always, PostgreSQL too when FIELDSYNC_TEST_POSTGRES_URL is set.

CI sets that variable, and then an unreachable PostgreSQL fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings

from devtools import synthetic
from devtools.scratch import postgres_schema
from hub.county import setup as county
from hub.store import db, partitions
from hub.web.app import create_app
from shared.accounts import hash_password
from shared.migrations import dialect

# CI (.ci/run) sets HYPOTHESIS_PROFILE=ci: the same examples every run, so a red run is one a person can repeat
# and a merge is never failed by chance; a developer's `make test` explores new examples each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

POSTGRES_URL = os.environ.get("FIELDSYNC_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database: "" (SQLite in the data folder) or a fresh PostgreSQL schema, dropped afterwards."""
    if request.param == "sqlite":
        yield ""
        return
    with postgres_schema(POSTGRES_URL) as url:
        yield url
        if hasattr(db.database.obj, "close_all"):
            db.database.obj.close_all()


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """A hub on a migrated database with the Rong'an county and its townships."""
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "hub"), "DATABASE_URL": database_url,
                      "WTF_CSRF_ENABLED": False}, check_schema=False)  # CSRF has tests of its own
    with app.app_context(), db.database.connection_context():
        db.migrate()
        county.init_county(synthetic.COUNTY, synthetic.RONGAN_TOWNSHIPS)
    yield app
    if not db.database.is_closed():
        db.database.close()


def at_level(app: Flask, level: str) -> Flask:
    """The hub as a city or region hub: on PostgreSQL its received tables partitioned, as `fieldsync-hub migrate`
    leaves them at that level (docs/scale.md); SQLite keeps its plain tables."""
    app.config["HUB_LEVEL"] = level
    with app.app_context(), db.database.connection_context():
        done = partitions.partition_received(level)
        assert done == ("partitioned" if dialect(db.database) == "postgresql" else "")
    return app


ADMIN_PASSWORD = "county-admin-1"
_ADMIN_HASH = hash_password(ADMIN_PASSWORD)  # hashed once: PBKDF2 per test would cost seconds


def make_user(app: Flask, username: str, role: str, township: str | None = None) -> int:
    """A county user (password ``ADMIN_PASSWORD``), written directly: fixtures need many."""
    from hub.store.models import CountyUser, Township

    with app.app_context(), ExitStack() as stack:
        if db.database.is_closed():  # a test may already hold the connection (hub_db)
            stack.enter_context(db.database.connection_context())
        township_id = Township.get(Township.name == township).id if township else None
        return CountyUser.create(username=username, display_name=username, password_hash=_ADMIN_HASH, role=role,
                                 township=township_id, created_at=datetime.utcnow()).id


def signed_in(app: Flask, user_id: int) -> FlaskClient:
    """A test client holding the session cookie a sign-in would have given the user."""
    from hub.accounts.users import session_token
    from hub.store.models import CountyUser

    with app.app_context(), ExitStack() as stack:
        if db.database.is_closed():
            stack.enter_context(db.database.connection_context())
        token = session_token(CountyUser.get_by_id(user_id))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client signed in as a county admin (the sync API and public pages ignore it)."""
    return signed_in(app, make_user(app, "admin", "admin"))


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def hub_db(app: Flask) -> Iterator[None]:
    """An open connection to the hub's database inside its app context, for direct model use in tests."""
    with app.app_context(), db.database.connection_context():
        yield


@pytest.fixture(name="county")
def imported_county(app: Flask, hub_db: None, tmp_path: Path) -> list[dict[str, Any]]:
    """The generated county's roster imported (``tests.support.import_county``); its rows.  A module that needs
    another county defines its own ``county``."""
    from tests.support import import_county

    return import_county(tmp_path)


# An ID number (18 characters) or a mobile number standing alone: what must never reach a log (DOMAIN.md §9).
PERSONAL_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dX]|1[3-9]\d{9})(?![0-9A-Za-z])")


@pytest.fixture(scope="session", autouse=True)
def logs_hold_no_personal_numbers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole suite: every log the hubs, stations and station apps wrote is scanned; one ID or phone
    number in any of them fails the run."""
    yield
    found = []
    for log in tmp_path_factory.getbasetemp().rglob("*.log"):
        for number, line in enumerate(log.read_text(errors="replace").splitlines(), start=1):
            if PERSONAL_NUMBER.search(line):
                found.append(f"{log}:{number}: {PERSONAL_NUMBER.sub('<number>', line)[:160]}")
    assert not found, "personal numbers in logs:\n" + "\n".join(found[:20])

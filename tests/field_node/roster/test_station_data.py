"""The node's station data: search keys, coverage order, accounts and lockout, the visit table's upgrade."""

from __future__ import annotations

import json
import random
import sqlite3
from importlib import resources

from devtools import synthetic
from devtools.station import station_body
from field_node import accounts
from field_node.outbox import records
from field_node.roster import visits
from field_node.roster.search import search_keys
from field_node.store.db import database
from field_node.store.models import Visit
from field_node.sync import node as node_module
from shared import keys
from shared.records import GENESIS_PREV, seal
from tests.field_node.conftest import seed_roster
from tests.support import VILLAGES


def test_search_keys_hold_name_initials_and_full_pinyin():
    assert search_keys("张丽").split() == ["张丽", "zl", "zhangli"]
    assert {"dxm", "sxm"} <= set(search_keys("单晓明").split())  # 单 read dan or shan, both found
    assert search_keys("") == ""


def test_coverage_puts_households_not_reached_last_month_first(opened_node):
    members = seed_roster(opened_node, 3, 4)
    numbers = list(members)
    with database.connection_context():
        rnd = random.Random(1)
        last = [("visit", station_body(synthetic.visit_body(rnd, members[n], "2026-09", "王"))) for n in numbers[1:]]
        this = [("visit", station_body({**synthetic.visit_body(rnd, members[numbers[3]], "2026-10", "王"),
                                        "method": "phone"}))]
        saved, problems = records.save_records(opened_node.key(), 1, last + this)
        assert not problems
        rows_shown = visits.coverage("2026-10")
    assert [row.number for row in rows_shown] == [numbers[0], numbers[1], numbers[2], numbers[3]]
    assert [row.status for row in rows_shown] == ["not_yet", "not_yet", "not_yet", "contacted"]
    assert [row.reached_last_month for row in rows_shown] == [False, True, True, True]
    assert visits.counts(rows_shown) == {"visited": 0, "contacted": 1, "not_yet": 3}


def test_lockout_ends_after_its_time_and_survives_a_clock_jump(opened_node):
    with database.connection_context():
        accounts.create_account("li", "李网格", "secret-1")
        now = 1_000_000.0
        for _ in range(3):
            assert accounts.sign_in("li", "bad", 3, 900, clock=lambda: now) is None
        assert accounts.sign_in("li", "secret-1", 3, 900, clock=lambda: now + 10) is None  # locked
        assert accounts.sign_in("li", "secret-1", 3, 900, clock=lambda: now + 901).username == "li"
        for _ in range(3):
            accounts.sign_in("li", "bad", 3, 900, clock=lambda: now)
        # the Pi's clock jumped back a year: the lock does not last a year
        assert accounts.sign_in("li", "secret-1", 3, 900, clock=lambda: now - 365 * 86400).username == "li"


def test_upgrading_a_version_1_node_fills_the_visit_table(tmp_path):
    folder = tmp_path / "old-node"
    folder.mkdir()
    sql = resources.files("field_node.store.migrations").joinpath("0001_initial.sql").read_text()
    key = keys.generate()
    body = synthetic.visit_body(random.Random(2), synthetic.generate_roster(2, VILLAGES[:1], 1), "2026-09", "王")
    body["risks"] = ["illness", "disaster"]
    record = seal(key, 1, 1, GENESIS_PREV, "visit", body, "2026-09-10T00:00:00Z")
    with sqlite3.connect(folder / "node.db") as db:
        db.executescript(sql)
        db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (1, 'initial')")
        db.execute("INSERT INTO record (seq, kind, household, month, prev, content, signature, hash, status, "
                   "created_at) VALUES (1, 'visit', ?, ?, ?, ?, ?, ?, 'sent', 'x')",
                   (body["household"], body["month"], GENESIS_PREV, record.content, record.signature, record.hash))
    node_module.open_node(folder)
    with database.connection_context():
        row = Visit.get_by_id(1)
    assert (row.household, row.month, row.wage, row.risks) == (
        body["household"], "2026-09", body["income"]["wage"], "illness,disaster")
    assert json.loads(record.content)["body"]["method"] == row.method

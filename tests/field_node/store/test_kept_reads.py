"""Reads kept until the next commit (``field_node.store.db.until_written``): the landing list, its counts, a search
and the sync page's figures are kept between views, and any commit — of this process or of another one, as the
sync process writes — makes the next view read again."""

from __future__ import annotations

import sqlite3

from field_node.roster import visits
from field_node.store import db
from field_node.store.db import database
from field_node.sync import node as node_module
from tests.field_node.conftest import seed_roster

MONTH = "2026-10"


def test_a_commit_by_another_process_is_seen_at_the_next_read(opened_node):
    numbers = list(seed_roster(opened_node, 3, 4))
    with database.connection_context():
        assert visits.coverage_counts(MONTH) == {"not_yet": 4, "contacted": 0, "visited": 0}
        version = db.data_version()
        assert db.data_version() == version  # reading changes nothing
        with sqlite3.connect(opened_node.data_dir / "node.db") as other:  # as the sync process would write
            other.execute("INSERT INTO coverage (household, month, status) VALUES (?, ?, 2)", (numbers[0], MONTH))
        assert db.data_version() != version
        assert visits.coverage_counts(MONTH) == {"not_yet": 3, "contacted": 0, "visited": 1}
        assert [row.status for row in visits.coverage(MONTH)][-1] == visits.VISITED


def test_inside_a_transaction_the_read_sees_what_is_not_committed_yet(opened_node):
    numbers = list(seed_roster(opened_node, 3, 4))
    with database.connection_context():
        assert visits.coverage_counts(MONTH)["contacted"] == 0
        with database.atomic() as transaction:
            database.execute_sql("INSERT INTO coverage (household, month, status) VALUES (?, ?, 1)",
                                 (numbers[1], MONTH))
            assert visits.coverage_counts(MONTH)["contacted"] == 1
            transaction.rollback()
        assert visits.coverage_counts(MONTH)["contacted"] == 0


def test_what_one_station_folder_returned_is_never_given_for_another(tmp_path):
    first = node_module.open_node(tmp_path / "first")
    seed_roster(first, 3, 4)
    with database.connection_context():
        assert sum(visits.coverage_counts(MONTH).values()) == 4
    second = node_module.open_node(tmp_path / "second")
    seed_roster(second, 5, 6)
    with database.connection_context():
        assert sum(visits.coverage_counts(MONTH).values()) == 6

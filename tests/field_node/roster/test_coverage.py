"""The coverage table (migration 0008): each household's status per month, kept when a visit is saved,
corrected or rejected, so the landing page reads it instead of working it out for every household per request.

Every check compares the table with the status worked out from scratch from the visit rows, the way the page
did before the table existed.
"""

from __future__ import annotations

import random
import sqlite3

import pytest

from devtools import synthetic
from devtools.station import station_body
from field_node.outbox import records
from field_node.roster import visits
from field_node.store.db import database
from field_node.store.models import REJECTED, Coverage, Household, Record, Visit
from field_node.sync import node as node_module
from tests.field_node.conftest import seed_roster

MONTH, LAST = "2026-10", "2026-09"


def from_scratch(month: str) -> dict[str, str]:
    """Each household's status in ``month`` from the visit rows themselves (effective visits only)."""
    found = {number: visits.NOT_YET for (number,) in Household.select(Household.number).tuples()}
    for visit in (Visit.select(Visit.household, Visit.method).join(Record, on=(Record.seq == Visit.seq))
                  .where(Visit.month == month, Visit.superseded_by.is_null(), Record.status != REJECTED)):
        if visit.household in found and found[visit.household] != visits.VISITED:
            found[visit.household] = visits.VISITED if visit.method == "in_person" else visits.CONTACTED
    return found


def shown(month: str) -> dict[str, str]:
    return {row.number: row.status for row in visits.coverage(month)}


@pytest.fixture
def households(opened_node):
    members = seed_roster(opened_node, 5, 6)
    return {"node": opened_node, "numbers": list(members), "members": members}


def save(households, number: str, month: str, method: str, corrects: int | None = None) -> int:
    body = {**station_body(synthetic.visit_body(random.Random(number + month), households["members"][number], month,
                                                "王")), "method": method}
    if corrects is not None:
        body["corrects"] = visits.record_hash(corrects)
    saved, problems = records.save_records(households["node"].key(), 1, [("visit", body)])
    assert not problems, problems[0].details
    return saved[0].seq


def test_coverage_follows_saves_corrections_and_rejections(households):
    numbers = households["numbers"]
    with database.connection_context():
        for number in numbers[1:]:
            save(households, number, LAST, "in_person")
        phone = save(households, numbers[2], MONTH, "phone")
        in_person = save(households, numbers[3], MONTH, "in_person")
        wechat = save(households, numbers[4], MONTH, "wechat")
        save(households, numbers[5], MONTH, "phone")
        save(households, numbers[5], MONTH, "in_person")  # two visits in a month: in person wins
        assert shown(MONTH) == from_scratch(MONTH)
        assert shown(MONTH)[numbers[4]] == visits.CONTACTED and shown(MONTH)[numbers[5]] == visits.VISITED

        save(households, numbers[4], MONTH, "in_person", corrects=wechat)  # corrected: now in person
        save(households, numbers[3], MONTH, "phone", corrects=in_person)  # corrected: only by phone after all
        assert shown(MONTH)[numbers[4]] == visits.VISITED and shown(MONTH)[numbers[3]] == visits.CONTACTED

        records.apply_push_reply({"accepted": [], "duplicates": [], "hwm": 0, "rejected": [
            {"seq": phone, "final": True, "code": "X", "message": "拒收", "details": {}}]}, phone, phone)
        assert shown(MONTH)[numbers[2]] == visits.NOT_YET  # a rejected visit never counts
        assert shown(MONTH) == from_scratch(MONTH) and shown(LAST) == from_scratch(LAST)
        assert Coverage.select().where(Coverage.household == numbers[2], Coverage.month == MONTH).count() == 0


def test_coverage_is_sorted_filtered_counted_and_paged_by_the_database(households):
    numbers = households["numbers"]
    with database.connection_context():
        for number in numbers[::2]:
            save(households, number, LAST, "phone")
        save(households, numbers[1], MONTH, "phone")
        save(households, numbers[2], MONTH, "in_person")
        every = visits.coverage(MONTH)
        assert [row.status for row in every] == sorted((row.status for row in every),
                                                       key=list(visits.STATUS_CODES).index)
        not_yet = [row for row in every if row.status == visits.NOT_YET]
        assert [row.reached_last_month for row in not_yet] == sorted(row.reached_last_month for row in not_yet)
        assert visits.coverage(MONTH, limit=2, offset=2) == every[2:4]
        assert visits.coverage(MONTH, shown=visits.NOT_YET) == not_yet
        assert visits.coverage_counts(MONTH) == visits.counts(every) == {"not_yet": 4, "contacted": 1, "visited": 1}
        assert visits.coverage_counts(MONTH, numbers[:2]) == {"not_yet": 1, "contacted": 1, "visited": 0}
        assert all(row.head for row in every)  # the head's name, looked up for the rows shown


def test_the_coverage_pages_show_every_household_once(member_client, station):
    station["app"].config["NODE"].settings["PAGE_SIZE"] = 5
    from tests.field_node.web.test_pages import household_numbers

    listed = []
    for page in (1, 2, 3, 4):
        html = member_client.get("/", query_string={"page": page}).get_data(as_text=True)
        listed += household_numbers(html)
        assert f"{page} / 4" in html
    assert sorted(listed) == sorted({row["household_id"] for row in station["rows"]}) and len(listed) == 16
    assert listed == sorted(listed)  # none visited this month, all reached last month: by household number


def test_upgrading_a_node_fills_the_coverage_table(households, tmp_path):
    numbers = households["numbers"]
    with database.connection_context():
        save(households, numbers[0], MONTH, "phone")
        save(households, numbers[1], MONTH, "in_person")
        rejected = save(households, numbers[2], MONTH, "in_person")
        Record.update(status=REJECTED).where(Record.seq == rejected).execute()
    path = households["node"].data_dir / "node.db"
    with sqlite3.connect(path) as db:  # back to version 4: no coverage table, the old indexes
        db.executescript("DROP TABLE coverage; DELETE FROM schema_version WHERE version >= 8;"
                         "DROP TABLE phone_device; DROP TABLE phone_visit; DROP TABLE pinyin_reading;"  # 0010
                         "CREATE INDEX record_household ON record (household, month);"
                         "CREATE INDEX visit_month ON visit (month, household);")
    node_module.open_node(households["node"].data_dir)
    with database.connection_context():
        assert shown(MONTH) == from_scratch(MONTH)
        assert [shown(MONTH)[n] for n in numbers[:3]] == [visits.CONTACTED, visits.VISITED, visits.NOT_YET]
    with sqlite3.connect(path) as db:
        indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert not {"record_household", "visit_month"} & indexes


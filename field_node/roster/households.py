"""The station's copy of the roster: households and members as the hub sends them (the only writer of
``household`` and ``member``), one page of the hub's roster feed at a time.

What a station keeps of a person is checked here (issue 12; docs/records.md): the hub's person key, the birth month
and the visit's fields, never an ID number or phone.
"""

from __future__ import annotations

from typing import Any

from field_node.roster.search import first_readings, search_keys
from field_node.store.db import database
from field_node.store.models import Household, Member, PinyinReading
from field_node.store.state import set_state
from shared.errors import ErrorCode, FieldsyncError

MEMBER_FIELDS = ("name", "gender", "relation", "labour_ability", "student", "status", "dibao", "tekun",
                 "relocated", "disabled")


def members_of(number: str) -> list[Member]:
    """A household's members in roster order (a fixed statement: the household page and the form read it)."""
    return list(Member.raw("SELECT * FROM member WHERE household = ? ORDER BY id", number))


def apply_roster_page(page: dict[str, Any]) -> int:
    """Upsert the households of one roster page and move the cursor, in one transaction."""
    with database.atomic("IMMEDIATE"):
        for household in page["households"]:
            Member.delete().where(Member.household == household["number"]).execute()
            Household.delete().where(Household.number == household["number"]).execute()
            if not household["assigned"]:
                continue
            Household.create(**{k: household[k] for k in ("number", "township", "village", "household_type",
                                                          "monitoring_type", "monitoring_since")})
            for member in household["members"]:
                Member.create(household=household["number"], search=search_keys(member["name"]),
                              **station_member(member))
        if PinyinReading.select().limit(1).count() == 0:
            rows = first_readings()
            for start in range(0, len(rows), 500):
                PinyinReading.insert_many(rows[start:start + 500],
                                          fields=[PinyinReading.char, PinyinReading.reading]).execute()
        if page.get("seal_key"):
            set_state("hub_seal_key", page["seal_key"])
        set_state("roster_cursor", page["cursor"])
    return len(page["households"])


def station_member(document: dict[str, Any]) -> dict[str, Any]:
    """The member row of a roster document: person key, birth month and the visit's fields, nothing else."""
    if not document.get("key"):
        raise FieldsyncError(ErrorCode.BAD_REQUEST, "县级平台发来的花名册没有人员编码：请先升级县级平台，再同步。")
    row = {field: document[field] for field in MEMBER_FIELDS}
    row.update(person_key=document["key"], birth_month=document.get("birth_month"))
    return row

"""A person corrected on the hub's household page goes through the roster module (issue 11): stations receive the
change at their next pull, and the ID-number, phone and pinyin checks are recomputed, so a county correction to an
invalid ID number is flagged by the next cleaning run."""

from __future__ import annotations

import pytest

from hub.cleaning import runner
from hub.cleaning.anomalies import OPEN
from hub.roster import pull
from hub.store.models import Anomaly, Household, Person, RosterClock, Township, Village
from tests.support import VILLAGES, import_county

HOME = VILLAGES[0][0]


@pytest.fixture
def county(app, hub_db, tmp_path):
    rows = import_county(tmp_path)
    runner.run("2026-10")
    return rows


def first_person() -> tuple[Household, Person]:
    household = Household.select().join(Village).join(Township).where(Township.name == HOME).first()
    return household, Person.select().where(Person.household == household).order_by(Person.id).first()


def pulled_since(clock: int, household: Household) -> list[dict]:
    """What a station of the household's village receives at its next pull after roster clock ``clock``."""
    return pull.changes_for([household.village_id], f"{clock}:{2**62}", 100)["households"]


def clock() -> int:
    return RosterClock.get_by_id(1).value


def wrong_check_digit(id_number: str) -> str:
    return id_number[:17] + ("1" if id_number[17] != "1" else "2")


def test_a_county_correction_to_an_invalid_id_number_is_flagged_and_pulled(client, county):
    household, person = first_person()
    before = clock()
    typo = wrong_check_digit(person.id_number)
    reply = client.post(f"/households/{household.number}/people/{person.id}",
                        data={"id_number": typo, "why": "按户口簿更正"})
    assert reply.status_code == 302
    assert Person.get_by_id(person.id).id_problem == "check_digit"
    [pulled] = pulled_since(before, household)
    assert pulled["number"] == household.number and typo in {m["id_number"] for m in pulled["members"]}

    runner.run("2026-10")
    flagged = Anomaly.get(Anomaly.rule == "I1", Anomaly.household == household.id)
    assert flagged.status == OPEN


def test_phone_and_name_corrections_recompute_their_checks(client, county):
    household, person = first_person()
    base = f"/households/{household.number}/people/{person.id}"
    assert client.post(base, data={"phone": "1234567", "name": "韦丽", "why": "本人告知"}).status_code == 302
    changed = Person.get_by_id(person.id)
    assert (changed.phone_problem, changed.name_pinyin) == ("invalid", "weili")
    runner.run("2026-10")
    assert Anomaly.get(Anomaly.rule == "I9", Anomaly.household == household.id).status == OPEN
    assert client.post(base, data={"phone": "13912345678", "why": "本人告知"}).status_code == 302
    assert Person.get_by_id(person.id).phone_problem == ""


@pytest.mark.parametrize(("field", "value", "message"), [
    ("gender", "未知", "性别应为"),
    ("status", "失联", "人员状态应为"),
    ("birth_date", "去年", "出生日期看不懂"),
    ("id_number", "4502241980", "18位"),
])
def test_a_refused_value_changes_nothing_and_says_what_to_do(client, county, field, value, message):
    household, person = first_person()
    before, held = clock(), Person.get_by_id(person.id)
    reply = client.post(f"/households/{household.number}/people/{person.id}", data={field: value, "why": "核实"})
    text = reply.get_data(as_text=True)
    assert reply.status_code == 400 and message in text and "Traceback" not in text
    after = Person.get_by_id(person.id)
    assert (after.gender, after.status, after.birth_date, after.id_number) == (
        held.gender, held.status, held.birth_date, held.id_number)
    assert clock() == before


def test_a_member_moved_to_another_household_reaches_both(client, county):
    household, person = first_person()
    other = Household.select().where(Household.village == household.village_id, Household.id != household.id).first()
    before = clock()
    reply = client.post(f"/households/{household.number}/people/{person.id}",
                        data={"household": other.number, "why": "分户，户口簿为证"})
    assert reply.status_code == 302
    pulled = {h["number"]: {m["id_number"] for m in h["members"]} for h in pulled_since(before, household)}
    assert set(pulled) == {household.number, other.number}
    assert person.id_number in pulled[other.number] and person.id_number not in pulled[household.number]

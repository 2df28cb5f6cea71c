"""Each cleaning run tells the truth about what it examined (issue 11, Cleaning): it closes only the findings
of the months and years it re-examined; every rule reads the current visits only; I6 follows the record's own
meaning; P6 sees a household with no living member; P11 tells confirmed-unchanged figures from silent copies."""

from __future__ import annotations

from datetime import date

import pytest

from hub.cleaning import runner
from hub.cleaning.anomalies import CLOSED, OPEN
from hub.cleaning.catalogue import Context
from hub.cleaning.rules import CATALOGUE
from hub.county.parameters import parameters, set_parameter
from hub.store.models import Anomaly, Household, Visit
from tests.hub.cleaning.county_factory import PERIOD, TODAY, baseline, build, household_number, roster_rows

HOME = household_number(0, 0)


def found(rule_id: str, period: str, today: date = TODAY) -> list:
    """The findings of one rule for ``period``, as a run would compute them."""
    from hub.cleaning.rules import facts

    ctx = Context(period, today, parameters())
    facts.build_household_months(ctx)
    return list(CATALOGUE[rule_id].find(ctx))


def anomalies(rule_id: str, household_id: int) -> list[Anomaly]:
    return list(Anomaly.select().where(Anomaly.rule == rule_id, Anomaly.household == household_id)
                .order_by(Anomaly.id))


@pytest.fixture
def county(hub_db, tmp_path):
    return build(tmp_path)


def test_running_next_month_never_closes_last_months_not_visited(county):
    baseline(county, skip={HOME})
    for month in ("2026-08", "2026-09"):
        county.normal_month(HOME, month, 0)
    runner.run(PERIOD, TODAY)
    missed = anomalies("P5", county.ids[HOME])
    assert [(a.status, a.scope) for a in missed] == [(OPEN, PERIOD)]

    runner.run("2026-11", date(2026, 12, 11))  # nobody visited HOME in October: October's finding stays open
    assert Anomaly.get_by_id(missed[0].id).status == OPEN
    assert {a.scope for a in anomalies("P5", county.ids[HOME])} == {PERIOD, "2026-11"}

    county.normal_month(HOME, PERIOD, 0)  # October's visit arrives late: a run of October closes it
    runner.run(PERIOD, TODAY)
    assert Anomaly.get_by_id(missed[0].id).status == CLOSED
    assert [a.status for a in anomalies("P5", county.ids[HOME]) if a.scope == "2026-11"] == [OPEN]


def test_the_years_p4_finding_survives_the_next_years_first_run(county):
    adults = county.adults(HOME)
    county.visit(HOME, "2026-12", wage=0, business=500, jobs=[(a["id_number"], 4, 0) for a in adults])
    runner.run("2026-12", date(2027, 1, 11))
    yearly = [a for a in anomalies("P4", county.ids[HOME]) if a.scope == "2026"]
    assert len(yearly) == 2 and all(a.status == OPEN for a in yearly)

    county.visit(HOME, "2027-01", wage=6000, business=500, jobs=[(a["id_number"], 1, 3000) for a in adults])
    runner.run("2027-01", date(2027, 2, 11))
    assert all(Anomaly.get_by_id(a.id).status == OPEN for a in yearly)  # 2026 had four months, still
    assert not [a for a in anomalies("P4", county.ids[HOME]) if a.scope == "2027"]  # working in 2027


def test_p9_is_not_closed_by_a_run_between_quarter_ends(county):
    adult = county.adults(HOME)[0]["id_number"]
    county.visit(HOME, "2026-05", wage=3000, business=0, jobs=[(adult, 5, 3000)])
    runner.run("2026-09", TODAY)  # nothing recorded for the third quarter
    unverified = [a for a in anomalies("P9", county.ids[HOME]) if a.status == OPEN]
    assert len(unverified) == 1
    runner.run(PERIOD, TODAY)  # October is no quarter end: it re-examined no quarter
    assert Anomaly.get_by_id(unverified[0].id).status == OPEN


def months_problems(county, records: list[tuple[str, int, int]]) -> dict[str, list[str]]:
    """Visit HOME's first adult with (month, months worked so far this year, wage this month); I6's problems by
    month."""
    adult = county.adults(HOME)[0]["id_number"]
    for month, months, wage in records:
        county.visit(HOME, month, wage=wage, business=300, jobs=[(adult, months, wage)])
    return {month: [p for f in found("I6", month) for p in f.detail["problems"]] for month, _, _ in records}


def test_months_worked_are_counted_so_far_this_year(county):
    problems = months_problems(county, [
        ("2026-01", 1, 3000), ("2026-02", 2, 3000), ("2026-03", 3, 3000), ("2026-04", 4, 3000),
        ("2026-05", 4, 0), ("2026-06", 4, 0), ("2026-07", 4, 0), ("2026-08", 4, 0),  # home since May: correct
    ])
    assert problems == {month: [] for month in problems}


def test_i6_finds_what_the_months_worked_cannot_mean(county):
    problems = months_problems(county, [
        ("2026-01", 1, 0),  # January counted as worked, no wage
        ("2026-02", 2, 3000), ("2026-03", 3, 3000),
        ("2026-04", 4, 0),  # one more month worked, no wage
        ("2026-05", 3, 0),  # a count so far this year cannot fall
        ("2026-06", 6, 3000),  # nor grow by three in a month
        ("2026-07", 8, 3000),  # more months than have passed (and two more than in June)
        ("2026-08", 0, 2500),  # a wage with no month worked
    ])
    assert problems == {
        "2026-01": ["本月计入务工月数但本月工资为0"], "2026-02": [], "2026-03": [],
        "2026-04": ["本月计入务工月数但本月工资为0"], "2026-05": ["本年务工月数比上月记录的少"],
        "2026-06": ["本年务工月数比上月记录的多出不止1个月"],
        "2026-07": ["本年务工月数超过本年已过月数", "本年务工月数比上月记录的多出不止1个月"],
        "2026-08": ["有本月工资但本年务工月数为0", "本年务工月数比上月记录的少"],
    }


def test_p6_finds_a_household_whose_only_member_died(hub_db, tmp_path):
    rows = roster_rows()
    alone = [row for row in rows if row["household_id"] == HOME][0]
    alone.update(relation="户主", status="死亡")
    rows = [row for row in rows if row["household_id"] != HOME or row is alone]
    county = build(tmp_path, rows)
    lacking = [f for f in found("P6", PERIOD) if f.household_id == county.ids[HOME]]
    assert [f.detail for f in lacking] == [{"members": 0, "labourers": 0}]
    assert "无在世成员" in lacking[0].subject


def current_case(county, rule_id: str) -> set[int]:
    return {f.household_id for f in found(rule_id, PERIOD if rule_id != "P9" else "2026-09")}


def test_a_correction_raising_the_wage_closes_under_the_minimum_wage(county):
    baseline(county, skip={HOME})
    for month in ("2026-08", "2026-09"):
        county.normal_month(HOME, month, 0)
    adults = county.adults(HOME)
    low = county.normal_month(HOME, PERIOD, 0, wage=900 * 2, jobs=[(a["id_number"], 10, 900) for a in adults])
    runner.run(PERIOD, TODAY)
    minimum = anomalies("I6", county.ids[HOME])
    assert len(minimum) == 2 and all(a.status == OPEN and "最低工资" in a.subject for a in minimum)

    county.correct(low, wage=2500 * 2, jobs=[(a["id_number"], 10, 2500) for a in adults])
    runner.run(PERIOD, TODAY)
    assert [Anomaly.get_by_id(a.id).status for a in minimum] == [CLOSED, CLOSED]


def test_p4_p9_and_i4_read_the_current_visits_only(county):
    adults = [a["id_number"] for a in county.adults(HOME)]
    worked = county.visit(HOME, "2026-06", wage=6000, business=0, jobs=[(a, 6, 3000) for a in adults])
    third_quarter = county.visit(HOME, "2026-08", wage=6000, business=0, jobs=[(a, 8, 3000) for a in adults])
    assert county.ids[HOME] not in current_case(county, "P4") | current_case(county, "P9")
    county.correct(worked, wage=0, jobs=[])  # they were not working after all: P4 sees no work this year
    county.correct(third_quarter, wage=0, jobs=[])
    assert county.ids[HOME] in current_case(county, "P4")

    county.visit(HOME, "2026-03", wage=6000, business=0, jobs=[(a, 3, 3000) for a in adults])
    assert county.ids[HOME] in current_case(county, "P9")  # worked before; Q3's work was corrected away

    from hub.store.models import Person

    Person.update(status="死亡").where(Person.id_number == adults[0]).execute()
    paid = county.visit(HOME, PERIOD, wage=3000, business=0, jobs=[(adults[0], 10, 3000)])
    assert county.ids[HOME] in current_case(county, "I4")
    county.correct(paid, jobs=[])
    assert county.ids[HOME] not in current_case(county, "I4")
    assert Visit.select().where(Visit.household == county.ids[HOME], Visit.superseded_by.is_null(False)).count() == 3


def copy_months(county, number: str, months: list[str], unchanged: str) -> None:
    """The same figures in every month of ``months``; each month after the first marked with ``unchanged``."""
    for index, month in enumerate(months):
        county.visit(number, month, wage=4000, business=800, transfer=300, expenses=100,
                     unchanged=unchanged if index else "")


ALL_INCOME = "wage,business,property,transfer,expenses"


def test_p11_flags_silent_copies_and_confirmed_figures_only_past_the_setting(county):
    silent, confirmed, long_confirmed, half = (household_number(0, i) for i in range(4))
    copy_months(county, silent, ["2026-08", "2026-09", PERIOD], "")
    copy_months(county, confirmed, ["2026-08", "2026-09", PERIOD], ALL_INCOME)
    copy_months(county, long_confirmed, [f"2026-{m:02d}" for m in range(3, 11)], ALL_INCOME)  # eight months
    copy_months(county, half, ["2026-08", "2026-09", PERIOD], "wage,business")  # two figures confirmed only
    flagged = {f.household_id: f for f in found("P11", PERIOD) if ":copied:" in f.key}
    assert set(flagged) == {county.ids[silent], county.ids[long_confirmed], county.ids[half]}
    assert flagged[county.ids[silent]].detail == {"months": 3, "to": PERIOD, "confirmed_unchanged": False}
    assert flagged[county.ids[long_confirmed]].detail["confirmed_unchanged"] is True
    assert "请重新入户核实" in flagged[county.ids[long_confirmed]].subject

    set_parameter("p11_confirmed_months", "8", actor="test", why="测试")
    flagged = {f.household_id for f in found("P11", PERIOD) if ":copied:" in f.key}
    assert flagged == {county.ids[silent], county.ids[half]}


def test_a_stations_unchanged_confirmations_are_stored_and_read_by_p11(app, client, hub_db, tmp_path):
    from tests.support import VILLAGES, SimNode, households_of, import_county

    homes = list(households_of(import_county(tmp_path), VILLAGES[0]).values())[:2]
    node = SimNode(app, client, "照抄检查站", VILLAGES[:1])
    records = []
    for index, month in enumerate(["2026-08", "2026-09", PERIOD]):
        for members, confirms in zip(homes, (True, False), strict=True):
            body = {"household": members[0]["household_id"], "month": month, "date": f"{month}-12",
                    "visitor": "网格员", "method": "in_person", "employment": [], "changes": [], "risks": [],
                    "income": {"wage": 3000, "business": 500, "property": 0, "transfer": 200, "expenses": 100},
                    "ack": {"status": "confirmed", "by": "户主"}}
            if confirms and index:
                body["unchanged"] = ["wage", "business", "property", "transfer", "expenses"]
            records.append(node.seal(body))
    assert node.push(records).status_code == 200
    confirmed_home = Visit.select().join(Household).where(Household.number == homes[0][0]["household_id"],
                                                           Visit.month == PERIOD).get()
    assert set(confirmed_home.unchanged.split(",")) == {"wage", "business", "property", "transfer", "expenses"}
    flagged = {f.household_id for f in found("P11", PERIOD) if ":copied:" in f.key}
    assert flagged == {Household.get(Household.number == homes[1][0]["household_id"]).id}

"""Every rule finds its planted cases and none of the clean look-alikes (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from hub.accounts.users import Principal
from hub.cleaning import anomalies, runner
from hub.cleaning.anomalies import ANSWER_CORRECT, ANSWERED, CLOSED, OPEN
from hub.cleaning.catalogue import Context
from hub.cleaning.rules import CATALOGUE
from hub.county.parameters import parameters, set_parameter
from hub.store.models import Anomaly, Household, Person, Visit
from shared.errors import FieldsyncError
from tests.hub.cleaning.county_factory import MONTHS, PERIOD, TODAY, baseline, build, household_number, roster_rows

H = {f"h{i}": household_number(0, i) for i in range(10)} | {f"g{i}": household_number(1, i) for i in range(10)}


def planted_roster() -> list[dict]:
    rows = roster_rows()
    by_household = {}
    for row in rows:
        by_household.setdefault(row["household_id"], []).append(row)
    import random

    from devtools import synthetic

    rnd = random.Random(7)
    for adult in by_household[H["g6"]][:2]:  # P6: only weak labour is no labour (000 §27)
        adult["labour_ability"] = "弱劳动力或半劳动力"
    for adult in by_household[H["g7"]][:2]:  # its look-alike on 低保
        adult["labour_ability"] = "无劳动力"
    for row in by_household[H["g7"]]:
        row["dibao"] = "是"
    head = by_household[H["g4"]][0]  # I1: a check digit typed wrong
    head["id_number"] = head["id_number"][:17] + ("1" if head["id_number"][17] != "1" else "2")
    by_household[H["g5"]][2].update({k: by_household[H["h6"]][2][k] for k in ("id_number", "birth_date", "gender")})
    twin, other = by_household[H["h7"]][1], by_household[H["h8"]][1]  # I3: homophones, same birth date
    twin["name"], other["name"] = "韦丽", "韦莉"
    other["birth_date"] = twin["birth_date"]
    other["id_number"] = synthetic.make_id_number(rnd, __import__("datetime").date.fromisoformat(twin["birth_date"]),
                                                  False)
    lookalike = by_household[H["g8"]][1]  # same name and birth date, but another village
    lookalike["name"], lookalike["birth_date"] = "韦丽", twin["birth_date"]
    lookalike["id_number"] = synthetic.make_id_number(rnd, __import__("datetime").date.fromisoformat(
        twin["birth_date"]), False)
    by_household[H["h9"]][1]["status"] = "死亡"  # I4
    by_household[H["g0"]][0]["phone"] = "1234567"  # I9
    monitored = {"household_type": "监测户", "monitoring_type": "边缘易致贫户"}
    for row in by_household[H["h5"]]:  # P7: monitored since October, no helper, no plan
        row.update(monitored, monitoring_since="2026-10-01")
    for row in by_household[H["h3"]]:  # look-alike: helper and plan in time, developmental measures
        row.update(monitored, monitoring_since="2026-10-01", helper="李四", helper_since="2026-10-03",
                   plan_date="2026-10-08", measures="产业帮扶、就业帮扶")
    for row in by_household[H["g3"]]:  # P8: risk "eliminated" three months after entry
        row.update(monitored, monitoring_since="2026-03-01", risk_eliminated="2026-06-01", helper="王五",
                   helper_since="2026-03-02", plan_date="2026-03-05", measures="就业帮扶")
    for row in by_household[H["g2"]]:  # look-alike: eleven months
        row.update(monitored, monitoring_since="2025-01-01", risk_eliminated="2025-12-01", helper="王五",
                   helper_since="2025-01-02", plan_date="2025-01-05", measures="就业帮扶")
    by_household[H["g9"]][0].update(returned_since="2026-09-01", support_251="否")  # P10
    by_household[H["g0"]][0].update(returned_since="2026-11-01", support_251="否")  # back less than a month
    by_household[H["h0"]][0].update(returned_since="2026-01-01", support_251="是")  # supported
    return rows


@pytest.fixture
def county(hub_db, tmp_path):
    return planted_county(tmp_path)


def planted_county(tmp_path):
    """The county with one planted case per rule (EXPECTED), its visits in the hub's tables."""
    county = build(tmp_path, planted_roster())
    planted = {H["h1"], H["h2"], H["h5"], H["g1"], H["g2"], H["g3"], H["g6"], H["g7"], H["g9"], H["g0"], H["h4"],
               H["h6"]}
    baseline(county, skip=planted)
    for index, month in enumerate(MONTHS):
        h = index  # the business figure varies month by month in every household
        county.visit(H["h1"], month, wage=0, business=100 + h, transfer=100, expenses=0)  # P1
        if month.startswith("2026"):  # P2: this year pays less than last year
            adults = county.adults(H["h2"])
            county.visit(H["h2"], month, wage=4000, business=600 + h, jobs=[(a["id_number"], int(month[5:]), 2000)
                                                                            for a in adults])
        else:
            county.normal_month(H["h2"], month, 2)
        if month != PERIOD:
            county.normal_month(H["h5"], month, 5)  # P5: not visited in the period
        county.normal_month(H["g1"], month, 1, ack="disputed" if month == PERIOD else "confirmed")  # P11
        copied = month >= "2026-08"
        county.normal_month(H["g2"], month, 2, **({"business": 1000} if copied else {}))  # P11: copied
        county.normal_month(H["g3"], month, 3, **({"business": 1000} if month >= "2026-09" else {}))  # look-alike
        transfer = 6000 if month.startswith("2026") else 4800
        county.normal_month(H["g6"], month, 6, transfer=transfer)  # P6 (income from transfers)
        county.normal_month(H["g7"], month, 7, transfer=transfer)
        if month == PERIOD:  # I6: more months worked than have passed
            county.normal_month(H["g9"], month, 9, jobs=[(a["id_number"], 11, 3000) for a in county.adults(H["g9"])])
        else:
            county.normal_month(H["g9"], month, 9)
        county.normal_month(H["g0"], month, 0, visit_date="2026-12-01" if month == PERIOD else None)  # I8
        county.normal_month(H["h4"], month, 4, business=(37_500 if month.startswith("2026") else 30_000) + h)  # I7
        if "2026-07" <= month <= "2026-09":  # P9 at 2026-09: h6's work not recorded in the third quarter
            county.normal_month(H["h6"], month, 6, jobs=[], wage=0, business=8_000 + h)
        else:
            county.normal_month(H["h6"], month, 6)
    county.normal_month(H["h0"], "2026-09", 0, business=99)  # I5: a second, different record
    county.normal_month(H["h3"], "2026-09", 3)  # look-alike: a second, identical record
    # I4: h9's deceased spouse still has work recorded every month (the baseline lists both adults' jobs)
    return county


EXPECTED = {
    "X1": set(), "X2": set(), "X3": set(),  # other departments' lists: tests/hub/roster/test_department_lists.py
    "P1": {"h1"},
    "P2": {"h2"},
    "P3": {"h1"},  # flat income: growth 0 %
    "P4": {"h1"},  # its two labourers have no work recorded this year
    "P5": {"h5"},
    "P6": {"g6"},  # g7 has the same labour but is on 低保
    "P7": {"h5"},  # h3 got its helper, plan and measures in time
    "P8": {"g3"},  # g2 stayed eleven months
    "P9": set(),  # checked at quarter ends only; see test_employment_is_verified_by_quarter_end
    "P10": {"g9"},  # g0's labourer is back less than a month, h0's has support
    "P11": {"g1", "g2"},  # g3 repeated its figures two months only
    "I1": {"g4"},
    "I2": {"g5", "h6"},
    "I3": {"h7"},  # one finding for the pair in h7/h8, filed under the first; g8's namesake is in another village
    "I4": {"h9"},
    "I5": {"h0"},  # h3's second record agrees
    "I6": {"g9"},
    "I7": {"h1", "h4"},
    "I8": {"g0"},
    "I9": {"g0"},
}


def findings(rule_id: str, period: str = PERIOD) -> set[str]:
    from hub.cleaning.rules import facts

    ctx = Context(period, TODAY, parameters())
    facts.build_household_months(ctx)
    numbers = dict(Household.select(Household.id, Household.number).tuples())
    names = {number: name for name, number in H.items()}
    return {names[numbers[f.household_id]] for f in CATALOGUE[rule_id].find(ctx)}


@pytest.mark.parametrize("rule_id", sorted(EXPECTED))
def test_each_rule_finds_its_cases_and_nothing_else(county, rule_id):
    assert findings(rule_id) == EXPECTED[rule_id]


def test_employment_is_verified_by_quarter_end(county):
    assert findings("P9", "2026-09") == {"h6"}


def test_every_rule_of_the_catalogue_is_tested():
    assert set(EXPECTED) == set(CATALOGUE)
    for rule in CATALOGUE.values():
        assert rule.zh and rule.en and rule.source and rule.severity in {"high", "medium", "low"}


def test_an_anomaly_keeps_its_identity_from_run_to_run(county):
    first = runner.run(PERIOD, TODAY)
    counts = json.loads(first.counts)["rules"]
    assert counts["P5"] == 1 and first.opened == Anomaly.select().count()
    second = runner.run(PERIOD, TODAY)
    assert second.opened == 0 and second.closed == 0
    assert Anomaly.select().where(Anomaly.first_run == first.id).count() == Anomaly.select().count()

    missing = Anomaly.get(Anomaly.rule == "P5")
    county.normal_month(H["h5"], PERIOD, 5)  # the visit arrives: the problem no longer holds
    third = runner.run(PERIOD, TODAY)
    assert Anomaly.get_by_id(missing.id).status == CLOSED and third.closed == 1


def test_correct_as_it_is_holds_until_the_data_change(county):
    runner.run(PERIOD, TODAY)
    outlier = Anomaly.get(Anomaly.rule == "I7", Anomaly.household == county.ids[H["h4"]])
    anomalies.answer(Principal("cli", "cli", "admin", None), outlier, ANSWER_CORRECT, "两户收入确实如此")
    runner.run(PERIOD, TODAY)
    assert Anomaly.get_by_id(outlier.id).status == ANSWERED
    Visit.update(business=60_000).where(Visit.household == county.ids[H["h4"]], Visit.month == PERIOD).execute()
    runner.run(PERIOD, TODAY)
    assert Anomaly.get_by_id(outlier.id).status == OPEN


def test_parameters_are_county_settings(county):
    assert findings("P1") == {"h1"}
    set_parameter("p1_min_income", "40000", actor="test", why="测试")
    assert len(findings("P1")) > 5
    with pytest.raises(FieldsyncError, match="没有参数"):
        set_parameter("no_such_setting", "1", actor="test", why="测试")


def test_persons_imported_before_the_checks_get_them_once(county):
    Person.update(checked=False, id_problem="").execute()
    assert runner.backfill_person_checks() == Person.select().count()
    assert findings("I1") == {"g4"}
    assert runner.backfill_person_checks() == 0

"""The dashboards' figures against a generated county (issue 16): every expected number is computed here from the
planted rows and visits, in plain Python, never through the hub's queries."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from devtools import synthetic
from hub.cleaning.rules import CATALOGUE
from hub.reports import figures
from hub.store.models import Anomaly, CleaningRun, NodeVillage, Township, Village
from shared.months import months_back
from shared.vocabulary import DECEASED, FULL_LABOUR, LIVING
from tests.hub.cleaning import county_factory

PERIOD = "2026-10"
MONTHS = months_back(PERIOD, 12)
VILLAGES = [v for v in synthetic.default_villages(3) if v[0] in synthetic.RONGAN_TOWNSHIPS[:2]]  # 2 × 3 villages
TOWNSHIP_A, TOWNSHIP_B = synthetic.RONGAN_TOWNSHIPS[:2]
ANOMALIES = [("I1", "open", 0), ("I1", "closed", 0), ("I1", "in_field", 1), ("P1", "answered", 0),
             ("P1", "open", 1), ("P1", "open", 1), ("P5", "closed", 1), ("I6", "open", None)]


@dataclass
class Planted:
    rows: list[dict[str, Any]]
    visits: list[dict[str, Any]] = field(default_factory=list)  # the current ones only, in insertion order
    working: set[str] = field(default_factory=set)  # id numbers with employment in a current visit of PERIOD


def _roster() -> list[dict[str, Any]]:
    rows = synthetic.generate_roster(16, VILLAGES, 7)
    labourers = [r for r in rows if r["labour_ability"] in FULL_LABOUR]
    labourers[0]["status"] = DECEASED  # not counted anywhere
    ordinary = [r for r in labourers[1:] if r["household_type"] == "脱贫户"]
    for row in ordinary[:3]:
        row["returned_since"] = "2026-05-02"  # back long enough: 返乡回流 (and never working, below)
    ordinary[3]["returned_since"] = "2026-10-20"  # back too recently
    monitored = sorted({r["household_id"] for r in rows if r["household_type"] == "监测户"})
    for row in rows:
        if row["household_id"] == monitored[0]:
            row["risk_eliminated"] = "2026-03-01"  # no longer a 监测对象
    return rows


@pytest.fixture
def planted(app, hub_db, tmp_path) -> Planted:
    rows = _roster()
    county = county_factory.build(tmp_path, rows)
    village_ids = [Village.get(Village.name == v).id for _, v in VILLAGES]
    NodeVillage.create(node=county.node, village=village_ids[0])
    found = Planted(rows)
    rnd = random.Random(5)
    for number in sorted(county.ids):
        members = [r for r in rows if r["household_id"] == number]
        for month in ["2025-10", *MONTHS]:  # 2025-10 lies outside the twelve months
            if rnd.random() < 0.2:
                continue
            values = {"wage": rnd.randint(0, 9000), "business": rnd.randint(0, 3000), "transfer": rnd.randint(0, 600),
                      "expenses": rnd.randint(0, 800)}
            labourers = [m for m in members if m["labour_ability"] in FULL_LABOUR and not m["returned_since"]]
            jobs = [(m["id_number"], 1, 3000) for m in labourers if rnd.random() < 0.5] if month == PERIOD else []
            visit_id = county.visit(number, month, jobs=jobs, **values)
            if rnd.random() < 0.1:  # corrected: the first visit no longer counts
                values = {**values, "wage": values["wage"] + 5000}
                jobs = jobs[:-1]
                visit_id = county.correct(visit_id, **values, jobs=jobs)
            if rnd.random() < 0.05:  # a second visit the same month: the later one's figures count
                values = {**values, "business": values["business"] + 700}
                county.visit(number, month, jobs=jobs, **values)
            found.visits = [v for v in found.visits if (v["number"], v["month"]) != (number, month)]
            found.visits.append({"number": number, "month": month, **values})
            if month == PERIOD:
                found.working |= {j[0] for j in jobs}
    run = CleaningRun.create(started_at=datetime(2026, 11, 2), period=PERIOD, rules_version="t", settings="{}")
    townships = [Township.get(Township.name == name).id for name in (TOWNSHIP_A, TOWNSHIP_B)]
    for index, (rule, status, township) in enumerate(ANOMALIES):
        Anomaly.create(key=f"k{index}", rule=rule, township=None if township is None else townships[township],
                       subject="", detail="{}", digest="", status=status, first_run=run, last_run=run,
                       opened_at=datetime(2026, 11, 2))
    return found


def _unit_of(row: dict[str, Any], township: str | None) -> str:
    return row["township"] if township is None else row["village"]


def _units(township: str | None) -> list[str]:
    if township is None:
        return synthetic.RONGAN_TOWNSHIPS
    return sorted(v for t, v in VILLAGES if t == township)


def _expected(planted: Planted, township: str | None) -> dict[str, Any]:
    rows = [r for r in planted.rows if township is None or r["township"] == township]
    unit_of = {r["household_id"]: _unit_of(r, township) for r in rows}
    members = Counter(r["household_id"] for r in rows if r["status"] == LIVING)
    households = Counter(unit_of.values())
    visits = [v for v in planted.visits if v["number"] in unit_of and v["month"] in MONTHS]
    visited: dict[tuple[str, str], int] = Counter((unit_of[v["number"]], v["month"]) for v in visits)
    net = {(v["number"], v["month"]): v["wage"] + v["business"] + v["transfer"] - v["expenses"] for v in visits}
    trend: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    yearly: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (number, month), value in net.items():
        trend[unit_of[number], month][0] += value
        trend[unit_of[number], month][1] += members[number]
        yearly[number][0] += value
        yearly[number][1] += 1
    classes: dict[str, Counter] = defaultdict(Counter)
    for number, (total, months) in yearly.items():
        per_capita = total * 12 / months / members[number]
        kind = "高收入" if per_capita >= 15000 else "中等收入" if per_capita >= 11000 else "低收入"
        classes[unit_of[number]][kind] += 1
    eliminated = {r["household_id"] for r in rows if r.get("risk_eliminated")}
    labour: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        if r["status"] != LIVING or r["labour_ability"] not in FULL_LABOUR or r["id_number"] in planted.working:
            continue
        if r["household_type"] == "监测户" and r["household_id"] not in eliminated:
            kind = "监测对象"
        elif r.get("returned_since") == "2026-05-02":
            kind = "返乡回流脱贫劳动力"
        else:
            kind = figures.UNTYPED
        labour[unit_of[r["household_id"]]][kind] += 1
    names = _units(township)
    return {
        "households": [households[u] for u in names],
        "visited": [[visited[u, m] for m in MONTHS] for u in names],
        "trend": [[round(trend[u, m][0] * 12 / trend[u, m][1]) if trend[u, m][1] else None for m in MONTHS]
                  for u in names],
        "classes": [[classes[u][c] for c in figures.INCOME_CLASSES] for u in names],
        "labour": [[labour[u][t] for t in figures.LABOUR_TYPES] for u in names],
    }


@pytest.mark.parametrize("township", [None, TOWNSHIP_A])
def test_the_dashboard_figures_match_the_county_counted_by_hand(planted, township):
    township_id = Township.get(Township.name == township).id if township else None
    found = figures.dashboard(township_id, PERIOD)
    expected = _expected(planted, township)
    assert found["units"] == _units(township) and found["months"] == MONTHS
    assert [u["households"] for u in found["coverage"]["units"]] == expected["households"]
    assert [u["visited"] for u in found["coverage"]["units"]] == expected["visited"]
    assert found["coverage"]["total"]["visited"] == [sum(col) for col in zip(*expected["visited"], strict=True)]
    share = found["coverage"]["units"][0]["share"][-1]
    assert share == round(expected["visited"][0][-1] / expected["households"][0], 4) and 0 < share < 1
    assert found["income_trend"]["units"] == expected["trend"]
    assert found["income_classes"]["units"] == expected["classes"]
    assert found["untransferred"]["units"] == expected["labour"]
    assert sum(found["untransferred"]["total"]) > 0 and found["untransferred"]["total"][1] > 0
    assert found["income_line"] == 10_000


def test_anomalies_are_counted_open_and_resolved_by_rule_in_catalogue_order(planted):
    county = figures.dashboard(None, PERIOD)["anomalies"]
    order = list(CATALOGUE)
    assert [a["rule"] for a in county] == sorted({"I1", "P1", "P5", "I6"}, key=order.index)
    by_rule = {a["rule"]: (a["open"], a["resolved"]) for a in county}
    assert by_rule == {"I1": (2, 1), "P1": (2, 1), "P5": (0, 1), "I6": (1, 0)}
    assert {a["rule"]: a["name"] for a in county}["P1"] == CATALOGUE["P1"].zh
    a_only = figures.dashboard(Township.get(Township.name == TOWNSHIP_A).id, PERIOD)["anomalies"]
    assert {a["rule"]: (a["open"], a["resolved"]) for a in a_only} == {"I1": (1, 1), "P1": (0, 1)}


def test_a_month_without_visits_shows_gaps_and_zero_coverage(planted):
    later = figures.dashboard(None, "2027-06")  # 2026-07 … 2027-06: four months of visits, eight without
    assert later["coverage"]["total"]["visited"][-1] == 0 and later["income_trend"]["total"][-1] is None
    assert later["income_trend"]["total"][3] is not None and sum(later["income_classes"]["total"]) > 0
    assert sum(figures.dashboard(None, "2028-06")["income_classes"]["total"]) == 0


def test_kept_figures_are_read_until_too_old_and_anomalies_are_always_live(planted):
    """The slow figures are computed once and kept for ``max_age``; a change of the visits shows after that (or
    after the worker's refresh), while an answered anomaly shows at once."""
    from datetime import timedelta

    from hub.store.models import DashboardFigures, Visit

    hour = timedelta(hours=1)
    start = datetime(2026, 11, 20, 8, 0)
    first = figures.kept_dashboard(None, PERIOD, hour, now=start)
    assert first["computed_at"] == start and DashboardFigures.select().count() == 1
    assert {key: value for key, value in first.items() if key != "computed_at"} == figures.dashboard(None, PERIOD)

    visited = first["coverage"]["total"]["visited"][-1]
    moved = Visit.select().where(Visit.month == PERIOD).first().household_id  # one household's visits move away
    Visit.update(month="2020-01").where(Visit.household == moved, Visit.month == PERIOD).execute()
    Anomaly.update(status="closed").where(Anomaly.rule == "I6").execute()

    soon = figures.kept_dashboard(None, PERIOD, hour, now=start + timedelta(minutes=59))
    assert soon["computed_at"] == start and soon["coverage"]["total"]["visited"][-1] == visited  # kept
    assert {a["rule"]: (a["open"], a["resolved"]) for a in soon["anomalies"]}["I6"] == (0, 1)  # live

    assert figures.refresh_aging(hour, now=start + timedelta(minutes=29)) == 0  # not yet half its age
    assert figures.refresh_aging(hour, now=start + timedelta(minutes=31)) == 1
    later = figures.kept_dashboard(None, PERIOD, hour, now=start + timedelta(minutes=45))
    assert later["computed_at"] == start + timedelta(minutes=31)
    assert later["coverage"]["total"]["visited"][-1] == visited - 1
    assert DashboardFigures.select().count() == 1
    stale = figures.kept_dashboard(None, PERIOD, hour, now=start + timedelta(hours=3))
    assert stale["computed_at"] == start + timedelta(hours=3)  # too old: computed again by the page


def test_the_worker_refreshes_the_views_opened_every_half_of_their_age(app, planted):
    from datetime import timedelta

    from hub.jobs import tasks
    from hub.store.models import DashboardFigures

    app.config["DASHBOARD_MAX_AGE_MINUTES"] = 60
    assert tasks.dashboard_due(app, datetime(2026, 11, 20, 8, 30))
    assert not tasks.dashboard_due(app, datetime(2026, 11, 20, 8, 31))
    assert tasks.refresh_dashboards(app) == 0  # nobody opened a dashboard yet: nothing to compute
    opened_at = datetime.utcnow() - timedelta(minutes=40)
    figures.kept_dashboard(Township.get(Township.name == TOWNSHIP_A).id, PERIOD, timedelta(hours=1), now=opened_at)
    assert tasks.refresh_dashboards(app) == 1
    assert DashboardFigures.get().computed_at > opened_at

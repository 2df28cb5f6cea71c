"""The figures the dashboards draw (issue 16): the county's by township, a township's by village.

Every function reads; none writes.  A "unit" is a township when ``township_id`` is None (the county's view) and a
village of that township otherwise.  The definitions, as docs/dashboard.md states them:

- coverage: households of the unit (today's roster) and, per month, those with a current visit that month;
- income: per household and month the latest current visit's net (wage + business + property + transfer −
  expenses); a household's annual per-capita income is its net over the months recorded in the twelve to the
  period, times 12 / months / living members (as rule P1 computes it); its class as ``exports.income_class``;
- the per-capita trend of a month: the net of the households visited that month times 12, over their living
  members; set against the P1 support line (``p1_min_income``, 10,000 yuan unless the county changed it);
- untransferred labourers: living full labourers with no employment in a current visit of the period (as the
  monthly table counts them), by the first official type the data show (``exports.person_type``: the roster, then
  the departments' latest lists up to the period);
- anomalies by rule: open (待核实, 已派村级核实) and resolved (已核实, 已消除).
"""

from __future__ import annotations

import calendar
import json
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from peewee import Case, Expression, Field, IntegrityError, ModelSelect, fn

from hub.cleaning.anomalies import ANSWERED, CLOSED, IN_FIELD, OPEN
from hub.cleaning.exports import LISTED_TYPES, PERSON_TYPES, income_class
from hub.cleaning.rules import CATALOGUE
from hub.county.clock import utcnow
from hub.county.parameters import parameters
from hub.roster import department_lists
from hub.store.db import database, write_transaction
from hub.store.models import (
    Anomaly,
    DashboardFigures,
    DepartmentEntry,
    Household,
    Person,
    Township,
    Village,
    Visit,
    VisitEmployment,
)
from shared.months import months_back, parse_month
from shared.rows import tuples
from shared.vocabulary import FULL_LABOUR, LIVING

TREND_MONTHS = 12
INCOME_CLASSES = ("高收入", "中等收入", "低收入")
UNTYPED = "其他（不属五类人员）"
LABOUR_TYPES = (*PERSON_TYPES, UNTYPED)
OPEN_STATUSES = (OPEN, IN_FIELD)
RESOLVED_STATUSES = (ANSWERED, CLOSED)
Query = TypeVar("Query", bound="ModelSelect[Any]")


def units(township_id: int | None) -> list[tuple[int, str]]:
    """(id, name) of the units a view is broken down by: townships in their order, or a township's villages."""
    if township_id is None:
        return list(tuples(Township.select(Township.id, Township.name).order_by(Township.position, Township.id)))
    return list(tuples(Village.select(Village.id, Village.name).where(Village.township == township_id)
                       .order_by(Village.name, Village.id)))


def _unit(township_id: int | None) -> Field:
    return Village.township if township_id is None else Village.id


def _scoped(query: Query, township_id: int | None) -> Query:
    return query if township_id is None else query.where(Village.township == township_id)


def latest_month(township_id: int | None) -> str | None:
    """The latest month with a current visit in the view, None before the first visit arrives."""
    query = _scoped(Visit.select(fn.MAX(Visit.month)).join(Household).join(Village).where(Visit.is_current()),
                    township_id)
    return query.scalar()


def coverage(township_id: int | None, months: list[str]) -> dict[int, dict[str, Any]]:
    """Unit id -> households and, per month of ``months``, the households visited."""
    unit = _unit(township_id)
    counted = _scoped(Household.select(unit, fn.COUNT(Household.id)).join(Village), township_id).group_by(unit)
    households: dict[int, int] = dict(tuples(counted))
    visited = _scoped(Visit.select(unit, Visit.month, fn.COUNT(Visit.household.distinct())).join(Household)
                      .join(Village).where(Visit.is_current(), Visit.month.in_(months)), township_id)
    found: dict[int, dict[str, Any]] = {}
    for unit_id, _name in units(township_id):
        found[unit_id] = {"households": households.get(unit_id, 0), "visited": dict.fromkeys(months, 0)}
    for unit_id, month, count in tuples(visited.group_by(unit, Visit.month)):
        found[unit_id]["visited"][month] = count
    return found


def _net() -> Expression:
    return Visit.wage + Visit.business + Visit.property + Visit.transfer - Visit.expenses


def _members(township_id: int | None) -> dict[int, int]:
    """Household id -> living members, for the households of the view."""
    query = (Person.select(Person.household, fn.COUNT(Person.id)).join(Household).join(Village)
             .where(Person.status == LIVING))
    return dict(tuples(_scoped(query, township_id).group_by(Person.household)))


def monthly_nets(township_id: int | None, months: list[str]) -> list[tuple[int, int, str, int]]:
    """(household, unit, month, net) of the latest current visit per household and month of ``months``: the
    one read of the visits both income figures share."""
    latest = _scoped(Visit.select(fn.MAX(Visit.id)).join(Household).join(Village)
                     .where(Visit.is_current(), Visit.month.in_(months)), township_id)  # a township reads its own
    latest = latest.group_by(Visit.household, Visit.month)
    query = (Visit.select(Visit.household, _unit(township_id), Visit.month, _net()).join(Household).join(Village)
             .where(Visit.id.in_(latest)))
    sql, params = _scoped(query, township_id).sql()  # raw rows: peewee's per-value conversion costs 3× the query
    return [(household, unit, month, int(net)) for household, unit, month, net in database.execute_sql(sql, params)]


def income_figures(township_id: int | None, months: list[str]) -> tuple[dict[int, dict[str, tuple[int, int]]],
                                                                         dict[int, dict[str, int]]]:
    """Unit id -> month -> (net income of the households visited that month, their living members), and
    unit id -> income class -> households, by annual per-capita income over ``months``.  Households without a
    living member count in neither."""
    members = _members(township_id)
    trend: dict[int, dict[str, tuple[int, int]]] = {unit_id: {} for unit_id, _ in units(township_id)}
    yearly: dict[int, tuple[int, int, int]] = {}  # household -> (unit, net, months recorded)
    for household, unit_id, month, net in monthly_nets(township_id, months):
        size = members.get(household, 0)
        if not size:
            continue
        total, people = trend[unit_id].get(month, (0, 0))
        trend[unit_id][month] = (total + net, people + size)
        _, so_far, recorded = yearly.get(household, (unit_id, 0, 0))
        yearly[household] = (unit_id, so_far + net, recorded + 1)
    classes = {unit_id: dict.fromkeys(INCOME_CLASSES, 0) for unit_id, _ in units(township_id)}
    for household, (unit_id, net, recorded) in yearly.items():
        classes[unit_id][income_class(net * 12 / recorded / members[household])] += 1
    return trend, classes


def returned_before(period: str, days_back: int) -> str:
    """The day a returned labourer must have been back since to count as 返乡回流 for ``period``."""
    year, month = parse_month(period)
    month_end = date(year, month, calendar.monthrange(year, month)[1])
    return (month_end - timedelta(days=days_back)).isoformat()


def untransferred(township_id: int | None, period: str) -> dict[int, dict[str, int]]:
    """Unit id -> labourer type -> living full labourers not in employment in ``period``'s current visits."""
    unit = _unit(township_id)
    working = (VisitEmployment.select(VisitEmployment.id_number).join(Visit)
               .where(Visit.is_current(), Visit.month == period))
    before = returned_before(period, parameters()["p10_days_back"])
    not_eliminated = Household.risk_eliminated.is_null() | (Household.risk_eliminated == "")
    back = Person.returned_since.is_null(False) & (Person.returned_since != "") & (Person.returned_since < before)
    listed = department_lists.latest_lists(tuple(LISTED_TYPES), period)
    on_lists = [(Person.id_number.in_(DepartmentEntry.select(DepartmentEntry.id_number)
                                      .where(DepartmentEntry.department_list == listed[kind][0])),
                 PERSON_TYPES.index(person_type)) for kind, person_type in LISTED_TYPES.items() if kind in listed]
    kind = Case(None, [((Household.household_type == "监测户") & not_eliminated, 0), (back, 1), *on_lists],
                len(PERSON_TYPES))
    query = _scoped(Person.select(unit, kind, fn.COUNT(Person.id)).join(Household).join(Village)
                    .where(Person.status == LIVING, Person.labour_ability.in_(FULL_LABOUR),
                           Person.id_number.not_in(working)), township_id)
    found = {unit_id: dict.fromkeys(LABOUR_TYPES, 0) for unit_id, _ in units(township_id)}
    for unit_id, index, count in tuples(query.group_by(unit, kind)):
        found[unit_id][LABOUR_TYPES[int(index)]] += count
    return found


def anomalies(township_id: int | None) -> list[dict[str, Any]]:
    """Per rule with any anomaly in the view, in the catalogue's order: open and resolved counts."""
    query = Anomaly.select(Anomaly.rule, Anomaly.status, fn.COUNT(Anomaly.id))
    if township_id is not None:
        query = query.where(Anomaly.township == township_id)
    counts: dict[str, dict[str, int]] = {}
    for rule, status, count in tuples(query.group_by(Anomaly.rule, Anomaly.status)):
        side = "open" if status in OPEN_STATUSES else "resolved" if status in RESOLVED_STATUSES else ""
        if side:
            counts.setdefault(rule, {"open": 0, "resolved": 0})[side] += count
    order = {rule: index for index, rule in enumerate(CATALOGUE)}
    return [{"rule": rule, "name": CATALOGUE[rule].zh if rule in CATALOGUE else rule, **sides}
            for rule, sides in sorted(counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))]


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _per_capita(net: int, members: int) -> int | None:
    return round(net * 12 / members) if members else None


def dashboard(township_id: int | None, period: str) -> dict[str, Any]:
    """Every figure of one dashboard for ``period`` (YYYY-MM), JSON-ready: the view's units, then per figure the
    units' numbers and the view's total."""
    months = months_back(period, TREND_MONTHS)
    names = units(township_id)
    covered = coverage(township_id, months)
    trend, classes = income_figures(township_id, months)
    labour = untransferred(township_id, period)

    def coverage_row(households: int, visited: dict[str, int]) -> dict[str, Any]:
        return {"households": households, "visited": [visited[m] for m in months],
                "share": [_share(visited[m], households) for m in months]}

    def trend_row(by_month: dict[str, tuple[int, int]]) -> list[int | None]:
        return [_per_capita(*by_month.get(m, (0, 0))) for m in months]

    total_visited = {m: sum(c["visited"][m] for c in covered.values()) for m in months}
    total_trend = {m: (sum(t.get(m, (0, 0))[0] for t in trend.values()),
                       sum(t.get(m, (0, 0))[1] for t in trend.values())) for m in months}
    return {
        "period": period, "months": months, "units": [name for _, name in names],
        "unit_kind": "乡镇" if township_id is None else "村（安置点）",
        "coverage": {"units": [coverage_row(covered[i]["households"], covered[i]["visited"]) for i, _ in names],
                     "total": coverage_row(sum(c["households"] for c in covered.values()), total_visited)},
        "income_line": parameters()["p1_min_income"],
        "income_trend": {"units": [trend_row(trend[i]) for i, _ in names], "total": trend_row(total_trend)},
        "income_classes": {"classes": list(INCOME_CLASSES), "units": [[classes[i][c] for c in INCOME_CLASSES]
                                                                       for i, _ in names],
                           "total": [sum(classes[i][c] for i, _ in names) for c in INCOME_CLASSES]},
        "untransferred": {"types": list(LABOUR_TYPES), "units": [[labour[i][t] for t in LABOUR_TYPES]
                                                                  for i, _ in names],
                          "total": [sum(labour[i][t] for i, _ in names) for t in LABOUR_TYPES]},
        "anomalies": anomalies(township_id),
    }


# The dashboard's slow figures (coverage, income, labour: the visits of twelve months) are kept in
# dashboard_figures; the anomalies' counts change with every answer and are cheap, so they are read live.
KEPT_OUT = ("anomalies",)


def _scope(township_id: int | None) -> str:
    return "county" if township_id is None else str(township_id)


def kept_dashboard(township_id: int | None, period: str, max_age: timedelta,
                   now: datetime | None = None) -> dict[str, Any]:
    """The dashboard's figures for the view and month: those kept, when computed less than ``max_age`` ago, else
    computed now and kept.  ``computed_at`` (UTC) says when; the anomalies' counts are always live."""
    now = now or utcnow()
    row = DashboardFigures.get_or_none(DashboardFigures.scope == _scope(township_id),
                                       DashboardFigures.period == period)
    if row is not None and now - row.computed_at < max_age:
        found: dict[str, Any] = json.loads(row.figures)
        computed_at = row.computed_at
    else:
        found, computed_at = refresh(township_id, period, now)
    return {**found, "anomalies": anomalies(township_id), "computed_at": computed_at}


def refresh(township_id: int | None, period: str, now: datetime | None = None) -> tuple[dict[str, Any], datetime]:
    """Compute the view's figures for ``period`` and keep them (replacing what was kept); the figures and when."""
    computed_at = now or utcnow()
    found = {key: value for key, value in dashboard(township_id, period).items() if key not in KEPT_OUT}
    try:
        with write_transaction():
            DashboardFigures.delete().where(DashboardFigures.scope == _scope(township_id),
                                            DashboardFigures.period == period).execute()
            DashboardFigures.create(scope=_scope(township_id), period=period, computed_at=computed_at,
                                    figures=json.dumps(found, ensure_ascii=False))
    except IntegrityError:  # another process kept the same view a moment ago: theirs stands, these are shown
        pass
    return found, computed_at


def refresh_aging(max_age: timedelta, now: datetime | None = None) -> int:
    """Refresh every kept view older than half of ``max_age`` (the worker's periodic task), so that a page
    seldom computes them itself; how many were refreshed."""
    now = now or utcnow()
    aging = list(tuples(DashboardFigures.select(DashboardFigures.scope, DashboardFigures.period)
                        .where(DashboardFigures.computed_at <= now - max_age / 2)))
    for scope, period in aging:
        refresh(None if scope == "county" else int(scope), period, now)
    return len(aging)

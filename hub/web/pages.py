"""The hub's home page (Chinese): the county's for county roles — what arrived, from which station, what is
wrong — and a township officer's own township: its stations, its visit coverage, its open anomalies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, render_template
from peewee import fn

from hub.cleaning import exports
from hub.cleaning.anomalies import OPEN, priority
from hub.cleaning.rules import CATALOGUE
from hub.county.clock import local_time
from hub.store.models import Alarm, Anomaly, CleaningRun, County, Household, Node, Person, Township, Village, Visit
from hub.sync.overview import node_rows, station_status
from hub.web import scope
from shared.months import month_of
from shared.rows import tuples

bp = Blueprint("pages", __name__)


@bp.app_template_filter("local_time")
def _local_time_filter(value: datetime | None) -> str:
    return local_time(value)


def _months(township_id: int | None) -> list[tuple[str, int, int]]:
    query = Visit.select(Visit.month, fn.COUNT(Visit.id), fn.COUNT(Visit.household.distinct()))
    if township_id is not None:
        query = query.join(Household).join(Village).where(Village.township == township_id)
    return list(tuples(query.group_by(Visit.month).order_by(Visit.month.desc()).limit(12)))


def _open_by_rule(township_id: int) -> list[tuple[str, int]]:
    query = (Anomaly.select(Anomaly.rule, fn.COUNT(Anomaly.id))
             .where(Anomaly.status == OPEN, Anomaly.township == township_id).group_by(Anomaly.rule))
    return sorted(tuples(query), key=lambda row: priority(row[0]))


def _township_home(township: Township) -> dict[str, Any]:
    latest = CleaningRun.select().order_by(CleaningRun.id.desc()).first()
    period = latest.period if latest else month_of(date.today())
    coverage = [c for c in exports.coverage(period) if c["township"] == township.name]
    villages = Village.select().where(Village.township == township.id)
    households = Household.select().where(Household.village.in_(villages))
    return {"township": township, "period": period, "coverage": coverage,
            "visited": sum(c["visited"] for c in coverage), "open_by_rule": _open_by_rule(township.id),
            "households": households.count(), "villages": villages.count(),
            "persons": Person.select().where(Person.household.in_(households)).count()}


@bp.route("/")
def overview() -> str:
    county = County.select().first()
    own = scope.visible_township_id()
    stations = [row for row in node_rows() if own is None or own in row["townships"]]
    for row in stations:
        row["status"] = station_status(row["node"], row["silent"])
    if own is not None:
        return render_template("township_home.html", county=county.name if county else "", nodes=stations,
                               months=_months(own), rules=CATALOGUE, **_township_home(Township.get_by_id(own)))
    open_alarms = (Alarm.select(Alarm, Node).join(Node).where(Alarm.resolved_at.is_null())
                   .order_by(Alarm.created_at.desc()).limit(50))
    return render_template(
        "overview.html", county=county.name if county else "", nodes=stations, months=_months(None),
        households=Household.select().count(), persons=Person.select().count(),
        townships=Township.select().count(), villages=Village.select().count(), alarms=list(open_alarms))

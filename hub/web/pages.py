"""The hub's pages for county staff (Chinese): what arrived, from which station, and what is wrong."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template
from peewee import fn

from hub.county.clock import local_time
from hub.store.models import Alarm, County, Household, Node, Person, Township, Village, Visit
from hub.sync.overview import node_rows
from shared.rows import tuples

bp = Blueprint("pages", __name__)


@bp.app_template_filter("local_time")
def _local_time_filter(value: datetime | None) -> str:
    return local_time(value)


@bp.route("/")
def overview() -> str:
    county = County.select().first()
    months = (tuples(Visit.select(Visit.month, fn.COUNT(Visit.id), fn.COUNT(Visit.household.distinct()))
                     .group_by(Visit.month).order_by(Visit.month.desc()).limit(12)))
    open_alarms = (Alarm.select(Alarm, Node).join(Node).where(Alarm.resolved_at.is_null())
                   .order_by(Alarm.created_at.desc()).limit(50))
    return render_template(
        "overview.html", county=county.name if county else "", nodes=node_rows(), months=list(months),
        households=Household.select().count(), persons=Person.select().count(),
        townships=Township.select().count(), villages=Village.select().count(), alarms=list(open_alarms))

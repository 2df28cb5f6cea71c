"""The hub's pages for county staff (Chinese): what arrived, from which station, and what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template
from peewee import fn

from hub import ingest
from hub.models import Alarm, County, Household, Node, NodeVillage, Person, Record, Township, Village, Visit
from hub.own_records import HUB_NODE_NAME
from shared.rows import tuples

bp = Blueprint("pages", __name__)


def local_time(value: datetime | None, zone: str | None = None) -> str:
    """A UTC time from the database, shown in the county's time zone (what a clerk's clock says)."""
    if value is None:
        return "从未"
    zone = zone or current_app.config["TIMEZONE"]
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


@bp.app_template_filter("local_time")
def _local_time_filter(value: datetime | None) -> str:
    return local_time(value)


def node_rows(silent_hours: int | None = None) -> list[dict[str, Any]]:
    """One row per station: villages, sync position, missing ranges, open alarms.

    Stations silent for longer than ``silent_hours`` (a dead or stolen Pi, usually) come first, longest silent
    first; then the rest by name.
    """
    villages: dict[int, list[str]] = {}
    links = (NodeVillage.select(NodeVillage, Village, Township).join(Village).join(Township))
    for link in links:
        villages.setdefault(link.node_id, []).append(link.village.label)
    alarms = dict(tuples(Alarm.select(Alarm.node, fn.COUNT(Alarm.id)).where(Alarm.resolved_at.is_null())
                         .group_by(Alarm.node)))
    rejected = dict(tuples(Record.select(Record.node, fn.COUNT(Record.id)).where(Record.status == "rejected")
                           .group_by(Record.node)))
    hours = current_app.config["SILENT_HOURS"] if silent_hours is None else silent_hours
    cutoff = datetime.utcnow() - timedelta(hours=hours)
    rows = []
    for node in Node.select().where(Node.name != HUB_NODE_NAME).order_by(Node.name):
        state = ingest.node_state(node)
        heard = node.last_seen_at or node.enrolled_at
        silent = heard is not None and not node.revoked_at and heard < cutoff
        rows.append({"node": node, "villages": villages.get(node.id, []), "state": state, "silent": silent,
                     "alarms": alarms.get(node.id, 0), "rejected": rejected.get(node.id, 0)})
    rows.sort(key=lambda row: (0, row["node"].last_seen_at or row["node"].enrolled_at) if row["silent"]
              else (1, datetime.min))
    return rows


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

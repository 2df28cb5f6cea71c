"""What the hub holds of each station, as the overview page and `fieldsync-hub nodes` show it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from peewee import fn

from hub.certificates import status as certificates
from hub.county.clock import utcnow
from hub.store.models import Alarm, Node, NodeVillage, Record, StationCertificate, Township, Village
from hub.sync import ingest
from hub.sync.own_records import HUB_NODE_NAME
from shared.rows import tuples


def node_rows(silent_hours: int | None = None) -> list[dict[str, Any]]:
    """One row per station: villages, sync position, missing ranges, open alarms.

    Stations silent for longer than ``silent_hours`` (a dead or stolen Pi, usually) come first, longest silent
    first; then the rest by name.
    """
    villages: dict[int, list[str]] = {}
    townships: dict[int, set[int]] = {}
    links = (NodeVillage.select(NodeVillage, Village, Township).join(Village).join(Township))
    for link in links:
        villages.setdefault(link.node_id, []).append(link.village.label)
        townships.setdefault(link.node_id, set()).add(link.village.township_id)
    alarms = dict(tuples(Alarm.select(Alarm.node, fn.COUNT(Alarm.id)).where(Alarm.resolved_at.is_null())
                         .group_by(Alarm.node)))
    rejected = dict(tuples(Record.select(Record.node, fn.COUNT(Record.id)).where(Record.status == "rejected")
                           .group_by(Record.node)))
    hours = current_app.config["SILENT_HOURS"] if silent_hours is None else silent_hours
    cutoff = datetime.utcnow() - timedelta(hours=hours)
    certificate_warnings = certificates.warnings(current_app.config["CERT_WARN_AT"])
    station_certificates = {row.node_id: row for row in StationCertificate.select()}
    rows = []
    for node in Node.select().where(Node.name != HUB_NODE_NAME).order_by(Node.name):
        state = ingest.node_state(node)
        heard = node.last_seen_at or node.enrolled_at
        silent = heard is not None and not node.revoked_at and heard < cutoff
        rows.append({"node": node, "villages": villages.get(node.id, []), "state": state, "silent": silent,
                     "alarms": alarms.get(node.id, 0), "rejected": rejected.get(node.id, 0),
                     "certificate": station_certificates.get(node.id),
                     "certificate_warning": certificate_warnings.get(node.id),
                     "townships": townships.get(node.id, set()), "sync": records_words(state)})
    rows.sort(key=lambda row: (0, row["node"].last_seen_at or row["node"].enrolled_at) if row["silent"]
              else (1, datetime.min))
    return rows


def station_status(node: Node, silent: bool) -> str:
    """The station's state in words, as the overview page shows it."""
    if node.revoked_at:
        return "已停用"
    if node.quarantined_at:
        return "已隔离（疑似复制）"
    if silent:
        return "长时间未联系"
    return "已登记" if node.enrolled_at else "待登记"


def missing_count(state: dict[str, Any]) -> int:
    """How many records the station has that the hub does not hold yet."""
    return sum(last - first + 1 for first, last in state["missing"])


def sync_words(row: dict[str, Any]) -> str:
    """One station's sync state in words, for a county clerk (a ``node_rows`` row): 已同步, 落后 N 条 …"""
    node = row["node"]
    if node.revoked_at:
        return "已停用"
    if node.quarantined_at:
        return "已隔离"
    if not node.enrolled_at:
        expired = node.enrolment_expires_at is None or node.enrolment_expires_at < utcnow()
        return "待登记（登记码已过期）" if expired else "待登记"
    if row["silent"]:
        return "长时间未联系"
    behind = missing_count(row["state"])
    return f"落后 {behind} 条" if behind else "已同步"


def records_words(state: dict[str, Any]) -> str:
    """Where the hub stands with a station's records, in words: 已同步, or 落后 N 条 (the records the station has
    signed that the hub does not hold yet, gaps included)."""
    missing = sum(last - first + 1 for first, last in state["missing"])
    if missing:
        return f"落后 {missing} 条"
    return "已同步" if state["head"] else "还没有记录"

"""`/metrics` in the Prometheus text format, computed from the database at scrape time.

Reading the figures from the database (rather than counting in process memory) keeps them right with any
number of gunicorn workers and across restarts.  Labels carry node names and reason codes, never
personal data.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Iterator
from datetime import datetime

from flask import Blueprint, Response, current_app, request
from peewee import fn
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hub.store.models import Alarm, Node, Record
from hub.sync.own_records import HUB_NODE_NAME
from shared.errors import ErrorCode, FieldsyncError
from shared.rows import tuples

bp = Blueprint("metrics", __name__)


class DatabaseCollector:
    """Collects the sync figures per node from the hub's tables."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        names = dict(tuples(Node.select(Node.id, Node.name)))
        held = GaugeMetricFamily("fieldsync_records", "Records held, by node and status", labels=["node", "status"])
        for node_id, status, count in (tuples(Record.select(Record.node, Record.status, fn.COUNT(Record.id))
                                              .group_by(Record.node, Record.status))):
            held.add_metric([names[node_id], status], count)
        yield held
        rejected = GaugeMetricFamily("fieldsync_records_rejected", "Rejected records held, by reason code",
                                     labels=["reason"])
        reasons: dict[str, int] = {}
        for (reason,) in tuples(Record.select(Record.reason).where(Record.status == "rejected")):
            code = json.loads(reason)["code"]
            reasons[code] = reasons.get(code, 0) + 1
        for code, count in sorted(reasons.items()):
            rejected.add_metric([code], count)
        yield rejected
        lag = GaugeMetricFamily("fieldsync_node_missing_records",
                                "Records a node has announced that the hub does not hold (head - hwm)", labels=["node"])
        silent = GaugeMetricFamily("fieldsync_node_seconds_since_contact", "Seconds since the node last synced",
                                   labels=["node"])
        now = datetime.utcnow()
        for node in Node.select().where(Node.enrolled_at.is_null(False), Node.name != HUB_NODE_NAME):
            lag.add_metric([node.name], node.head - node.hwm)
            if node.last_seen_at:
                silent.add_metric([node.name], (now - node.last_seen_at).total_seconds())
        yield lag
        yield silent
        alarms = GaugeMetricFamily("fieldsync_open_alarms", "Open alarms, by code", labels=["code"])
        for code, count in (tuples(Alarm.select(Alarm.code, fn.COUNT(Alarm.id)).where(Alarm.resolved_at.is_null())
                                   .group_by(Alarm.code))):
            alarms.add_metric([code], count)
        yield alarms
        yield self.cleaning()

    @staticmethod
    def cleaning() -> GaugeMetricFamily:
        from hub.store.models import CleaningRun

        duration = GaugeMetricFamily("fieldsync_cleaning_run_seconds", "Duration of the latest finished cleaning run",
                                     labels=["period"])
        latest = (CleaningRun.select().where(CleaningRun.finished_at.is_null(False))
                  .order_by(CleaningRun.id.desc()).first())
        if latest is not None:
            duration.add_metric([latest.period], (latest.finished_at - latest.started_at).total_seconds())
        return duration


def _scraper_allowed() -> bool:
    """The token when FIELDSYNC_METRICS_TOKEN is set; otherwise only the hub machine itself (the client address
    after the trusted proxy hops, so nginx forwarding an outside request does not count as local)."""
    token = current_app.config["METRICS_TOKEN"]
    if token:
        presented = request.headers.get("Authorization", "")
        return hmac.compare_digest(presented.encode(), f"Bearer {token}".encode())
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.route("/metrics")
def metrics() -> Response:
    if not _scraper_allowed():
        raise FieldsyncError(ErrorCode.UNAUTHENTICATED, "监控数据需要令牌：Authorization: Bearer "
                             "<FIELDSYNC_METRICS_TOKEN>（未设置令牌时只能从本机读取）。")
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

"""Time as the hub stores it (naive UTC, to the second) and as a county clerk reads it (the county's zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


def local_time(value: datetime | None, zone: str | None = None) -> str:
    """A UTC time from the database, shown in the county's time zone (what a clerk's clock says)."""
    if value is None:
        return "从未"
    zone = zone or current_app.config["TIMEZONE"]
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")

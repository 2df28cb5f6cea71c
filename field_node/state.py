"""Small values the node keeps (``state`` table) and the Pi's clock as text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from field_node.models import State

__all__ = ["get_state", "now_text", "set_state"]


def get_state(key: str, default: str | None = None) -> str | None:
    row = State.get_or_none(State.key == key)
    return row.value if row else default


def set_state(key: str, value: Any) -> None:
    State.insert(key=key, value=str(value)).on_conflict_replace().execute()


def now_text() -> str:
    """The Pi's clock: information only (it may be years off without a network)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

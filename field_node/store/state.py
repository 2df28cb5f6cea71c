"""Small values the node keeps (the ``state`` table, written only here) and the Pi's clock as text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from field_node.store.db import database
from field_node.store.models import State
from shared.errors import ErrorCode, FieldsyncError

__all__ = ["get_state", "now_text", "require", "set_state"]


@overload
def get_state(key: str, default: str) -> str: ...
@overload
def get_state(key: str, default: None = None) -> str | None: ...
def get_state(key: str, default: str | None = None) -> str | None:
    # One fixed statement rather than a query built per call: every station page reads a few state values
    # (its name on every page), and building the query cost more CPU than running it.
    row = database.execute_sql("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_state(key: str, value: Any) -> None:
    State.insert(key=key, value=str(value)).on_conflict_replace().execute()


def now_text() -> str:
    """The Pi's clock: information only (it may be years off without a network)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def require(key: str) -> str:
    """A value enrolment wrote (node_id, hub_url); NOT_ENROLLED before it."""
    value = get_state(key)
    if value is None:
        raise FieldsyncError(ErrorCode.NOT_ENROLLED)
    return value

"""The one township-scope check of every hub view that shows a person (issue 12, item 2).

A township user (or token) sees the people of its own township only; county roles see every township.  A view
that shows one person, household or anomaly calls ``require_township`` with the township it belongs to; a list
calls ``township_choice`` for its filter and narrows its query to ``visible_township_id``.  A refusal is the usual
403 in Chinese, with an audit entry (hub/web/auth.py ``require``).  tests/security/test_hub_pages.py walks every route
of the url_map as a township user against another township's data.
"""

from __future__ import annotations

from hub.store.models import Person, Township
from hub.web import auth


def require_township(township_id: int | None, what: str, subject: str) -> None:
    """Refuse (403, audited) unless the caller may see people of ``township_id``."""
    auth.require(auth.principal().can_see(township_id), what, subject)


def require_person(person: Person, subject: str) -> None:
    require_township(person.household.village.township_id, "查看其他乡镇的人员", subject)


def visible_township_id() -> int | None:
    """The one township a township principal may see; None for county-wide roles."""
    who = auth.principal()
    return None if who.county_wide else who.township_id


def township_choice(asked: str, subject: str) -> str:
    """The township a list shows: what was asked when the caller may see it (403 otherwise); a township user who
    asks for none gets its own."""
    own = visible_township_id()
    if asked:
        found = Township.get_or_none(Township.name == asked)
        require_township(found.id if found else None, "查看其他乡镇的人员", subject)
        return asked
    return Township.get_by_id(own).name if own is not None else ""


def visible_townships() -> list[str]:
    """Township names a filter may offer the caller."""
    who = auth.principal()
    return [t.name for t in Township.select().order_by(Township.position) if who.can_see(t.id)]

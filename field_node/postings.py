"""Job postings at the station: its own (signed here, shown at once unless the pay is below the county's minimum
wage) and the hub's (county-wide and this township's, pulled at sync), for the board and the public pages."""

from __future__ import annotations

import json
from typing import Any

from field_node.store.db import database
from field_node.store.models import Posting
from field_node.store.state import get_state, now_text, set_state
from shared.rows import tuples

FIELDS = ("kind", "employer", "title", "township", "village", "place", "pay", "pay_unit", "headcount",
          "period_start", "period_end", "requirements", "contact_name", "contact_phone", "valid_until", "status")
OWN_SOURCE = "本站"


def minimum_wages() -> dict[str, int]:
    """The county's minimum pay per unit, as last sent by the hub (none known before the first sync)."""
    return json.loads(get_state("minimum_wages") or "{}")


def project_local(seq: int, body: dict[str, Any]) -> None:
    """The station's own posting record, written to the board table in the transaction that signs it."""
    from shared.postings import below_minimum_wage

    held = below_minimum_wage(body["pay"], body["pay_unit"], minimum_wages())
    row = {field: body.get(field) for field in FIELDS}
    row.update(posting_id=body["posting_id"], status=body.get("status", "open"), published=not held,
               source=OWN_SOURCE, group_id=body["posting_id"], local_seq=seq, updated_at=now_text())
    Posting.insert(**row).on_conflict_replace().execute()


def apply_posting_page(page: dict[str, Any]) -> int:
    """Upsert the hub's postings of one page and move the cursor, in one transaction.  The hub's word on a
    posting of this station (held, approved, refused) replaces the station's own."""
    with database.atomic("IMMEDIATE"):
        for document in page["postings"]:
            row = {field: document.get(field) for field in FIELDS}
            local = Posting.get_or_none(Posting.posting_id == document["posting_id"])
            row.update(posting_id=document["posting_id"], published=document["published"],
                       source=OWN_SOURCE if local and local.local_seq else document["source"],
                       group_id=document["group"], local_seq=local.local_seq if local else None,
                       updated_at=now_text())
            Posting.insert(**row).on_conflict_replace().execute()
        set_state("postings_cursor", page["cursor"])
        set_state("minimum_wages", json.dumps(page["minimum_wages"]))
    return len(page["postings"])


def document(posting: Posting) -> dict[str, Any]:
    return {"posting_id": posting.posting_id, **{field: getattr(posting, field) for field in FIELDS}}


def find(posting_id: str) -> Posting | None:
    return Posting.get_or_none(Posting.posting_id == posting_id, Posting.published == True)  # noqa: E712


def sources(posting: Posting) -> list[str]:
    group = (Posting.select(Posting.source).where(Posting.published == True,  # noqa: E712
                                                  (Posting.group_id == posting.group_id)
                                                  | (Posting.posting_id == posting.group_id)).distinct())
    return sorted(source for (source,) in tuples(group))


def board(today: str) -> list[Posting]:
    """Open, unexpired, published postings, one per job."""
    return list(Posting.select().where(Posting.published == True, Posting.status == "open",  # noqa: E712
                                       Posting.valid_until >= today, Posting.group_id == Posting.posting_id)
                .order_by(Posting.valid_until, Posting.title))


def own() -> list[Posting]:
    return list(Posting.select().where(Posting.local_seq.is_null(False)).order_by(Posting.local_seq.desc()))

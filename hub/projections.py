"""What each record kind means at the hub: which household it must name, and the rows it projects to.

The hub stores every record as it arrived (``record``) and, for accepted records, projects the body into
tables that queries and cleaning rules can use.  A new kind registers its handling here; ingest stays the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.db import insert_rows
from hub.models import Record, Visit, VisitChange, VisitEmployment
from hub.postings import store as postings
from hub.verification import project_verifications


@dataclass(frozen=True)
class Stored:
    """An accepted record just inserted: its row id, the household it names (if any) and its body."""

    record_id: int
    node_id: int
    household_id: int | None
    body: dict[str, Any]


@dataclass(frozen=True)
class KindHandling:
    household_field: str | None  # body field naming a household of the node's villages; None: no household
    project: Callable[[list[Stored], str], None]


def project_visits(stored: list[Stored], now: str) -> None:
    rows = []
    for item in stored:
        body, income = item.body, item.body["income"]
        rows.append({
            "record": item.record_id, "household": item.household_id, "month": body["month"],
            "visit_date": body["date"], "visitor": body["visitor"], "method": body["method"],
            "wage": income["wage"], "business": income["business"], "property": income["property"],
            "transfer": income["transfer"], "expenses": income["expenses"], "ack_status": body["ack"]["status"],
            "risks": ",".join(body["risks"]), "corrects": body.get("corrects"), "received_at": now,
        })
    visit_ids = dict((record_id, visit_id) for visit_id, record_id in
                     insert_rows(Visit, rows, returning=("id", "record")))
    supersede_corrected([(visit_ids[item.record_id], item) for item in stored if item.body.get("corrects")])
    insert_rows(VisitEmployment, [
        {"visit": visit_ids[item.record_id], "id_number": job["person"], "place": job["place"],
         "province": job.get("province", ""), "months": job["months"], "wage": job["wage"]}
        for item in stored for job in item.body["employment"]
    ])
    insert_rows(VisitChange, [
        {"visit": visit_ids[item.record_id], "type": change["type"], "name": change.get("name", ""),
         "id_number": change.get("id_number"), "id_unreadable": "id_unreadable" in change,
         "change_date": change.get("date"), "note": change.get("note", "")}
        for item in stored for change in item.body["changes"]
    ])


def supersede_corrected(corrections: list[tuple[int, Stored]]) -> None:
    """Mark each visit a correction names as superseded by it: same household, named by its record hash.

    Both rows stay; the corrected one only stops counting.  A correction naming a record the hub does not
    hold (one it rejected, say) supersedes nothing.
    """
    for visit_id, item in corrections:
        named = Record.select(Record.id).where(Record.hash == bytes.fromhex(item.body["corrects"]),
                                               Record.household == item.household_id)
        (Visit.update(superseded_by=visit_id)
         .where(Visit.record.in_(named), Visit.superseded_by.is_null(), Visit.id != visit_id).execute())


KINDS: dict[str, KindHandling] = {
    "visit": KindHandling("household", project_visits),
    "posting": KindHandling(None, postings.project_postings),
    "interest": KindHandling(None, postings.project_interests),
    "recommendation": KindHandling("household", postings.project_recommendations),
    "verification": KindHandling("household", project_verifications),
}


def register(kind: str, handling: KindHandling) -> None:
    """Add a record kind's hub handling (its body schema goes into shared.schemas.BODY_SCHEMAS)."""
    KINDS[kind] = handling

"""The one projection of a visit record into the cleaning engine's tables (``visit``, ``visit_employment``,
``visit_change``), and of a correction superseding the visit it names.

A county hub's ingest projects its stations' visits with it (hub/sync/projections.py); a city or region hub's
loader projects the visits its counties forward with it (hub/upward/loader.py, docs/upward.md).  The two differ
only in how a correction finds the record it names — at the county by the record's own hash, above it by the
station record's hash as filed in ``upward_forwarded`` — and, on a region's partitioned tables
(hub/store/partitions.py), in the ``county_id`` every row carries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from peewee import ModelSelect

from hub.store.db import insert_rows
from hub.store.models import Record, Visit, VisitChange, VisitEmployment


@dataclass(frozen=True)
class Stored:
    """An accepted record just inserted: its row id, the household it names (if any) and its body."""

    record_id: int
    node_id: int
    household_id: int | None
    body: dict[str, Any]


Named = Callable[["Stored"], "ModelSelect[Any]"]  # the ids of the records a correction may name


def named_at_county(item: Stored) -> ModelSelect[Any]:
    """At a county: the record whose own hash the correction names, of the same household."""
    return Record.select(Record.id).where(Record.hash == bytes.fromhex(item.body["corrects"]),
                                          Record.household == item.household_id)


def project_visits(stored: list[Stored], now: str, named: Named = named_at_county,
                   county_id: int | None = None) -> None:
    """Insert the visits with their employment lines and family changes; each correction supersedes the visit it
    names.  ``county_id`` is written on the partitioned tables' rows (a region's ``visit`` and
    ``visit_employment``), None on plain tables."""
    partition = {"county_id": county_id} if county_id is not None else None
    rows = []
    for item in stored:
        body, income = item.body, item.body["income"]
        rows.append({
            "record": item.record_id, "household": item.household_id, "month": body["month"],
            "visit_date": body["date"], "visitor": body["visitor"], "method": body["method"],
            "wage": income["wage"], "business": income["business"], "property": income["property"],
            "transfer": income["transfer"], "expenses": income["expenses"], "ack_status": body["ack"]["status"],
            "risks": ",".join(body["risks"]), "corrects": body.get("corrects"), "received_at": now,
            "unchanged": ",".join(body.get("unchanged") or ()),
        })
    visit_ids = dict((record_id, visit_id) for visit_id, record_id in
                     insert_rows(Visit, rows, returning=("id", "record"), constant=partition))
    supersede_corrected([(visit_ids[item.record_id], item) for item in stored if item.body.get("corrects")], named)
    insert_rows(VisitEmployment, [
        {"visit": visit_ids[item.record_id], "id_number": job["person"], "place": job["place"],
         "province": job.get("province", ""), "months": job["months"], "wage": job["wage"]}
        for item in stored for job in item.body["employment"]
    ], constant=partition)
    insert_rows(VisitChange, [
        {"visit": visit_ids[item.record_id], "type": change["type"], "name": change.get("name", ""),
         "id_number": change.get("id_number"), "id_unreadable": "id_unreadable" in change,
         "change_date": change.get("date"), "note": change.get("note", "")}
        for item in stored for change in item.body["changes"]
    ])


def supersede_corrected(corrections: list[tuple[int, Stored]], named: Named = named_at_county) -> None:
    """Mark each visit a correction names as superseded by it: same household, named by its record hash.

    Both rows stay; the corrected one only stops counting.  A correction naming a record the hub does not
    hold (one it rejected, say) supersedes nothing.
    """
    for visit_id, item in corrections:
        (Visit.update(superseded_by=visit_id)
         .where(Visit.record.in_(named(item)), Visit.household == item.household_id, Visit.superseded_by.is_null(),
                Visit.id != visit_id).execute())

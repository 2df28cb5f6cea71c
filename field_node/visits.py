"""Visits as the station app shows them: this month's coverage, a household's history, corrections.

Every visit record the node signs is also written to the ``visit`` table in the same transaction (see
``store.save_records``), so pages never parse records in bulk.  A correction is a new record naming the
hash of the one it replaces; the replaced row keeps ``superseded_by``.  Rejected records never count as
a visit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from peewee import JOIN, Case, fn

from field_node.models import REJECTED, Household, Member, Record, Visit

VISITED, CONTACTED, NOT_YET = "visited", "contacted", "not_yet"
HEAD = "户主"


def project(seq: int, body: dict[str, Any]) -> None:
    """Write the display row of a visit just signed, and mark the visit it corrects (if any)."""
    income = body["income"]
    Visit.create(seq=seq, household=body["household"], month=body["month"], visit_date=body["date"],
                 method=body["method"], author=body.get("author"), risks=",".join(body.get("risks", [])),
                 **{source: income[source] for source in ("wage", "business", "property", "transfer", "expenses")})
    if body.get("corrects"):
        replaced = Record.get_or_none(Record.hash == bytes.fromhex(body["corrects"]))
        if replaced is not None:
            Visit.update(superseded_by=seq).where(Visit.seq == replaced.seq).execute()


def _effective() -> Any:
    """Visits that count: the latest version of each, from records the hub has not rejected."""
    return (Visit.select().join(Record, on=(Record.seq == Visit.seq))
            .where(Visit.superseded_by.is_null(), Record.status != REJECTED))


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def months_back(month: str, count: int) -> list[str]:
    found = [month]
    while len(found) < count:
        found.append(previous_month(found[-1]))
    return found[::-1]


@dataclass
class CoverageRow:
    number: str
    village: str
    head: str
    status: str
    reached_last_month: bool


def coverage(month: str, numbers: list[str] | None = None, within: Any = True) -> list[CoverageRow]:
    """Every household (or those in ``numbers``; always within the where-clause ``within``, the account's
    villages) with its status this month: not yet first, those not reached last month first among them, then
    contacted by phone/WeChat, then visited in person."""
    last = previous_month(month)
    effective = _effective().where(Visit.month.in_([month, last])).alias("v")
    status = fn.MAX(Case(None, [((effective.c.month == month) & (effective.c.method == "in_person"), 2),
                               (effective.c.month == month, 1)], 0))
    reached = fn.MAX(Case(None, [(effective.c.month == last, 1)], 0))
    head = Member.select(fn.MIN(Member.name)).where(Member.household == Household.number, Member.relation == HEAD)
    query = (Household.select(Household.number, Household.village, head.alias("head"), status.alias("status"),
                              reached.alias("reached"))
             .join(effective, JOIN.LEFT_OUTER, on=(effective.c.household == Household.number))
             .where(within).group_by(Household.number))
    if numbers is not None:
        query = query.where(Household.number.in_(numbers))
    rows = [CoverageRow(number, village, head or "", (NOT_YET, CONTACTED, VISITED)[state], bool(was_reached))
            for number, village, head, state, was_reached in query.tuples()]
    order = {NOT_YET: 0, CONTACTED: 1, VISITED: 2}
    rows.sort(key=lambda row: (order[row.status], row.reached_last_month, row.number))
    return rows


def counts(rows: list[CoverageRow]) -> dict[str, int]:
    found = {VISITED: 0, CONTACTED: 0, NOT_YET: 0}
    for row in rows:
        found[row.status] += 1
    return found


def search(text: str, limit: int = 200) -> list[str]:
    """Household numbers matching a household number, a member's name, or its pinyin / initials."""
    text = text.strip().lower()
    if not text:
        return []
    pattern = f"%{text}%"
    by_member = Member.select(Member.household).where(Member.search ** pattern)
    query = (Household.select(Household.number)
             .where((Household.number ** f"{text}%") | Household.number.in_(by_member))
             .order_by(Household.number).limit(limit))
    return [number for (number,) in query.tuples()]


def history(number: str) -> list[Visit]:
    """Every visit row of a household, newest first (corrected and rejected ones included)."""
    return list(Visit.select(Visit, Record.status, Record.error_message)
                .join(Record, on=(Record.seq == Visit.seq)).where(Visit.household == number)
                .order_by(Visit.month.desc(), Visit.seq.desc()).objects())


def latest(number: str, before: str | None = None) -> Visit | None:
    """The effective visit of the latest month (before ``before`` when given)."""
    query = _effective().where(Visit.household == number)
    if before:
        query = query.where(Visit.month < before)
    return query.order_by(Visit.month.desc(), Visit.seq.desc()).first()


def monthly_net(number: str, months: list[str]) -> dict[str, int]:
    """Net income (four sources less expenses) per month, from each month's latest effective visit."""
    found: dict[str, int] = {}
    for visit in _effective().where(Visit.household == number, Visit.month.in_(months)).order_by(Visit.seq):
        found[visit.month] = visit.net()
    return found


def body_of(seq: int) -> dict[str, Any]:
    """The signed body of a record, exactly as it was signed."""
    record = Record.get_by_id(seq)
    return json.loads(bytes(record.content))["body"]


def record_hash(seq: int) -> str:
    return bytes(Record.get_by_id(seq).hash).hex()


def valid_month(text: str) -> bool:
    return len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit() \
        and 1 <= int(text[5:]) <= 12

"""Visits as the station app shows them: this month's coverage, a household's history, corrections.

Every visit record the node signs is also written to the ``visit`` table in the same transaction (see
``field_node.outbox.records.save_records``), so pages never parse records in bulk.  A correction is a new record
naming the hash of the one it replaces; the replaced row keeps ``superseded_by``.  Rejected records never count as
a visit.  The only writer of ``visit`` and ``coverage``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from peewee import JOIN, SQL, Case, fn

from field_node.store.models import REJECTED, Coverage, Household, Member, PinyinReading, Record, Visit
from shared.months import previous_month
from shared.rows import tuples
from shared.vocabulary import HEAD

VISITED, CONTACTED, NOT_YET = "visited", "contacted", "not_yet"
STATUS_CODES = {NOT_YET: 0, CONTACTED: 1, VISITED: 2}  # the values of coverage.status (0: no row)
STATUSES = (NOT_YET, CONTACTED, VISITED)


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
            household, month = replaced.household, replaced.month  # None on a record that is not a visit
            if household is not None and month is not None and (household, month) != (body["household"], body["month"]):
                refresh_coverage(household, month)
    refresh_coverage(body["household"], body["month"])


def refresh_coverage(household: str, month: str) -> None:
    """Work out one household's status in one month again from its effective visits.  Called in the
    transaction that saves, corrects or rejects one of them, so the coverage table is never behind."""
    best = (_effective().select(fn.MAX(Case(None, [(Visit.method == "in_person", STATUS_CODES[VISITED])],
                                            STATUS_CODES[CONTACTED])))
            .where(Visit.household == household, Visit.month == month).scalar())
    if best:
        Coverage.insert(household=household, month=month, status=best).on_conflict_replace().execute()
    else:
        Coverage.delete().where(Coverage.household == household, Coverage.month == month).execute()


def _effective() -> Any:
    """Visits that count: the latest version of each, from records the hub has not rejected."""
    return (Visit.select().join(Record, on=(Record.seq == Visit.seq))
            .where(Visit.superseded_by.is_null(), Record.status != REJECTED))


@dataclass
class CoverageRow:
    number: str
    village: str
    head: str
    status: str
    reached_last_month: bool


def _among(numbers: list[str]) -> Any:
    """``Household.number IN numbers`` as one JSON parameter: a search finds up to 200 households, and building
    a query with 200 parameters costs the station more CPU than the database takes to run it."""
    return Household.number.in_(SQL("(SELECT value FROM json_each(?))", [json.dumps(numbers)]))


def _this_month_status(query: Any, month: str) -> tuple[Any, Any]:
    """``query`` (on households) joined to their coverage rows of ``month``; and the status code expression."""
    this = Coverage.alias("this_month")
    joined = query.join(this, JOIN.LEFT_OUTER, on=((this.household == Household.number) & (this.month == month)))
    return joined.switch(Household), fn.COALESCE(this.status, STATUS_CODES[NOT_YET])


def coverage(month: str, numbers: list[str] | None = None, shown: str = "all", offset: int = 0,
             limit: int | None = None, within: Any = True) -> list[CoverageRow]:
    """Every household (or those in ``numbers``, or only those of status ``shown``; always within the
    where-clause ``within``, the account's villages) with its status this
    month: not yet first, those not reached last month first among them, then contacted by phone/WeChat,
    then visited in person.  Sorted and cut to ``offset``/``limit`` by the database: only the rows shown
    are read."""
    last = Coverage.alias("last_month")
    query, status = _this_month_status(Household.select().where(within), month)
    reached = last.status.is_null(False)
    query = (query.select(Household.number, Household.village, status, reached)
             .join(last, JOIN.LEFT_OUTER, on=((last.household == Household.number)
                                              & (last.month == previous_month(month)))))
    if numbers is not None:
        query = query.where(_among(numbers))
    if shown in STATUS_CODES:
        query = query.where(status == STATUS_CODES[shown])
    found = list(tuples(query.order_by(status, reached, Household.number).offset(offset or None).limit(limit)))
    heads = dict(tuples(Member.select(Member.household, fn.MIN(Member.name))
                        .where(Member.household.in_([number for number, *_ in found]), Member.relation == HEAD)
                        .group_by(Member.household))) if found else {}
    return [CoverageRow(number, village, heads.get(number) or "", STATUSES[state], bool(was_reached))
            for number, village, state, was_reached in found]


def coverage_counts(month: str, numbers: list[str] | None = None, within: Any = True) -> dict[str, int]:
    """How many households (or of ``numbers``; within ``within``) are not yet reached, contacted and visited in
    ``month``."""
    query, status = _this_month_status(Household.select().where(within), month)
    query = query.select(status, fn.COUNT(Household.number)).group_by(status)
    if numbers is not None:
        query = query.where(_among(numbers))
    found = dict.fromkeys(STATUSES, 0)
    found.update({STATUSES[state]: count for state, count in tuples(query)})
    return found


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
    matches = Member.search ** pattern
    spelled = _spelled(text)
    if spelled:  # a typed name found by its sound too: 周兰平 finds 周兰萍
        matches |= Member.search ** f"%{spelled}%"
    by_member = Member.select(Member.household).where(matches)
    query = (Household.select(Household.number)
             .where((Household.number ** f"{text}%") | Household.number.in_(by_member))
             .order_by(Household.number).limit(limit))
    return [number for (number,) in tuples(query)]


def _spelled(text: str) -> str | None:
    """The pinyin of typed Chinese characters (first readings), or None when some character has none."""
    chars = [char for char in text if not char.isspace()]
    if not chars or not all("\u4e00" <= char <= "\u9fff" for char in chars):
        return None
    readings = dict(tuples(PinyinReading.select(PinyinReading.char, PinyinReading.reading)
                           .where(PinyinReading.char.in_(sorted(set(chars))))))
    return "".join(readings[char] for char in chars) if all(char in readings for char in chars) else None


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

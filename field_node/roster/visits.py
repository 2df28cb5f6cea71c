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

from peewee import Case, DoesNotExist, fn

from field_node.store.db import database, first_row, until_written
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


@dataclass(frozen=True)
class CoverageRow:
    number: str
    village: str
    head: str
    status: str
    reached_last_month: bool


# The landing page's two queries as fixed SQL text: peewee building them (aliases, joins, a 50-parameter IN)
# cost the station as much CPU as SQLite running them.  ``{where}`` takes only the fixed conditions below.
_HOUSEHOLDS_THIS_MONTH = """
FROM household AS h
LEFT JOIN coverage AS this_month ON this_month.household = h.number AND this_month.month = ?
{last_month}WHERE {where}"""
_LAST_MONTH = "LEFT JOIN coverage AS last_month ON last_month.household = h.number AND last_month.month = ?\n"
_STATUS = "COALESCE(this_month.status, 0)"
_IN_VILLAGES = "h.township || '/' || h.village IN (SELECT value FROM json_each(?))"
_IN_NUMBERS = "h.number IN (SELECT value FROM json_each(?))"  # a search's up to 200 households: one parameter
_HEADS = ("SELECT household, MIN(name) FROM member WHERE relation = ? "
          "AND household IN (SELECT value FROM json_each(?)) GROUP BY household")


def _households_where(month: str, numbers: tuple[str, ...] | None, villages: frozenset[str] | None,
                      shown: str = "all", last_month: bool = False) -> tuple[str, list[Any]]:
    """The FROM and WHERE of the households of the list (joined to last month's status too when
    ``last_month``), and their parameters."""
    conditions: list[str] = ["1"]
    parameters: list[Any] = [month, *([previous_month(month)] if last_month else [])]
    if villages is not None:
        conditions.append(_IN_VILLAGES)
        parameters.append(json.dumps(sorted(villages)))
    if numbers is not None:
        conditions.append(_IN_NUMBERS)
        parameters.append(json.dumps(list(numbers)))
    if shown in STATUS_CODES:
        conditions.append(f"{_STATUS} = ?")
        parameters.append(STATUS_CODES[shown])
    return (_HOUSEHOLDS_THIS_MONTH.format(last_month=_LAST_MONTH if last_month else "",
                                          where=" AND ".join(conditions)), parameters)


def coverage(month: str, numbers: list[str] | None = None, shown: str = "all", offset: int = 0,
             limit: int | None = None, villages: frozenset[str] | None = None) -> list[CoverageRow]:
    """Every household (or those in ``numbers``, or only those of status ``shown``; always within
    ``villages``, the account's 乡镇/村 labels, when given) with its status this
    month: not yet first, those not reached last month first among them, then contacted by phone/WeChat,
    then visited in person.  Sorted and cut to ``offset``/``limit`` by the database: only the rows shown
    are read."""
    return list(_coverage(month, None if numbers is None else tuple(numbers), shown, offset, limit, villages))


@until_written()
def _coverage(month: str, numbers: tuple[str, ...] | None, shown: str, offset: int, limit: int | None,
              villages: frozenset[str] | None) -> tuple[CoverageRow, ...]:
    where, parameters = _households_where(month, numbers, villages, shown, last_month=True)
    sql = (f"SELECT h.number, h.village, {_STATUS}, last_month.status IS NOT NULL {where} "
           f"ORDER BY 3, 4, h.number LIMIT ? OFFSET ?")
    found = database.execute_sql(sql, [*parameters, -1 if limit is None else limit, offset or 0]).fetchall()
    heads = dict(database.execute_sql(_HEADS, (HEAD, json.dumps([row[0] for row in found]))).fetchall()
                 ) if found else {}
    return tuple(CoverageRow(number, village, heads.get(number) or "", STATUSES[state], bool(was_reached))
                 for number, village, state, was_reached in found)


def coverage_counts(month: str, numbers: list[str] | None = None,
                    villages: frozenset[str] | None = None) -> dict[str, int]:
    """How many households (or of ``numbers``; within ``villages`` when given) are not yet reached, contacted
    and visited in ``month``."""
    return dict(_coverage_counts(month, None if numbers is None else tuple(numbers), villages))


@until_written()
def _coverage_counts(month: str, numbers: tuple[str, ...] | None,
                     villages: frozenset[str] | None) -> dict[str, int]:
    where, parameters = _households_where(month, numbers, villages)
    found = dict.fromkeys(STATUSES, 0)
    for state, count in database.execute_sql(f"SELECT {_STATUS}, COUNT(*) {where} GROUP BY 1", parameters):
        found[STATUSES[state]] = count
    return found


def counts(rows: list[CoverageRow]) -> dict[str, int]:
    found = {VISITED: 0, CONTACTED: 0, NOT_YET: 0}
    for row in rows:
        found[row.status] += 1
    return found


def search(text: str, limit: int = 200) -> list[str]:
    """Household numbers matching a household number, a member's name, or its pinyin / initials."""
    return list(_search(text, limit))


@until_written()
def _search(text: str, limit: int) -> tuple[str, ...]:
    text = text.strip().lower()
    if not text:
        return ()
    pattern = f"%{text}%"
    matches = Member.search ** pattern
    spelled = _spelled(text)
    if spelled:  # a typed name found by its sound too: 周兰平 finds 周兰萍
        matches |= Member.search ** f"%{spelled}%"
    by_member = Member.select(Member.household).where(matches)
    query = (Household.select(Household.number)
             .where((Household.number ** f"{text}%") | Household.number.in_(by_member))
             .order_by(Household.number).limit(limit))
    return tuple(number for (number,) in tuples(query))


def _spelled(text: str) -> str | None:
    """The pinyin of typed Chinese characters (first readings), or None when some character has none."""
    chars = [char for char in text if not char.isspace()]
    if not chars or not all("\u4e00" <= char <= "\u9fff" for char in chars):
        return None
    readings = dict(tuples(PinyinReading.select(PinyinReading.char, PinyinReading.reading)
                           .where(PinyinReading.char.in_(sorted(set(chars))))))
    return "".join(readings[char] for char in chars) if all(char in readings for char in chars) else None


# A household's effective visits (as ``_effective``), as fixed statements: the household page and the visit form
# read them on every view.
_EFFECTIVE_OF = ("SELECT visit.* FROM visit JOIN record ON record.seq = visit.seq "
                 "WHERE visit.superseded_by IS NULL AND record.status != ? AND visit.household = ?")


def history(number: str) -> list[Visit]:
    """Every visit row of a household, newest first (corrected and rejected ones included)."""
    return list(Visit.raw("SELECT visit.*, record.status, record.error_message FROM visit "
                          "JOIN record ON record.seq = visit.seq WHERE visit.household = ? "
                          "ORDER BY visit.month DESC, visit.seq DESC", number))


def latest(number: str, before: str | None = None) -> Visit | None:
    """The effective visit of the latest month (before ``before`` when given)."""
    if before:
        return first_row(Visit, f"{_EFFECTIVE_OF} AND visit.month < ? ORDER BY visit.month DESC, visit.seq DESC "
                                "LIMIT 1", REJECTED, number, before)
    return first_row(Visit, f"{_EFFECTIVE_OF} ORDER BY visit.month DESC, visit.seq DESC LIMIT 1", REJECTED, number)


def monthly_net(number: str, months: list[str]) -> dict[str, int]:
    """Net income (four sources less expenses) per month, from each month's latest effective visit."""
    found: dict[str, int] = {}
    for visit in Visit.raw(f"{_EFFECTIVE_OF} AND visit.month IN (SELECT value FROM json_each(?)) ORDER BY visit.seq",
                           REJECTED, number, json.dumps(months)):
        found[visit.month] = visit.net()
    return found


def body_of(seq: int) -> dict[str, Any]:
    """The signed body of a record, exactly as it was signed."""
    row = database.execute_sql("SELECT content FROM record WHERE seq = ?", (seq,)).fetchone()
    if row is None:
        raise DoesNotExist(f"no record {seq}")
    return json.loads(bytes(row[0]))["body"]


def record_hash(seq: int) -> str:
    return bytes(Record.get_by_id(seq).hash).hex()

"""What the city's page shows (docs/upward.md): which counties reported a month and which are late against the
REPORT_DAY of the month after, the city-wide tables assembled from the counties' figures, and the checks only the
city can make (a person registered in two counties, a labourer counted as transferred in two, a station's chain
with records a county did not send).  Reads only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from peewee import fn

from hub.store.models import Alarm, Node, UpwardForwarded, UpwardMonth, UpwardPerson, UpwardStation, UpwardTransferred
from hub.upward import chain
from shared.months import add_months, parse_month
from shared.rows import tuples
from shared.schemas import WORK_PLACES

ON_TIME, LATE_REPORT, OVERDUE, NOT_DUE = "按时上报", "逾期上报", "未上报（已逾期）", "未上报（未到截止日）"


def deadline(month: str, report_day: int) -> date:
    """The last day a county may report ``month`` on time: the report day of the month after."""
    year, number = parse_month(add_months(month, 1))
    return date(year, number, report_day)


@dataclass(frozen=True)
class CountyReport:
    name: str
    status: str
    received_at: datetime | None  # when the month first arrived (UTC)
    forwarded: int
    alarms: int

    @property
    def late(self) -> bool:
        return self.status in (LATE_REPORT, OVERDUE)


def _local_day(moment: datetime, zone: str) -> date:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()


def counties() -> list[Node]:
    return list(Node.select().where(Node.level == "county").order_by(Node.name))


def reports(month: str, today: date, report_day: int, zone: str) -> list[CountyReport]:
    """Each enrolled county's standing for ``month`` on ``today`` (county time)."""
    due = deadline(month, report_day)
    arrived = dict(tuples(UpwardMonth.select(UpwardMonth.county, UpwardMonth.first_received_at)
                          .where(UpwardMonth.month == month)))
    forwarded = dict(tuples(UpwardForwarded.select(UpwardForwarded.county, fn.COUNT(UpwardForwarded.id))
                            .where(UpwardForwarded.month == month).group_by(UpwardForwarded.county)))
    alarms = dict(tuples(Alarm.select(Alarm.node, fn.COUNT(Alarm.id)).where(Alarm.resolved_at.is_null())
                         .group_by(Alarm.node)))
    found = []
    for county in counties():
        received = arrived.get(county.id)
        if received is not None:
            status = ON_TIME if _local_day(received, zone) <= due else LATE_REPORT
        else:
            status = OVERDUE if today > due else NOT_DUE
        found.append(CountyReport(county.name, status, received, forwarded.get(county.id, 0),
                                  alarms.get(county.id, 0)))
    return found


def untransferred(month: str) -> dict[str, Any]:
    """The city-wide 未转移就业 table: per county, per labourer type, as the counties' figures give them."""
    types: list[str] = []
    rows: dict[str, dict[str, int]] = {}
    query = (UpwardMonth.select(Node.name, UpwardMonth.figures).join(Node).where(UpwardMonth.month == month)
             .order_by(Node.name))
    for name, figures in tuples(query):
        by_type = rows.setdefault(name, {})
        for row in json.loads(figures)["untransferred"]:
            if row["type"] not in types:
                types.append(row["type"])
            by_type[row["type"]] = by_type.get(row["type"], 0) + row["count"]
    table = [(name, [by_type.get(kind, 0) for kind in types]) for name, by_type in rows.items()]
    total = [sum(values[i] for _, values in table) for i in range(len(types))]
    return {"types": types, "rows": table, "total": total}


@dataclass(frozen=True)
class CrossCounty:
    """One person registered in more than one county: a short code of the keyed hash (never an ID number), and
    each county's household."""

    code: str
    places: list[tuple[str, str]]  # (county, household number)


def registered_twice(limit: int = 500) -> list[CrossCounty]:
    held = UpwardPerson.withdrawn == False  # noqa: E712 (SQL)
    twice = (UpwardPerson.select(UpwardPerson.person).where(held).group_by(UpwardPerson.person)
             .having(fn.COUNT(UpwardPerson.county.distinct()) > 1).order_by(UpwardPerson.person).limit(limit))
    places: dict[str, list[tuple[str, str]]] = {}
    query = (UpwardPerson.select(UpwardPerson.person, Node.name, UpwardPerson.household).join(Node)
             .where(UpwardPerson.person.in_(twice), held).order_by(UpwardPerson.person, Node.name))
    for person, county, household in tuples(query):
        places.setdefault(person, []).append((county, household))
    return [CrossCounty(person[:10], found) for person, found in places.items()]


def forged_alarms() -> list[Alarm]:
    return list(Alarm.select(Alarm, Node).join(Node).where(Node.level == "county", Alarm.resolved_at.is_null())
                .order_by(Alarm.created_at.desc()).limit(100))


def transferred_twice(month: str, limit: int = 500) -> list[CrossCounty]:
    """Labourers two or more counties count as in transferred employment in ``month``: each county with its place
    of work (县内, 省内县外, 省外) and, where its roster lists the person, the household."""
    counted = UpwardTransferred.withdrawn == False  # noqa: E712 (SQL)
    twice = (UpwardTransferred.select(UpwardTransferred.person)
             .where(UpwardTransferred.month == month, counted).group_by(UpwardTransferred.person)
             .having(fn.COUNT(UpwardTransferred.county.distinct()) > 1).order_by(UpwardTransferred.person)
             .limit(limit))
    query = (UpwardTransferred.select(UpwardTransferred.person, UpwardTransferred.county, Node.name,
                                      UpwardTransferred.place).join(Node)
             .where(UpwardTransferred.month == month, counted, UpwardTransferred.person.in_(twice))
             .order_by(UpwardTransferred.person, Node.name))
    rows = list(tuples(query))
    households = dict(((county_id, person), number) for county_id, person, number in tuples(
        UpwardPerson.select(UpwardPerson.county, UpwardPerson.person, UpwardPerson.household)
        .where(UpwardPerson.person.in_([row[0] for row in rows]), UpwardPerson.withdrawn == False)))  # noqa: E712
    places: dict[str, list[tuple[str, str]]] = {}
    for person, county_id, county, place in rows:
        number = households.get((county_id, person))
        where = WORK_PLACES.get(place, place) + (f"，户 {number}" if number else "")
        places.setdefault(person, []).append((county, where))
    return [CrossCounty(person[:10], found) for person, found in places.items()]


@dataclass(frozen=True)
class ChainFault:
    """Where a station's records at the city do not form its chain: records missing in the middle (``first`` to
    ``last``, none sent, not even by hash), or a record that does not follow the one before it."""

    county: str
    station: str
    first: int
    last: int
    broken: bool  # True: seq ``first`` does not follow the record before (or is held twice); False: a gap

    @property
    def words(self) -> str:
        if self.broken:
            return f"序号 {self.first} 与前一条记录衔接不上（或同一序号收到两次）"
        span = f"序号 {self.first}" if self.first == self.last else f"序号 {self.first}–{self.last}"
        return f"{span}（共 {self.last - self.first + 1} 条）未转发，也未说明留在县里"


def chain_faults(limit: int = 200) -> list[ChainFault]:
    """Gaps and breaks in the stations' chains as the counties forwarded them (docs/upward.md).  A gap after the
    last record the city holds cannot be seen here: the county's next record closes it or shows it."""
    counties_by_id = {county.id: county.name for county in counties()}
    names = dict(((county, station), name) for county, station, name in
                 tuples(UpwardStation.select(UpwardStation.county, UpwardStation.station, UpwardStation.name)))
    found = []
    for fault in chain.faults(limit):  # kept at ingest (hub/upward/chain.py): a few rows, whatever the links held
        station_name = names.get((fault.county_id, fault.station), "")
        found.append(ChainFault(counties_by_id.get(fault.county_id, ""), f"站点 {fault.station}" +
                                (f"（{station_name}）" if station_name else ""), fault.first, fault.last, fault.broken))
    return found

"""The city's side of reporting upward: checking a forwarded station record back to its station, and projecting
the four upward kinds into the city's tables.

A county's records reach these functions through the ordinary ingest (hub/sync/ingest.py): verified with the
county's upward key, chained, stored once.  What is checked here is what only the city can check — that a record
the county forwards is exactly what one of its stations signed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from peewee import EXCLUDED, fn

from hub.store import partitions
from hub.store.models import (
    Node,
    Record,
    UpwardForwarded,
    UpwardKept,
    UpwardMonth,
    UpwardPerson,
    UpwardStation,
    UpwardTransferred,
)
from shared import keys
from shared.errors import ErrorCode
from shared.kinds import BODY_SCHEMAS
from shared.records import envelope_problem, record_hash, signed_in_plain, verified_hash
from shared.rows import tuples
from shared.upward import (
    ABOVE_STATION_KINDS,
    COUNTY_MONTH,
    COUNTY_PERSONS,
    COUNTY_TRANSFERRED,
    COUNTY_WITHDRAWN,
    ROSTER,
    SIGNER_KINDS,
    STATION_KEPT,
    STATION_KEYS,
    STATION_RECORD,
)

STATION_KINDS = set(BODY_SCHEMAS) - ABOVE_STATION_KINDS
Problem = tuple[ErrorCode, dict[str, Any]]


@dataclass(frozen=True)
class StationKey:
    public_key: Ed25519PublicKey
    revoked: bool
    held: int


@dataclass(frozen=True)
class Projected:
    """An accepted upward record: its row id, its signer (the county) and its body as the schema loaded it."""

    record_id: int
    county_id: int
    body: dict[str, Any]


@dataclass(frozen=True)
class CityAlarm:
    """An alarm a projection found (the sync layer raises it on the county's row): figures that disagree with the
    records beneath them."""

    county_id: int
    code: ErrorCode
    detail: str
    seq: int | None = None


Projection = Callable[[list[Projected], str], "list[CityAlarm] | None"]


def station_keys(county: Node) -> dict[int, StationKey]:
    """The county's stations by number, as its latest statement gives them."""
    rows = UpwardStation.select().where(UpwardStation.county == county)
    return {row.station: StationKey(keys.public_key_from_bytes(bytes(row.public_key)), row.revoked, row.held)
            for row in rows}


def _forged(reason: str, station: int, seq: int) -> Problem:
    return ErrorCode.STATION_RECORD_FORGED, {"reason": reason, "station": station, "seq": seq}


def forwarded_problem(stations: dict[int, StationKey], body: dict[str, Any]) -> Problem | None:
    """Why a forwarded record is not exactly what one of the county's stations signed, or None."""
    station, seq = body["station"], body["seq"]
    key = stations.get(station)
    if key is None:
        return _forged("the county's statement names no such station", station, seq)
    content, signature = body["content"].encode(), keys.b64decode(body["signature"])
    if verified_hash(key.public_key, bytes.fromhex(body["prev"]), content, signature) is None:
        return _forged("the station's signature does not verify", station, seq)
    code, found = envelope_problem(content, station, seq, STATION_KINDS)
    if code is not None:
        return _forged("the station's envelope: " + code, station, seq)
    if signed_in_plain(found):
        return ErrorCode.RECORD_INVALID, {"reason": "a record signed with readable ID numbers or phones never goes up"}
    if key.revoked and seq > key.held:
        return _forged("made after the station was revoked", station, seq)
    return None


def kept_problem(stations: dict[int, StationKey], body: dict[str, Any]) -> Problem | None:
    """A record the county says it keeps must belong to one of its stations, within what it held of it."""
    station, seq = body["station"], body["seq"]
    key = stations.get(station)
    if key is None:
        return _forged("the county's statement names no such station", station, seq)
    if key.revoked and seq > key.held:
        return _forged("made after the station was revoked", station, seq)
    return None


def level_problem(node: Node, kind: str) -> Problem | None:
    """Stations send station kinds, county hubs upward kinds, city hubs their counties' (SIGNER_KINDS): anything
    else is refused."""
    allowed = SIGNER_KINDS.get(node.level)  # a station sends any station kind (BODY_SCHEMAS as it is now)
    if (kind not in allowed) if allowed is not None else (kind in ABOVE_STATION_KINDS):
        return ErrorCode.WRONG_SIGNER_LEVEL, {"kind": kind, "level": node.level}
    return None


def forged_alarm(county: Node, details: dict[str, Any]) -> str:
    """The alarm a forged forwarded record raises: it names the county that sent it."""
    return (f"{county.name}转发的站点记录（站点 {details.get('station')}，序号 {details.get('seq')}）"
            "与站点签名对不上：记录被改动或伪造，已拒收。")


def _newer(existing_record_id: int | None, record_id: int) -> bool:
    return existing_record_id is None or record_id > existing_record_id


def project_station_keys(items: list[Projected], now: str) -> None:
    """The newest statement of a county replaces its stations (an older one resent after a restore changes
    nothing)."""
    for item in sorted(items, key=lambda i: i.record_id):
        held = UpwardStation.select(UpwardStation.record).where(UpwardStation.county == item.county_id).scalar()
        if not _newer(held, item.record_id):
            continue
        UpwardStation.delete().where(UpwardStation.county == item.county_id).execute()
        for station in item.body["stations"]:
            UpwardStation.create(county=item.county_id, station=station["station"], name=station["name"],
                                 public_key=keys.b64decode(station["public_key"]),
                                 villages=json.dumps(station["villages"], ensure_ascii=False),
                                 revoked=station["revoked"], held=station["held"], record=item.record_id)


def project_forwarded(items: list[Projected], now: str) -> list[CityAlarm]:
    rows = []
    for item in items:
        body = item.body
        content = body["content"].encode()
        inner = json.loads(content)
        rows.append({"county": item.county_id, "station": body["station"], "station_seq": body["seq"],
                     "kind": inner["kind"], "month": inner["body"].get("month"),
                     "hash": record_hash(bytes.fromhex(body["prev"]), content), "record": item.record_id,
                     "prev": bytes.fromhex(body["prev"]), "household": _visit_household(inner)})
    if rows:  # the same station record forwarded again (a county restored from a backup) is held once
        partitions.add_months((row["county"], row["month"]) for row in rows)  # partitioned on PostgreSQL
        UpwardForwarded.insert_many(rows).on_conflict_ignore().execute()
    return recheck_above(items)


def _visit_household(envelope: dict[str, Any]) -> str | None:
    return str(envelope["body"].get("household")) if envelope.get("kind") == "visit" else None


def project_kept(items: list[Projected], now: str) -> list[CityAlarm]:
    """Records the county keeps, by hash: links of the station's chain the city checks (overview.chain_faults)."""
    rows = [{"county": item.county_id, "station": item.body["station"], "station_seq": item.body["seq"],
             "prev": bytes.fromhex(item.body["prev"]), "hash": bytes.fromhex(item.body["hash"]),
             "reason": item.body["reason"], "kind": item.body["kind"], "month": item.body.get("month"),
             "household": item.body.get("household"), "record": item.record_id} for item in items]
    if rows:
        UpwardKept.insert_many(rows).on_conflict_ignore().execute()
    return recheck_above(items)


def project_county_month(items: list[Projected], now: str) -> list[CityAlarm]:
    """The newest figures of a county's month stand; when the month first arrived is kept (lateness).  Each
    month's figures are checked against the station records the county sent before them."""
    alarms = month_alarms(items)
    for item in sorted(items, key=lambda i: i.record_id):
        month = item.body["month"]
        figures = json.dumps(item.body, ensure_ascii=False, sort_keys=True)
        held = UpwardMonth.get_or_none(UpwardMonth.county == item.county_id, UpwardMonth.month == month)
        if held is None:
            UpwardMonth.create(county=item.county_id, month=month, figures=figures, record=item.record_id,
                               first_received_at=now, received_at=now)
        elif _newer(held.record_id, item.record_id):
            UpwardMonth.update(figures=figures, record=item.record_id, received_at=now) \
                .where(UpwardMonth.id == held.id).execute()
    return alarms


def _upward_seqs(items: list[Projected]) -> dict[int, int]:
    """Record id -> the county's upward seq: the order the county said things in."""
    return dict(tuples(Record.select(Record.id, Record.seq).where(Record.id.in_([i.record_id for i in items]))))


def _latest_word(model: Any, rows: list[dict[str, Any]], target: list[Any], changed: list[str]) -> None:
    """Upsert ``rows`` keyed on ``target``, each only over a row the county said earlier (a lower seq): the
    kinds of one batch are projected kind by kind, so an addition and a later withdrawal may come in either
    order, and the county's last word stands."""
    update = {name: getattr(EXCLUDED, name) for name in [*changed, "seq", "withdrawn"]}
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:  # one INSERT may not touch a row twice (PostgreSQL): the latest word per key only
        key = tuple(row[field.name] for field in target)
        if key not in latest or row["seq"] > latest[key]["seq"]:
            latest[key] = row
    rows = list(latest.values())
    for start in range(0, len(rows), 500):
        (model.insert_many(rows[start:start + 500])
         .on_conflict(conflict_target=target, update=update, where=(EXCLUDED.seq > model.seq)).execute())


def project_county_persons(items: list[Projected], now: str) -> None:
    seqs = _upward_seqs(items)
    rows = [{"county": item.county_id, "person": person["person"], "household": person["household"],
             "seq": seqs[item.record_id], "withdrawn": False} for item in items for person in item.body["persons"]]
    _latest_word(UpwardPerson, rows, [UpwardPerson.county, UpwardPerson.person], ["household"])


def project_county_transferred(items: list[Projected], now: str) -> None:
    seqs = _upward_seqs(items)
    rows = [{"county": item.county_id, "month": item.body["month"], "person": person["person"],
             "place": person["place"], "seq": seqs[item.record_id], "withdrawn": False}
            for item in items for person in item.body["persons"]]
    _latest_word(UpwardTransferred, rows, [UpwardTransferred.county, UpwardTransferred.month,
                                           UpwardTransferred.person], ["place"])


def project_county_withdrawn(items: list[Projected], now: str) -> None:
    """A person gone from the county's roster, or no longer counted as transferred in a month: the row stays,
    marked withdrawn (so that an earlier addition projected after it cannot bring the person back)."""
    seqs = _upward_seqs(items)
    roster = [{"county": item.county_id, "person": person, "household": "", "seq": seqs[item.record_id],
               "withdrawn": True} for item in items if item.body["of"] == ROSTER for person in item.body["persons"]]
    _latest_word(UpwardPerson, roster, [UpwardPerson.county, UpwardPerson.person], [])
    transferred = [{"county": item.county_id, "month": item.body["month"], "person": person, "place": "",
                    "seq": seqs[item.record_id], "withdrawn": True}
                   for item in items if item.body["of"] != ROSTER for person in item.body["persons"]]
    _latest_word(UpwardTransferred, transferred, [UpwardTransferred.county, UpwardTransferred.month,
                                                  UpwardTransferred.person], [])


PROJECTIONS: dict[str, Projection] = {
    STATION_KEYS: project_station_keys, STATION_RECORD: project_forwarded,
    COUNTY_MONTH: project_county_month, COUNTY_PERSONS: project_county_persons,
    STATION_KEPT: project_kept, COUNTY_TRANSFERRED: project_county_transferred,
    COUNTY_WITHDRAWN: project_county_withdrawn,
}


# --- County figures against the records beneath them ----------------------------------------------------------

def _beneath_complete(county_id: int, seq: int) -> bool:
    """Whether the city holds, projected, every record of the county's chain before ``seq``: none still in
    flight, and none waiting for its kind's turn (a batch is projected kind by kind)."""
    below = Record.select(fn.COUNT(Record.id)).where(Record.node == county_id, Record.seq < seq)
    if int(below.scalar() or 0) != seq - 1:
        return False
    station = below.where(Record.kind.in_((STATION_RECORD, STATION_KEPT)), Record.status == "accepted")
    projected = sum(int(model.select(fn.COUNT(model.id)).join(Record)
                        .where(model.county == county_id, Record.seq < seq).scalar() or 0)
                    for model in (UpwardForwarded, UpwardKept))
    return int(station.scalar() or 0) == projected


def visited_households(county_id: int, month: str, before_seq: int) -> int:
    """Households with a visit in ``month`` among the station records the county sent before its upward record
    ``before_seq``: forwarded ones (verified to the station) and visits kept in plain at the county (by the
    county's word on month and household; their hashes are checked in the station's chain)."""
    forwarded = (UpwardForwarded.select(UpwardForwarded.household).join(Record)
                 .where(UpwardForwarded.county == county_id, UpwardForwarded.kind == "visit",
                        UpwardForwarded.month == month, Record.seq < before_seq))
    kept = (UpwardKept.select(UpwardKept.household).join(Record)
            .where(UpwardKept.county == county_id, UpwardKept.kind == "visit", UpwardKept.reason == "plain",
                   UpwardKept.month == month, Record.seq < before_seq))
    households = {household for (household,) in tuples(forwarded)} | {household for (household,) in tuples(kept)}
    return len(households - {None})


def recomputed_figures(county_id: int, body: dict[str, Any], seq: int) -> list[tuple[str, int, int]]:
    """(figure, as the county signed it, as the city recomputes it) for each figure the city can recompute."""
    claimed = sum(row["visited"] for row in body["coverage"])
    return [("走访覆盖户数（全县各乡镇合计）", claimed, visited_households(county_id, body["month"], seq))]


def figures_alarm(county_id: int, body: dict[str, Any], seq: int) -> CityAlarm | None:
    """An alarm when the county's month disagrees with the station records it sent before it; None when they
    agree, or while some of those records are not yet projected (checked again when they are)."""
    if not _beneath_complete(county_id, seq):
        return None
    wrong = [(name, signed, found) for name, signed, found in recomputed_figures(county_id, body, seq)
             if signed != found]
    if not wrong:
        return None
    county = Node.get_by_id(county_id)
    said = "；".join(f"{name}：县报 {signed}，按站点记录为 {found}" for name, signed, found in wrong)
    return CityAlarm(county_id, ErrorCode.COUNTY_FIGURES_DISAGREE,
                     f"{county.name}上报的 {body['month']} 数据与其转发的站点记录不符（{said}）：请该县核实。", seq)


def month_alarms(items: list[Projected]) -> list[CityAlarm]:
    seqs = _upward_seqs(items)
    return [alarm for item in items if (alarm := figures_alarm(item.county_id, item.body, seqs[item.record_id]))]


def recheck_above(items: list[Projected]) -> list[CityAlarm]:
    """After station records are projected: the standing month figures signed after the first of them, whose
    check waited for these records."""
    alarms = []
    for county_id, first in _first_seqs(items).items():
        query = (UpwardMonth.select(UpwardMonth.figures, Record.seq).join(Record)
                 .where(UpwardMonth.county == county_id, Record.seq > first))
        for figures, seq in tuples(query):
            if (alarm := figures_alarm(county_id, json.loads(figures), seq)) is not None:
                alarms.append(alarm)
    return alarms


def _first_seqs(items: list[Projected]) -> dict[int, int]:
    seqs, first = _upward_seqs(items), dict[int, int]()
    for item in items:
        first[item.county_id] = min(first.get(item.county_id, seqs[item.record_id]), seqs[item.record_id])
    return first

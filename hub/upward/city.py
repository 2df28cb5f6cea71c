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

from hub.cleaning import above
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
from hub.upward import chain, loader, townships
from shared import keys
from shared.errors import ErrorCode
from shared.kinds import BODY_SCHEMAS
from shared.records import envelope_problem, record_hash, signed_in_plain, verified_hash
from shared.rows import tuples
from shared.upward import (
    ABOVE_STATION_KINDS,
    COUNTY_MONTH,
    COUNTY_PERSONS,
    COUNTY_RECORD,
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
    """An accepted upward record: its row id, its signer (the county), its body as the schema loaded it, and the
    county's seq (the order the county said things in: at a region, the seq inside the city's county_record, not
    the city's — a city restored from a backup forwards its counties' records again, in another order)."""

    record_id: int
    county_id: int
    body: dict[str, Any]
    seq: int


def projected(rows: list[tuple[int, int, dict[str, Any]]]) -> list[Projected]:
    """Accepted records of the counties' (record id, signer, body) as the projections take them, each with its
    seq."""
    seqs = dict(tuples(Record.select(Record.id, Record.seq).where(Record.id.in_([row[0] for row in rows]))))
    return [Projected(record_id, county_id, body, seqs[record_id]) for record_id, county_id, body in rows]


def said_seq(record_id: int) -> int:
    """The county's seq of a record this level holds and projected: its own seq at a city; at a region, the
    county's seq inside the city's ``county_record``."""
    query = Record.select(Record.kind, Record.seq, Record.content).where(Record.id == record_id)
    for kind, seq, content in tuples(query):
        return int(json.loads(bytes(content))["body"]["seq"]) if kind == COUNTY_RECORD else int(seq)
    raise LookupError(f"no record {record_id}")  # a projection names only records this level holds


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


def _newer(held_record_id: int | None, item: Projected) -> bool:
    """Whether ``item`` is the county's newer word than the record held: by the county's seq, never by the order
    records arrived in (an older one sent or forwarded again after a restore arrives after a newer one)."""
    return held_record_id is None or item.seq > said_seq(held_record_id)


def project_station_keys(items: list[Projected], now: str) -> None:
    """The newest statement of a county replaces its stations (an older one resent after a restore changes
    nothing)."""
    for item in sorted(items, key=lambda i: i.seq):
        held = UpwardStation.select(UpwardStation.record).where(UpwardStation.county == item.county_id).scalar()
        if not _newer(held, item):
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
    partitions.add_months((row["county"], row["month"]) for row in rows)  # partitioned on PostgreSQL
    _file_links(UpwardForwarded, rows)  # the same station record forwarded again (a restored county): held once
    if rows:
        filed = {record for (record,) in tuples(UpwardForwarded.select(UpwardForwarded.record)
                                                .where(UpwardForwarded.record.in_([i.record_id for i in items])))}
        loader.load_forwarded([loader.Forwarded(i.record_id, i.county_id, i.body) for i in items
                               if i.record_id in filed], now)  # into the cleaning tables, once
    return recheck_above(items)


def _file_links(model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert forwarded or kept rows, each station record once, and move the stations' chains on by the new ones
    (hub/upward/chain.py), in the ingest's transaction."""
    if not rows:
        return
    new = chain.unheld(model, [chain.Link(row["county"], row["station"], row["station_seq"], row["prev"],
                                          row["hash"]) for row in rows])
    model.insert_many(rows).on_conflict_ignore().execute()
    chain.note(new)


def _visit_household(envelope: dict[str, Any]) -> str | None:
    return str(envelope["body"].get("household")) if envelope.get("kind") == "visit" else None


def project_kept(items: list[Projected], now: str) -> list[CityAlarm]:
    """Records the county keeps, by hash: links of the station's chain the city checks (hub/upward/chain.py)."""
    rows = [{"county": item.county_id, "station": item.body["station"], "station_seq": item.body["seq"],
             "prev": bytes.fromhex(item.body["prev"]), "hash": bytes.fromhex(item.body["hash"]),
             "reason": item.body["reason"], "kind": item.body["kind"], "month": item.body.get("month"),
             "household": item.body.get("household"), "record": item.record_id} for item in items]
    _file_links(UpwardKept, rows)
    return recheck_above(items)


def project_county_month(items: list[Projected], now: str) -> list[CityAlarm]:
    """The newest figures of a county's month stand; when the month first arrived is kept (lateness).  Each
    month's figures are checked against the station records the county sent before them."""
    alarms = month_alarms(items)
    for item in sorted(items, key=lambda i: i.seq):
        month = item.body["month"]
        figures = json.dumps(item.body, ensure_ascii=False, sort_keys=True)
        held = UpwardMonth.get_or_none(UpwardMonth.county == item.county_id, UpwardMonth.month == month)
        if held is None:
            UpwardMonth.create(county=item.county_id, month=month, figures=figures, record=item.record_id,
                               first_received_at=now, received_at=now)
        elif _newer(held.record_id, item):
            UpwardMonth.update(figures=figures, record=item.record_id, received_at=now) \
                .where(UpwardMonth.id == held.id).execute()
    return alarms


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
    rows = [{"county": item.county_id, "person": person["person"], "household": person["household"],
             "seq": item.seq, "withdrawn": False} for item in items for person in item.body["persons"]]
    _latest_word(UpwardPerson, rows, [UpwardPerson.county, UpwardPerson.person], ["household"])


def project_county_transferred(items: list[Projected], now: str) -> None:
    rows = [{"county": item.county_id, "month": item.body["month"], "person": person["person"],
             "place": person["place"], "seq": item.seq, "withdrawn": False}
            for item in items for person in item.body["persons"]]
    _latest_word(UpwardTransferred, rows, [UpwardTransferred.county, UpwardTransferred.month,
                                           UpwardTransferred.person], ["place"])


def project_county_withdrawn(items: list[Projected], now: str) -> None:
    """A person gone from the county's roster, or no longer counted as transferred in a month: the row stays,
    marked withdrawn (so that an earlier addition projected after it cannot bring the person back).  A reset
    (``all``: a county restored from a backup) withdraws every person the county said anything of before it; the
    whole current set follows it, at later seqs."""
    for item in items:
        if item.body.get("all"):
            _reset(item)
    roster = [{"county": item.county_id, "person": person, "household": "", "seq": item.seq,
               "withdrawn": True} for item in items if item.body["of"] == ROSTER for person in item.body["persons"]]
    _latest_word(UpwardPerson, roster, [UpwardPerson.county, UpwardPerson.person], [])
    transferred = [{"county": item.county_id, "month": item.body["month"], "person": person, "place": "",
                    "seq": item.seq, "withdrawn": True}
                   for item in items if item.body["of"] != ROSTER for person in item.body["persons"]]
    _latest_word(UpwardTransferred, transferred, [UpwardTransferred.county, UpwardTransferred.month,
                                                  UpwardTransferred.person], [])


def _reset(item: Projected) -> None:
    """Every row the county's word before ``item`` stands for, marked withdrawn at ``item``'s seq (rows it said
    later stay: the kinds of a batch are projected kind by kind)."""
    if item.body["of"] == ROSTER:
        UpwardPerson.update(withdrawn=True, household="", seq=item.seq) \
            .where(UpwardPerson.county == item.county_id, UpwardPerson.seq < item.seq).execute()
    else:
        UpwardTransferred.update(withdrawn=True, place="", seq=item.seq) \
            .where(UpwardTransferred.county == item.county_id, UpwardTransferred.seq < item.seq).execute()


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


def township_coverage_wrong(county_id: int, body: dict[str, Any], seq: int) -> list[tuple[str, int, str]]:
    """(figure, as the county signed it, as the station records give it) for each township whose visited
    households disagree with the visits beneath (hub/upward/townships.py): fewer than the records place in it,
    or more than could lie in it.  A range where some households' township the records leave open."""
    signed: dict[str, int] = {}
    for row in body["coverage"]:
        signed[row["township"]] = signed.get(row["township"], 0) + row["visited"]
    wrong = []
    for found in townships.visited_by_township(county_id, body["month"], seq, list(signed)):
        claimed = signed.get(found.township, 0)
        if not found.placed <= claimed <= found.high:
            words = str(found.placed) if found.placed == found.high else f"{found.placed}–{found.high}"
            wrong.append((f"走访覆盖户数（{found.township}）", claimed, words))
    return wrong


def figures_alarm(county_id: int, body: dict[str, Any], seq: int) -> CityAlarm | None:
    """An alarm when the county's month disagrees with the station records it sent before it; None when they
    agree, or while some of those records are not yet projected (checked again when they are).  Its anomaly
    counts are checked against this hub's own newest cleaning run of the month whenever asked (a run over fewer
    records finds fewer, so waiting adds nothing)."""
    complete = _beneath_complete(county_id, seq)
    recomputed = recomputed_figures(county_id, body, seq) if complete else []
    wrong = [(name, signed, str(found)) for name, signed, found in recomputed if signed != found]
    wrong += township_coverage_wrong(county_id, body, seq) if complete else []
    wrong += [(name, signed, str(found)) for name, signed, found in above.under_reported(county_id, body)]
    if not wrong:
        return None
    county = Node.get_by_id(county_id)
    said = "；".join(f"{name}：县报 {signed}，按站点记录为 {found}" for name, signed, found in wrong)
    return CityAlarm(county_id, ErrorCode.COUNTY_FIGURES_DISAGREE,
                     f"{county.name}上报的 {body['month']} 数据与其转发的站点记录不符（{said}）：请该县核实。", seq)


def recheck_month(month: str) -> list[CityAlarm]:
    """After a cleaning run here for ``month``: each county's standing figures of the month checked again."""
    query = (UpwardMonth.select(UpwardMonth.county, UpwardMonth.figures, Record.seq).join(Record)
             .where(UpwardMonth.month == month).order_by(UpwardMonth.county))
    return [alarm for county_id, figures, seq in tuples(query)
            if (alarm := figures_alarm(county_id, json.loads(figures), seq)) is not None]


def month_alarms(items: list[Projected]) -> list[CityAlarm]:
    return [alarm for item in items if (alarm := figures_alarm(item.county_id, item.body, item.seq))]


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
    first = dict[int, int]()
    for item in items:
        first[item.county_id] = min(first.get(item.county_id, item.seq), item.seq)
    return first

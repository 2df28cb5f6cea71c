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

from hub.store.models import Node, UpwardForwarded, UpwardMonth, UpwardPerson, UpwardStation
from shared import keys
from shared.errors import ErrorCode
from shared.kinds import BODY_SCHEMAS
from shared.records import envelope_problem, record_hash, signed_in_plain, verified_hash
from shared.upward import ABOVE_STATION_KINDS, SIGNER_KINDS

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


def level_problem(node: Node, kind: str) -> Problem | None:
    """Stations send station kinds, county hubs upward kinds, city hubs their counties' (SIGNER_KINDS): anything
    else is refused."""
    if kind not in SIGNER_KINDS.get(node.level, STATION_KINDS):
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


def project_forwarded(items: list[Projected], now: str) -> None:
    rows = []
    for item in items:
        body = item.body
        content = body["content"].encode()
        inner = json.loads(content)
        rows.append({"county": item.county_id, "station": body["station"], "station_seq": body["seq"],
                     "kind": inner["kind"], "month": inner["body"].get("month"),
                     "hash": record_hash(bytes.fromhex(body["prev"]), content), "record": item.record_id})
    if rows:  # the same station record forwarded again (a county restored from a backup) is held once
        UpwardForwarded.insert_many(rows).on_conflict_ignore().execute()


def project_county_month(items: list[Projected], now: str) -> None:
    """The newest figures of a county's month stand; when the month first arrived is kept (lateness)."""
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


def project_county_persons(items: list[Projected], now: str) -> None:
    rows = [{"county": item.county_id, "person": person["person"], "household": person["household"]}
            for item in items for person in item.body["persons"]]
    for start in range(0, len(rows), 500):
        UpwardPerson.insert_many(rows[start:start + 500]).on_conflict_ignore().execute()


PROJECTIONS: dict[str, Callable[[list[Projected], str], None]] = {
    "station_keys": project_station_keys, "station_record": project_forwarded,
    "county_month": project_county_month, "county_persons": project_county_persons,
}

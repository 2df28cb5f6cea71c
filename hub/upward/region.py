"""The region's side of reporting upward (docs/upward.md, the region level).

A city hub forwards each county's upward records exactly as the county signed them (``county_record``), with its
own statement binding each county's upward key to the county (``county_keys``, revocations included): the pair a
county sends for its stations, one level up.  The region checks every record back to the station that made it —
the city's statement gives the county's key, the county's key verifies its record, the county's statement (itself
such a record) gives the station's key, the station's key verifies the station's record — and then files each
county record exactly as a city files what a county sends it (``city.PROJECTIONS``), under a node that names the
county at the region.  ``forwarded_envelope`` is the one check every level makes of what the level below forwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from peewee import fn

from hub.store.models import Alarm, Node, UpwardRelay
from hub.upward import city
from hub.upward.city import Problem, Projected, StationKey
from shared import keys
from shared.errors import ErrorCode
from shared.kinds import load_body
from shared.records import envelope_problem, verified_hash
from shared.upward import STATION_RECORD, UPWARD_KINDS


@dataclass(frozen=True)
class Relayed:
    """A county as its city's newest statement vouches for it, and the node the region files it under."""

    key: StationKey
    node_id: int
    name: str


class RelayView:
    """What one city's push is checked against, read once per push: its counties as its newest statement gives
    them, and each county's stations as the county's newest statement gives them."""

    def __init__(self, city_id: int):
        rows = UpwardRelay.select().where(UpwardRelay.city == city_id)
        self.counties = {row.county: Relayed(StationKey(keys.public_key_from_bytes(bytes(row.public_key)),
                                                        row.revoked, row.held), row.node_id, row.name)
                         for row in rows}
        self._stations: dict[int, dict[int, StationKey]] = {}

    def stations(self, node_id: int) -> dict[int, StationKey]:
        if node_id not in self._stations:
            self._stations[node_id] = city.station_keys(Node(id=node_id))
        return self._stations[node_id]


def forwarded_envelope(key: StationKey, signer: int, seq: int, prev_hex: str, content: bytes, signature_b64: str,
                       kinds: set[str] | frozenset[str]) -> tuple[str | None, dict[str, Any]]:
    """Whether ``content`` is exactly what the signer below signed as its record ``seq``, of one of ``kinds``,
    while its key stood: (why not, {}) or (None, the record's envelope)."""
    if verified_hash(key.public_key, bytes.fromhex(prev_hex), content, keys.b64decode(signature_b64)) is None:
        return "the signature does not verify", {}
    code, envelope = envelope_problem(content, signer, seq, set(kinds))
    if code is not None:
        return "the envelope: " + code, {}
    if key.revoked and seq > key.held:
        return "made after the signer was revoked", {}
    return None, envelope


def _city_forged(reason: str, county: int, seq: int) -> Problem:
    return ErrorCode.COUNTY_RECORD_FORGED, {"reason": reason, "county": county, "seq": seq}


def relayed_problem(view: RelayView, body: dict[str, Any]) -> Problem | None:
    """Why a record a city forwards is not exactly what one of its counties signed — or, for a station record the
    county forwarded, not exactly what the station signed — or None."""
    county, seq = body["county"], body["seq"]
    relayed = view.counties.get(county)
    if relayed is None:
        return _city_forged("the city's statement names no such county", county, seq)
    why, envelope = forwarded_envelope(relayed.key, county, seq, body["prev"], body["content"].encode(),
                                       body["signature"], UPWARD_KINDS)
    if why is not None:
        return _city_forged(why, county, seq)
    inner, errors = load_body(envelope["kind"], envelope["body"], envelope["v"])
    if inner is None:
        return ErrorCode.RECORD_INVALID, {"fields": errors, "county": county, "county_seq": seq}
    if envelope["kind"] != STATION_RECORD:
        return None
    problem = city.forwarded_problem(view.stations(relayed.node_id), inner)
    if problem is not None and problem[0] is ErrorCode.STATION_RECORD_FORGED:
        return problem[0], {**problem[1], "county": county, "county_seq": seq}
    return problem


def forgery_alarm(node: Node, problem: Problem) -> tuple[int, str] | None:
    """The alarm a forged forwarded record raises, on the signer it blames, in words naming it: the city for a
    county record that is not what the county signed; the county for a station record that is not what the
    station signed (the county's signature on it verifies, so the county made it so); or None."""
    code, details = problem
    if code is ErrorCode.COUNTY_RECORD_FORGED:
        return node.id, (f"{node.name}转发的县级记录（县编号 {details.get('county')}，序号 {details.get('seq')}）"
                         f"与该县的签名或密钥对不上：记录被{node.name}改动或伪造，已拒收。")
    if code is not ErrorCode.STATION_RECORD_FORGED:
        return None
    if "county" not in details:  # at a city: the county that sent it
        return node.id, city.forged_alarm(node, details)
    relay = UpwardRelay.get(UpwardRelay.city == node.id, UpwardRelay.county == details["county"])
    return relay.node_id, (f"{relay.name}（经{node.name}转发）的站点记录（站点 {details.get('station')}，"
                           f"序号 {details.get('seq')}）与站点签名对不上：记录被{relay.name}改动或伪造，已拒收。")


def _newest_statement(city_id: int) -> int | None:
    return UpwardRelay.select(fn.MAX(UpwardRelay.record)).where(UpwardRelay.city == city_id).scalar()


def project_county_keys(items: list[Projected], now: str, county_node: Callable[[str], int]) -> None:
    """The newest statement of a city stands (an older one resent after a restore changes nothing); a county keeps
    its node at the region across statements, made by ``county_node`` on first sight."""
    for item in sorted(items, key=lambda i: i.seq):
        held = _newest_statement(item.county_id)
        if held is not None and item.seq <= city.said_seq(held):  # by the city's seq, not the order of arrival
            continue
        city_name = Node.get_by_id(item.county_id).name
        listed = []
        for entry in item.body["counties"]:
            listed.append(entry["county"])
            values = {"name": entry["name"], "public_key": keys.b64decode(entry["public_key"]),
                      "revoked": entry["revoked"], "held": entry["held"], "record": item.record_id}
            updated = UpwardRelay.update(**values).where(UpwardRelay.city == item.county_id,
                                                        UpwardRelay.county == entry["county"]).execute()
            if not updated:
                UpwardRelay.create(city=item.county_id, county=entry["county"],
                                   node=county_node(f"{entry['name']}（{city_name}）"), **values)
        UpwardRelay.delete().where(UpwardRelay.city == item.county_id, UpwardRelay.county.not_in(listed)).execute()


def project_relayed(items: list[Projected], now: str) -> list[city.CityAlarm]:
    """File each forwarded county record as a city files what a county sends it, under the county's node here;
    in the order the city forwarded them, each run of one kind at once.  The alarms the city's checks raise
    (figures that disagree with the records) name the county."""
    nodes: dict[tuple[int, int], int] = {}
    runs: list[tuple[str, list[Projected]]] = []
    for item in sorted(items, key=lambda i: i.seq):
        where = (item.county_id, item.body["county"])
        if where not in nodes:
            nodes[where] = UpwardRelay.get(UpwardRelay.city == where[0], UpwardRelay.county == where[1]).node_id
        envelope = json.loads(item.body["content"])
        inner, _ = load_body(envelope["kind"], envelope["body"], envelope["v"])
        projected = Projected(item.record_id, nodes[where], inner or {}, item.body["seq"])  # the county's seq
        if runs and runs[-1][0] == envelope["kind"]:
            runs[-1][1].append(projected)
        else:
            runs.append((envelope["kind"], [projected]))
    alarms: list[city.CityAlarm] = []
    for kind, run in runs:
        alarms.extend(city.PROJECTIONS[kind](run, now) or [])
    return alarms


def alarms() -> list[Alarm]:
    """The open alarms the page shows at a region: those naming a city (a county record it altered) or a county
    (a station record it altered)."""
    return list(Alarm.select(Alarm, Node).join(Node).where(Node.level.in_(("city", "county")),
                                                          Alarm.resolved_at.is_null())
                .order_by(Alarm.created_at.desc()).limit(100))

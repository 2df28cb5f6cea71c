"""The loader above the county (issue 17, docs/upward.md "Cleaning above the county"): every visit a county
forwards, verified to its station, is projected into this hub's cleaning tables in the ingest transaction that
files it (``city.project_forwarded``, at a city and — through ``region.project_relayed`` — at a region), so that
``fieldsync-hub clean`` here runs the rules over the counties' real rows.

The projection is the county's own (``hub.cleaning.loading.project_visits``).  What differs above the county:

- **Places are qualified by county.**  Two counties may name their townships, villages and households alike, so
  a county's township here is ``大将镇（融安县）`` (its ``county_node_id`` the county's node, ``local_name`` the
  county's own name for it) and a household's number ``H1（融安县）``.  A visit names its household only, so the
  household's village is the forwarding station's: its village when it serves one, a village named for the
  station in its township when it serves several of one township, and in a township the loader cannot name
  (``local_name`` NULL) when its villages lie in several.  The household keeps the place it was first seen at.
- **Persons stay keys.**  A visit of record format 2 or 3 names its labourers by the county's person key, and a
  number typed at the visit is sealed to the county: the employment lines hold the key, a typed number is not
  held.  No ``person`` row is made (a visit carries no name, gender, birth date or status of its labourers).
- **A correction finds what it corrects** by the station record's hash as ``upward_forwarded`` holds it.
- **Once.**  Only records filed in ``upward_forwarded`` now are loaded: a station record forwarded again (a county
  restored from a backup) is held once and loaded once.
- **county_id** is written on the rows of a region's partitioned tables (hub/store/partitions.py): the county's
  node id here.
- **Filed before the loader** (a city or region upgraded from a release without it): ``backfill`` loads the
  forwarded visits with no visit row yet, before a cleaning run here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from peewee import ModelSelect, fn

from hub.cleaning.loading import Stored, project_visits
from hub.store import partitions
from hub.store.db import insert_rows, write_transaction
from hub.store.models import Household, Node, Record, Township, UpwardForwarded, UpwardStation, Village, Visit
from shared.kinds import load_body
from shared.rows import tuples
from shared.upward import COUNTY_RECORD

log = logging.getLogger("fieldsync.hub.upward.loader")
VISIT = "visit"


@dataclass(frozen=True)
class Forwarded:
    """A station record just filed in ``upward_forwarded``: the upward record holding it, the county, its body."""

    record_id: int
    county_id: int
    body: dict[str, Any]  # the station_record body: station, seq, prev, content, signature


def qualified(name: str, county: str) -> str:
    """A place or household number of a county, as this hub names it: ``大将镇（融安县）``."""
    return f"{name}（{county}）"


class CountyPlaces:
    """One county's townships, villages and households here, made on first sight."""

    def __init__(self, county: Node, partitioned: bool):
        self.county, self.partitioned = county, partitioned
        self._households: dict[str, int] = {}
        self._stations: dict[int, list[tuple[str, str]]] = {}
        self._village_ids: dict[int, int] = {}

    def _villages(self, station: int) -> list[tuple[str, str]]:
        """(township, village) of the station as the county's newest statement lists them (乡镇/村)."""
        if station not in self._stations:
            row = UpwardStation.get_or_none(UpwardStation.county == self.county.id, UpwardStation.station == station)
            labels = json.loads(row.villages) if row is not None else []
            self._stations[station] = [tuple(label.split("/", 1)) if "/" in label else (label, label)
                                       for label in labels]
        return self._stations[station]

    def _township(self, local: str | None) -> int:
        name = qualified(local, self.county.name) if local else qualified("乡镇未定", self.county.name)
        township = Township.get_or_none(Township.name == name)
        if township is None:
            township = Township.create(name=name, county_node=self.county.id, local_name=local)
        return int(township.id)

    def _village(self, station: int) -> int:
        """The village the station's households are placed in (made on first sight), once per station."""
        if station not in self._village_ids:
            self._village_ids[station] = self._find_village(station)
        return self._village_ids[station]

    def _find_village(self, station: int) -> int:
        villages = self._villages(station)
        townships = {township for township, _ in villages}
        station_name = f"站点{station}所辖各村"
        if len(villages) == 1:
            township_id, name = self._township(villages[0][0]), villages[0][1]
        elif len(townships) == 1:
            township_id, name = self._township(next(iter(townships))), station_name
        else:
            township_id, name = self._township(None), station_name
        village = Village.get_or_none(Village.township == township_id, Village.name == name)
        return int(village.id if village is not None else Village.create(township=township_id, name=name).id)

    def place(self, numbers: dict[str, int]) -> None:
        """Know the id of each household of ``numbers`` (its number -> the forwarding station): those held read
        in one query per 500, the others made in the station's village in one INSERT per 500 (a batch names up
        to a thousand)."""
        names = {qualified(number, self.county.name): station for number, station in numbers.items()}
        wanted = [name for name in names if name not in self._households]
        for start in range(0, len(wanted), 500):
            query = Household.select(Household.number, Household.id).where(
                Household.number.in_(wanted[start:start + 500]))
            self._households.update((name, int(household_id)) for name, household_id in tuples(query))
        rows = [{"number": name, "village": self._village(station), "household_type": "", "digest": "",
                 "change_seq": 0} for name, station in names.items() if name not in self._households]
        made = insert_rows(Household, rows, returning=("number", "id"),
                           constant={"county_id": self.county.id} if self.partitioned else None)
        self._households.update((name, int(household_id)) for name, household_id in made)

    def household(self, number: str) -> int:
        """The household's id here (known by ``place``)."""
        return self._households[qualified(number, self.county.name)]


def _named_above(county_id: int) -> Any:
    def named(item: Stored) -> ModelSelect[Any]:
        return UpwardForwarded.select(UpwardForwarded.record).where(
            UpwardForwarded.county == county_id, UpwardForwarded.hash == bytes.fromhex(item.body["corrects"]))
    return named


def visit_body(forwarded: dict[str, Any]) -> dict[str, Any] | None:
    """The visit a forwarded station record holds, as the visit schema loads it (defaults filled in), or None for
    a record of another kind — or a visit its station signed that the schema refuses (the county refuses such a
    record and keeps it by hash, so it does not come up whole; it stays filed, only not loaded)."""
    envelope = json.loads(forwarded["content"])
    if envelope.get("kind") != VISIT:
        return None
    body, _ = load_body(VISIT, envelope.get("body"), envelope.get("v", 1))
    if body is None:
        log.warning("event=forwarded_visit_not_loaded station=%s seq=%s", forwarded["station"], forwarded["seq"])
    return body


def load_forwarded(items: Iterable[Forwarded], now: str) -> int:
    """Project the visits among ``items`` (records just filed in ``upward_forwarded``) into the cleaning tables;
    return how many were loaded."""
    by_county: dict[int, list[tuple[Forwarded, dict[str, Any]]]] = {}
    for item in items:
        body = visit_body(item.body)
        if body is not None:
            by_county.setdefault(item.county_id, []).append((item, body))
    if not by_county:
        return 0
    partitioned = partitions.is_partitioned()
    for county_id, pairs in by_county.items():
        places = CountyPlaces(Node.get_by_id(county_id), partitioned)
        first_seen: dict[str, int] = {}
        for item, body in pairs:
            first_seen.setdefault(str(body["household"]), item.body["station"])  # keeps the place first seen at
        places.place(first_seen)
        stored = [Stored(item.record_id, county_id, places.household(str(body["household"])), body)
                  for item, body in pairs]
        project_visits(stored, now, named=_named_above(county_id), county_id=county_id if partitioned else None)
    return sum(len(pairs) for pairs in by_county.values())


BACKFILL_PAGE = 1000


def _forwarded_body(content: bytes) -> dict[str, Any]:
    """The station_record body inside an upward record as this hub holds it: the county's own (at a city), or
    inside the county record its city forwarded (at a region)."""
    envelope = json.loads(content)
    if envelope["kind"] == COUNTY_RECORD:
        envelope = json.loads(envelope["body"]["content"])
    return dict(envelope["body"])


def backfill(now: str, page: int = BACKFILL_PAGE) -> int:
    """Load the forwarded visits filed before this hub had the loader (no visit row holds their record), ``page``
    by ``page`` in record order, each page one transaction; return how many were loaded."""
    loaded, after = 0, 0
    while True:
        with write_transaction():
            held = Visit.select(Visit.id).where(Visit.record == UpwardForwarded.record)
            query = (UpwardForwarded.select(UpwardForwarded.record, UpwardForwarded.county, Record.content)
                     .join(Record, on=(Record.id == UpwardForwarded.record))
                     .where(UpwardForwarded.kind == VISIT, UpwardForwarded.record > after, ~fn.EXISTS(held))
                     .order_by(UpwardForwarded.record).limit(page))
            rows = list(tuples(query))
            if not rows:
                return loaded
            loaded += load_forwarded([Forwarded(record_id, county_id, _forwarded_body(bytes(content)))
                                      for record_id, county_id, content in rows], now)
            after = rows[-1][0]

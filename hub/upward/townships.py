"""Which township a visit the city holds belongs to, and so the county's coverage recomputed by township
(docs/upward.md, "County figures that disagree with the records beneath them").  Reads only.

A visit names its household number, not its village.  What places it is the station that signed it: the county
accepts a station's visit only for a household of the villages it serves, and forwards whole only what it
accepted, so the household lives in one of the villages the county's statement lists for that station (signed by
the county, held at the city: a change to it is seen, not silent).  A station serving one township places its
visits; a household visited by several stations lies in every one's townships, so the intersection may place it
too.  A household no statement places (its stations serve several townships, or a signer the statement does not
list — the county's own corrections) may belong to any of its candidates: a township's count is then a range.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hub.store.models import Record, UpwardForwarded, UpwardKept, UpwardStation
from shared.rows import tuples


@dataclass(frozen=True)
class Visited:
    """Households visited in a township in the month, as the station records place them: ``placed`` surely in it,
    up to ``placed + unplaced`` if every household that may lie in it does."""

    township: str
    placed: int
    unplaced: int

    @property
    def high(self) -> int:
        return self.placed + self.unplaced


def station_townships(county_id: int) -> dict[int, frozenset[str]]:
    """Station number -> the townships of the villages (``乡镇/村``) the county's latest statement lists for it."""
    found = {}
    for station, villages in tuples(UpwardStation.select(UpwardStation.station, UpwardStation.villages)
                                    .where(UpwardStation.county == county_id)):
        found[int(station)] = frozenset(label.split("/", 1)[0] for label in json.loads(villages) if label)
    return found


def visits(county_id: int, month: str, before_seq: int) -> list[tuple[int, str]]:
    """(station, household) of every visit in ``month`` the county sent before its upward record ``before_seq``:
    forwarded (the household as the station signed it) and kept in plain (by the county's word, its hash checked
    in the station's chain)."""
    forwarded = (UpwardForwarded.select(UpwardForwarded.station, UpwardForwarded.household).join(Record)
                 .where(UpwardForwarded.county == county_id, UpwardForwarded.kind == "visit",
                        UpwardForwarded.month == month, Record.seq < before_seq))
    kept = (UpwardKept.select(UpwardKept.station, UpwardKept.household).join(Record)
            .where(UpwardKept.county == county_id, UpwardKept.kind == "visit", UpwardKept.reason == "plain",
                   UpwardKept.month == month, Record.seq < before_seq))
    return [(int(station), household) for query in (forwarded, kept) for station, household in tuples(query)
            if household is not None]


def visited_by_township(county_id: int, month: str, before_seq: int, named: list[str]) -> list[Visited]:
    """Per township — those ``named`` (the county's figures) and any the records place a household in — the
    households visited in ``month``, placed by the stations that visited them."""
    serves = station_townships(county_id)
    candidates: dict[str, frozenset[str] | None] = {}  # household -> townships it may lie in; None: unknown
    for station, household in visits(county_id, month, before_seq):
        townships = serves.get(station) or None  # a signer the statement lists with no village places nothing
        if townships is None:
            candidates.setdefault(household, None)
            continue
        held = candidates.get(household)
        both = townships & held if held else frozenset()
        candidates[household] = both or (townships | held if held else townships)
    placed: dict[str, int] = {}
    unplaced: dict[str, int] = {}
    anywhere = 0
    for townships in candidates.values():
        if townships is None:
            anywhere += 1
        elif len(townships) == 1:
            (township,) = townships
            placed[township] = placed.get(township, 0) + 1
        else:
            for township in townships:
                unplaced[township] = unplaced.get(township, 0) + 1
    order = list(dict.fromkeys([*named, *sorted(placed), *sorted(unplaced)]))
    return [Visited(township, placed.get(township, 0), unplaced.get(township, 0) + anywhere) for township in order]

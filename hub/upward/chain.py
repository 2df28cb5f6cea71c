"""Each station's chain as the city holds it, kept by the ingest (docs/upward.md, "Chain checking"; hub migration
0031).  Owns ``upward_chain`` and ``upward_chain_fault``.

Every station record a county holds reaches the city whole (``upward_forwarded``) or by hash (``upward_kept``);
each is a link: its seq, its ``prev`` and its hash.  When links are filed, in the same transaction, the station's
state moves on: the highest seq held, the contiguous head (every seq from 1 to it held) and its hash, the gaps
below the highest (a range none of whose seqs is held: it disappears when filled, whatever the order records
arrive in) and the breaks (a seq held twice — whole and by hash — or whose ``prev`` is not the hash of a record
held at the seq before: a break stays).  The pages read these rows, never the links.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hub.store.models import UpwardChain, UpwardChainFault, UpwardForwarded, UpwardKept
from shared.rows import tuples

LINK_MODELS = (UpwardForwarded, UpwardKept)


@dataclass(frozen=True)
class Link:
    county_id: int
    station: int
    seq: int
    prev: bytes | None  # None on records forwarded before hub migration 0027 (never a break)
    hash: bytes


def unheld(model: Any, links: list[Link]) -> list[Link]:
    """The links of ``links`` that ``model`` (upward_forwarded or upward_kept) does not hold yet, each once: the
    same record filed again (a county restored from a backup) moves nothing."""
    found: list[Link] = []
    for (county_id, station), group in _by_station(links).items():
        held = _held_seqs(model, county_id, station, {link.seq for link in group})
        for link in group:
            if link.seq not in held:
                held.add(link.seq)
                found.append(link)
    return found


def note(links: list[Link]) -> None:
    """Move each station's state on by ``links``, new links already filed in their table (see ``unheld``)."""
    for (county_id, station), group in _by_station(links).items():
        _note_station(county_id, station, sorted({link.seq for link in group}))


def _by_station(links: Iterable[Link]) -> dict[tuple[int, int], list[Link]]:
    grouped: dict[tuple[int, int], list[Link]] = {}
    for link in links:
        grouped.setdefault((link.county_id, link.station), []).append(link)
    return grouped


def _held_seqs(model: Any, county_id: int, station: int, seqs: set[int]) -> set[int]:
    found: set[int] = set()
    ordered = sorted(seqs)
    for start in range(0, len(ordered), 500):
        query = model.select(model.station_seq).where(model.county == county_id, model.station == station,
                                                      model.station_seq.in_(ordered[start:start + 500]))
        found |= {int(seq) for (seq,) in tuples(query)}
    return found


def _copies(county_id: int, station: int, seqs: set[int]) -> dict[int, list[tuple[bytes | None, bytes]]]:
    """Seq -> (prev, hash) of every link held at it, whole or by hash."""
    found: dict[int, list[tuple[bytes | None, bytes]]] = {}
    ordered = sorted(seqs)
    for model in LINK_MODELS:
        for start in range(0, len(ordered), 500):
            query = model.select(model.station_seq, model.prev, model.hash).where(
                model.county == county_id, model.station == station, model.station_seq.in_(ordered[start:start + 500]))
            for seq, prev, hash_ in tuples(query):
                found.setdefault(int(seq), []).append((bytes(prev) if prev is not None else None, bytes(hash_)))
    return found


def _note_station(county_id: int, station: int, seqs: list[int]) -> None:
    state = UpwardChain.get_or_none(UpwardChain.county == county_id, UpwardChain.station == station)
    top = int(state.top_seq) if state is not None else 0
    gap_rows = _gaps(county_id, station).where(UpwardChainFault.first_seq <= seqs[-1],
                                               UpwardChainFault.last_seq >= seqs[0])
    old_gaps = {int(first): int(last) for first, last in tuples(gap_rows)}  # only those these seqs may touch
    gaps, firsts = dict(old_gaps), sorted(old_gaps)
    for seq in seqs:  # ascending: a seq above the highest opens a gap below it, one inside a gap splits it
        if seq > top:
            if seq > top + 1:
                gaps[top + 1] = seq - 1
                firsts.append(top + 1)
            top = seq
            continue
        at = bisect.bisect_right(firsts, seq) - 1
        if at >= 0 and seq <= gaps[firsts[at]]:
            first = firsts.pop(at)
            last = gaps.pop(first)
            if seq + 1 <= last:
                gaps[seq + 1] = last
                firsts.insert(at, seq + 1)
            if first <= seq - 1:
                gaps[first] = seq - 1
                firsts.insert(at, first)
    copies = _copies(county_id, station, {near for seq in seqs for near in (seq - 1, seq, seq + 1)})
    breaks = set()
    for seq in seqs:
        if len(copies.get(seq, [])) > 1:
            breaks.add(seq)
        for later in (seq, seq + 1):
            if any(prev is not None and prev != before for prev, _ in copies.get(later, [])
                   for _, before in copies.get(later - 1, [])):
                breaks.add(later)
    _write(county_id, station, state, top, old_gaps, gaps, breaks)


def _gaps(county_id: int, station: int) -> Any:
    return UpwardChainFault.select(UpwardChainFault.first_seq, UpwardChainFault.last_seq).where(
        UpwardChainFault.county == county_id, UpwardChainFault.station == station,
        UpwardChainFault.broken == False)  # noqa: E712 (SQL)


def _write(county_id: int, station: int, state: UpwardChain | None, top: int, old_gaps: dict[int, int],
           gaps: dict[int, int], breaks: set[int]) -> None:
    stale = [first for first, last in old_gaps.items() if gaps.get(first) != last]
    if stale:
        UpwardChainFault.delete().where(UpwardChainFault.county == county_id, UpwardChainFault.station == station,
                                        UpwardChainFault.broken == False,  # noqa: E712 (SQL)
                                        UpwardChainFault.first_seq.in_(stale)).execute()
    rows = [{"county": county_id, "station": station, "first_seq": first, "last_seq": last, "broken": False}
            for first, last in gaps.items() if old_gaps.get(first) != last]
    rows += [{"county": county_id, "station": station, "first_seq": seq, "last_seq": seq, "broken": True}
             for seq in sorted(breaks)]
    if rows:  # a break found again is held once
        UpwardChainFault.insert_many(rows).on_conflict_ignore().execute()
    lowest = _gaps(county_id, station).order_by(UpwardChainFault.first_seq).first()
    head = int(lowest.first_seq) - 1 if lowest is not None else top
    if state is None:
        UpwardChain.create(county=county_id, station=station, head_seq=head, top_seq=top,
                           head_hash=_hash_at(county_id, station, head) if head else None)
    elif head != state.head_seq or top != state.top_seq:
        head_hash = bytes(state.head_hash) if head == state.head_seq and state.head_hash is not None else (
            _hash_at(county_id, station, head) if head else None)
        UpwardChain.update(head_seq=head, head_hash=head_hash, top_seq=top).where(UpwardChain.id == state.id) \
            .execute()


def _hash_at(county_id: int, station: int, seq: int) -> bytes | None:
    """The hash held at ``seq``: the record forwarded whole, else the county's word for one kept."""
    for model in LINK_MODELS:
        found = model.select(model.hash).where(model.county == county_id, model.station == station,
                                               model.station_seq == seq).scalar()
        if found is not None:
            return bytes(found)
    return None


@dataclass(frozen=True)
class Fault:
    county_id: int
    station: int
    first: int
    last: int
    broken: bool


def faults(limit: int) -> list[Fault]:
    """Gaps and breaks, by county, station and seq."""
    query = (UpwardChainFault.select(UpwardChainFault.county, UpwardChainFault.station, UpwardChainFault.first_seq,
                                     UpwardChainFault.last_seq, UpwardChainFault.broken)
             .order_by(UpwardChainFault.county, UpwardChainFault.station, UpwardChainFault.first_seq)
             .limit(limit))
    return [Fault(int(county_id), int(station), int(first), int(last), bool(broken))
            for county_id, station, first, last, broken in tuples(query)]

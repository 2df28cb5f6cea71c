"""The county's side of reporting upward: what goes up to the city, staged once into the upward outbox and signed
with the county's upward key (docs/upward.md).

Each staged record names what it stands for (``source``): a statement or a month's figures by the digest of their
body, a forwarded record by its row, a part of the roster by its digest.  Staging the same state again adds
nothing; a change (a new station, a later cleaning run) adds one new record.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from peewee import EXCLUDED, JOIN, TextField, fn

from hub import audit
from hub.county.clock import utcnow
from hub.reports import figures
from hub.store.db import database, insert_rows, write_transaction
from hub.store.models import (
    Anomaly,
    BaseModel,
    County,
    Household,
    Node,
    Person,
    Record,
    Township,
    UpwardLink,
    UpwardPersonSent,
    UpwardRecord,
    Village,
    Visit,
    VisitEmployment,
    village_ids,
)
from hub.upward.client import RESUMED
from shared import keys
from shared.errors import ErrorCode, FieldsyncError
from shared.kinds import body_errors
from shared.migrations import dialect
from shared.months import months_back
from shared.records import (
    FORMAT_VERSION,
    GENESIS_PREV,
    SealedRecord,
    canonical,
    envelope,
    signed_in_plain,
    signed_message,
)
from shared.rows import tuples
from shared.upward import (
    COUNTY_MONTH,
    COUNTY_PERSONS,
    COUNTY_TRANSFERRED,
    COUNTY_WITHDRAWN,
    PERSONS_PER_RECORD,
    REGION_KEY_BYTES,
    ROSTER,
    STATION_KEPT,
    STATION_KEYS,
    STATION_RECORD,
    TRANSFERRED,
    person_hash,
)
from shared.vocabulary import MOVED_OUT

UPWARD_KEY_FILE = "upward.key"
STAGE_PAGE = 2_000  # station records one staging transaction reads and signs (memory stays bounded)
MONTHS_SENT = 3  # the months whose figures each push-up refreshes: the current one and the two before


def upward_key(data_dir: Path) -> Ed25519PrivateKey:
    """The county's upward key (``upward.key``, 0600), made on first use; separate from the hub's own ``hub.key``."""
    path = data_dir / UPWARD_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        keys.save_private_key(keys.generate(), path)
    return keys.load_private_key(path)


def region_key(path_text: str) -> bytes | None:
    """The region person key from REGION_PERSON_KEY_FILE, or None when none is configured."""
    if not path_text:
        return None
    raw = Path(path_text).read_bytes()
    if len(raw) != REGION_KEY_BYTES:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"区域人员密钥文件应为 {REGION_KEY_BYTES} 字节，"
                             f"实际 {len(raw)} 字节：请向区级平台重新索取。", {"file": path_text})
    return raw


def link() -> UpwardLink:
    found = UpwardLink.select().first()
    if found is None:
        raise FieldsyncError(ErrorCode.NOT_ENROLLED_UP)
    return found


def save_link(city_url: str, signer_id: int, public_key: bytes, *, actor: str) -> None:
    """Keep the city's address and the county's signer number there (one city per county).  Audited."""
    with write_transaction():
        UpwardLink.delete().execute()
        UpwardLink.create(city_url=city_url.rstrip("/"), signer_id=signer_id, public_key=public_key,
                          enrolled_at=utcnow())
        audit.record(actor, "upward.enrol", f"city:{city_url}", None,
                     {"signer": signer_id, "public_key": keys.b64encode(public_key)}, "在市级平台登记")


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()[:32]


@dataclass
class Staged:
    """What one staging pass added, by kind, and the station records kept at the county (format 1)."""

    added: dict[str, int] = field(default_factory=dict)
    kept_in_plain: int = 0


class Outbox:
    """The upward chain while one staging transaction appends to it: the head is read once, the new rows written
    in one go at the end.  ``known`` (the sources of the statements, months and roster parts staged) is read only
    when asked: a page of forwarded records needs none, its keyset on the record id keeps it from staging twice."""

    FORWARDED_KINDS = frozenset({STATION_RECORD, STATION_KEPT})  # staged once by their row (a keyset), never
    # looked up among ``known``

    def __init__(self, key: Ed25519PrivateKey, signer_id: int, staged: Staged | None = None, *,
                 known: bool = True):
        self.key, self.signer_id = key, signer_id
        self.staged = staged if staged is not None else Staged()
        last = UpwardRecord.select(UpwardRecord.seq, UpwardRecord.hash).order_by(UpwardRecord.seq.desc()).first()
        self.seq: int = last.seq if last else 0
        self.prev: bytes = bytes(last.hash) if last else GENESIS_PREV
        self.known = set(UpwardRecord.select(UpwardRecord.source)
                         .where(UpwardRecord.kind.not_in(self.FORWARDED_KINDS)).scalars()) if known else set()
        self.rows: list[dict[str, Any]] = []
        self.created_at = utcnow()

    def append(self, kind: str, body: dict[str, Any], source: str) -> None:
        """Sign ``body`` as the next record of the chain, unless ``source`` is staged already."""
        if source in self.known:
            return
        problems = body_errors(kind, body)
        if problems:  # a body the city would refuse is a fault here, never sent
            raise FieldsyncError(ErrorCode.RECORD_INVALID, details={"kind": kind, "fields": problems})
        self.seq += 1
        record = self._seal(kind, body)
        self.rows.append({"seq": self.seq, "kind": kind, "source": source, "prev": self.prev, "hash": record.hash,
                          "content": record.content, "signature": record.signature, "status": "pending",
                          "created_at": self.created_at.isoformat(" ")})
        self.prev = record.hash
        self.known.add(source)
        self.staged.added[kind] = self.staged.added.get(kind, 0) + 1

    def _seal(self, kind: str, body: dict[str, Any]) -> SealedRecord:
        content = canonical_json(envelope(self.signer_id, self.seq, kind, body, self.created_at.isoformat() + "Z",
                                          FORMAT_VERSION))
        return SealedRecord(self.seq, self.prev, content, self.key.sign(signed_message(self.prev, content)))

    def write(self) -> Staged:
        insert_rows(UpwardRecord, self.rows)
        self.rows = []
        return self.staged


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of an upward record's envelope or body, by the standard library's encoder: four times
    faster than the general one (shared.records.canonical), and a county signs its stations' records by the
    hundred thousand and its roster by the million.

    For what upward bodies hold — objects with ASCII keys, lists, integers below 2**53, booleans and text without
    lone surrogates — the two agree: keys sort the same, integers print the same, and both escape only the quote,
    the backslash and the control characters, in the same forms (tests/hub/upward/test_staging.py).  Anything
    else (a float, a key beyond ASCII) goes to the general encoder."""
    if not _plain_json(value):
        return canonical(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _plain_json(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(key, str) and key.isascii() and _plain_json(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_plain_json(item) for item in value)
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return abs(value) < 2**53
    if isinstance(value, str):
        return not _SURROGATE.search(value)
    return False


_SURROGATE = re.compile("[\ud800-\udfff]")


def _stations() -> list[Node]:
    """Every signer of the county's records: its stations and the hub's own signer (a correction of a visit is the
    county's record, and verifies to the county's key)."""
    return list(Node.select().where(Node.level == "station", Node.public_key.is_null(False)).order_by(Node.id))


def _village_labels(node: Node) -> list[str]:
    query = (Village.select(Township.name, Village.name).join(Township)
             .where(Village.id.in_(village_ids(node))).order_by(Township.name, Village.name))
    return [f"{township}/{village}" for township, village in tuples(query)]


def statement() -> dict[str, Any]:
    """The county's word on its stations' keys, revocations included."""
    return {"stations": [{"station": node.id, "name": node.name,
                          "public_key": keys.b64encode(bytes(node.public_key or b"")),
                          "villages": _village_labels(node), "revoked": node.revoked_at is not None,
                          "held": node.hwm if node.revoked_at else 0} for node in _stations()]}


def _forwarded_source(record_id: int) -> str:
    return f"fwd:{record_id:015d}"  # zero-padded: the largest one staged is the last record forwarded


def _last_forwarded() -> int:
    """The county record id of the last station record staged, forwarded or kept by hash (the keyset the next page
    starts after)."""
    last = 0
    for kind in (STATION_RECORD, STATION_KEPT):
        source = UpwardRecord.select(fn.MAX(UpwardRecord.source)).where(UpwardRecord.kind == kind).scalar()
        last = max(last, int(source.split(":")[1]) if source else 0)
    return last


def _stage_forwarded_page(outbox: Outbox, stations: list[int], after: int, page: int) -> int | None:
    """Stage the next ``page`` station records after county record ``after`` into ``outbox``: each accepted one
    signed with no readable number forwarded as its station signed it, each other one (signed in plain, or refused
    here) by its hash and chain link (kept_body); the last record id read, or None when there are none left."""
    query = (Record.select(Record.id, Record.node, Record.seq, Record.prev, Record.hash, Record.kind, Record.status,
                           Record.content, Record.signature)
             .where(Record.id > after, Record.node.in_(stations)).order_by(Record.id).limit(page))
    last = None
    for record_id, station, seq, prev, hash_, kind, status, content, signature in tuples(query):
        last = record_id
        kept = kept_body(station, seq, bytes(prev), bytes(hash_), kind, status == "accepted", bytes(content))
        if kept is not None:
            outbox.staged.kept_in_plain += kept["reason"] == "plain"  # plain ID numbers stay here (docs/upward.md)
            outbox.append(STATION_KEPT, kept, _kept_source(record_id))
            continue
        body = {"station": station, "seq": seq, "prev": bytes(prev).hex(), "content": bytes(content).decode(),
                "signature": keys.b64encode(bytes(signature))}
        outbox.append(STATION_RECORD, body, _forwarded_source(record_id))
    return last


def _stage_station_records(outbox: Outbox, after: int, page: int) -> None:
    """Every station record after ``after`` into ``outbox``, page by page (one transaction: the caller's)."""
    stations = [node.id for node in _stations()]
    next_after: int | None = after
    while next_after is not None:
        next_after = _stage_forwarded_page(outbox, stations, next_after, page)


def stage_forwarded(key: Ed25519PrivateKey, signer_id: int, staged: Staged, page: int = STAGE_PAGE) -> None:
    """Stage the station records not yet staged, ``page`` by ``page``, each page one transaction that reads the
    chain's head, signs after it and commits: memory stays bounded by a page, and a staging killed midway keeps
    the pages it committed; the next pass continues after the last one (nothing lost, nothing staged twice)."""
    stations = [node.id for node in _stations()]
    after: int | None = _last_forwarded()
    while after is not None:
        with write_transaction():
            outbox = Outbox(key, signer_id, staged, known=False)
            after = _stage_forwarded_page(outbox, stations, after, page)
            outbox.write()


def _stage_month(outbox: Outbox, month: str) -> None:
    """The month's figures, unless the city's newest for the month is the same: figures that change and change
    back (A, B, A) are sent again, since the city keeps the newest."""
    body = month_figures(month)
    prefix = f"month:{month}:{_digest(body)}"
    newest = (UpwardRecord.select(UpwardRecord.source)
              .where(UpwardRecord.kind == COUNTY_MONTH, UpwardRecord.source.startswith(f"month:{month}:"))
              .order_by(UpwardRecord.seq.desc()).first())
    if newest is None or not newest.source.startswith(prefix):
        outbox.append(COUNTY_MONTH, body, f"{prefix}:{outbox.seq + 1}")


def month_figures(month: str) -> dict[str, Any]:
    """The county's month as the city assembles it: by township."""
    townships = dict(figures.units(None))
    labour = figures.untransferred(None, month)
    covered = figures.coverage(None, [month])
    _, classes = figures.income_figures(None, months_back(month, figures.TREND_MONTHS))
    county = County.select().first()
    return {
        "month": month, "county": county.name if county else "",
        "untransferred": [{"township": townships[unit], "type": kind, "count": count}
                          for unit, by_type in labour.items() for kind, count in by_type.items()],
        "anomalies": _anomaly_rows(townships),
        "coverage": [{"township": townships[unit], "households": row["households"], "visited": row["visited"][month]}
                     for unit, row in covered.items()],
        "income_classes": [{"township": townships[unit], "income_class": name, "households": count}
                           for unit, by_class in classes.items() for name, count in by_class.items()],
    }


def _anomaly_rows(townships: dict[int, str]) -> list[dict[str, Any]]:
    """Anomalies by rule and township, open and resolved, as they stand when the month is sent."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    query = Anomaly.select(Anomaly.township, Anomaly.rule, Anomaly.status, fn.COUNT(Anomaly.id)) \
        .group_by(Anomaly.township, Anomaly.rule, Anomaly.status)
    for township_id, rule, status, count in tuples(query):
        side = "open" if status in figures.OPEN_STATUSES else "resolved" if status in figures.RESOLVED_STATUSES else ""
        if side:
            row = counts.setdefault((townships.get(township_id, "县级"), rule), {"open": 0, "resolved": 0})
            row[side] += count
    return [{"township": township, "rule": rule, **sides} for (township, rule), sides in sorted(counts.items())]


def months_to_send(today: str) -> list[str]:
    """The months with visits among the current one and the two before."""
    recent = months_back(today, MONTHS_SENT)
    held = {month for (month,) in tuples(Visit.select(Visit.month.distinct()).where(Visit.month.in_(recent)))}
    return [month for month in recent if month in held]


# --- Records kept at the county, by hash (the station's chain stays checkable at the city) ---------------------

def _kept_source(record_id: int) -> str:
    return f"kept:{record_id:015d}"


def kept_body(station: int, seq: int, prev: bytes, hash_: bytes, kind: str, accepted: bool,
              content: bytes) -> dict[str, Any] | None:
    """The hash-only stand-in for a station record that stays here — signed in plain, or refused by the county —
    or None for a record that goes up whole.  A plain visit names its month and household: the city counts it
    when it recomputes the county's coverage."""
    envelope = json.loads(content) if accepted else None
    if envelope is not None and not signed_in_plain(envelope):
        return None
    body: dict[str, Any] = {"station": station, "seq": seq, "prev": prev.hex(), "hash": hash_.hex(),
                            "reason": "plain" if accepted else "rejected", "kind": kind[:20]}
    if envelope is not None and envelope.get("kind") == "visit":
        body |= {"month": envelope["body"]["month"], "household": str(envelope["body"]["household"])[:40]}
    return body


# --- Persons by keyed hash, sent as changes; withdrawn when gone ------------------------------------------------

PERSONS_PAGE = 10 * PERSONS_PER_RECORD  # persons one page of the roster reads, hashes and compares


def roster_pages(region: bytes, page: int = PERSONS_PAGE) -> Iterator[list[tuple[str, str]]]:
    """(keyed hash, household number) of every person on the roster (moved out: no longer on it), ``page`` at a
    time by a keyset on the person's row."""
    after = 0
    while True:
        query = (Person.select(Person.id, Person.id_number, Household.number).join(Household)
                 .where(Person.id > after, Person.id_number != "", Person.status != MOVED_OUT)
                 .order_by(Person.id).limit(page))
        rows = list(tuples(query))
        if not rows:
            return
        after = rows[-1][0]
        yield [(person_hash(region, id_number), number) for _, id_number, number in rows]


def transferred_pages(region: bytes, month: str, page: int = PERSONS_PAGE) -> Iterator[list[tuple[str, str]]]:
    """(keyed hash, place of work) of every labourer in transferred employment (转移就业: working in the county or
    away) in a current visit of ``month``, ``page`` at a time.  No number, no wage, no months worked go up."""
    after = 0
    while True:
        query = (VisitEmployment.select(VisitEmployment.id, VisitEmployment.id_number, VisitEmployment.place)
                 .join(Visit).where(VisitEmployment.id > after, Visit.is_current(), Visit.month == month,
                                    VisitEmployment.id_number != "")
                 .order_by(VisitEmployment.id).limit(page))
        rows = list(tuples(query))
        if not rows:
            return
        after = rows[-1][0]
        yield [(person_hash(region, id_number), place) for _, id_number, place in rows]


def roster_hashes(region: bytes) -> dict[str, str]:
    """Keyed hash -> household number of the whole roster (for tests and tools; staging reads it by pages)."""
    return {person: number for page in roster_pages(region) for person, number in page}


def transferred_hashes(region: bytes, month: str) -> dict[str, str]:
    """Keyed hash -> place of work of the month's transferred labourers (for tests and tools)."""
    return {person: place for page in transferred_pages(region, month) for person, place in page}


class _Current(BaseModel):
    """One topic's current set while a staging transaction compares it with ``upward_person_sent``: a temporary
    table, filled page by page, so the county's memory holds a page, never the roster (a million persons).
    Dropped at the end of the comparison; a transaction that fails takes it with it."""

    person = TextField(primary_key=True)
    value = TextField()

    class Meta:
        table_name = "upward_current"


def _fill_current(pages: Iterable[list[tuple[str, str]]]) -> None:
    _Current.drop_table(safe=True)
    _Current.create_table(safe=False, temporary=True)
    sql = 'INSERT INTO "upward_current" ("person", "value") VALUES ({}) ON CONFLICT ("person") DO UPDATE SET ' \
          '"value" = EXCLUDED."value"'
    for page in pages:
        rows = list(dict(page).items())  # the later of a person's rows, as the whole set's dict would keep
        if dialect(database) == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(database.cursor(), sql.format("%s").replace("VALUES (%s)", "VALUES %s"), rows,
                           page_size=5_000)
        else:
            database.cursor().executemany(sql.format("?, ?"), rows)


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[start:start + PERSONS_PER_RECORD] for start in range(0, len(items), PERSONS_PER_RECORD)]


def _reset_due(outbox: Outbox, of: str) -> str | None:
    """The source of the reset of ``of`` due — the county resumed its chain after the city's records (restored
    from a backup older than what the city holds: client.resume_after leaves a marker) and has not reset ``of``
    since — or None.  The marker outlives a push-up killed before the reset: it is due until it is staged."""
    marker = UpwardRecord.select(fn.MAX(UpwardRecord.seq)).where(UpwardRecord.kind == RESUMED).scalar()
    if not marker or f"reset:{of}:{marker}" in outbox.known:
        return None
    return f"reset:{of}:{marker}"


def _reset(outbox: Outbox, of: str, source: str) -> None:
    """Start ``of`` again at the city: a signed withdrawal of everything the county said of it before (``all``),
    and forget what ``upward_person_sent`` says was told (it came back with the backup, and misses what was sent
    after it) — so the changes staged next are the whole current set, at seqs after the reset, and the city's
    projection (by the county's seq) ends exactly at the county's roster.  In the caller's transaction: the
    reset, the whole set and the rebuilt ``upward_person_sent`` commit together or not at all."""
    outbox.append(COUNTY_WITHDRAWN, {"of": of, "all": True, "persons": []}, source)
    topics = UpwardPersonSent.topic == ROSTER if of == ROSTER else UpwardPersonSent.topic.startswith(f"{TRANSFERRED}:")
    UpwardPersonSent.delete().where(topics).execute()


def _stage_changes(outbox: Outbox, topic: str, pages: Iterable[list[tuple[str, str]]], kind: str,
                   value_field: str, withdrawal: dict[str, Any], extra: dict[str, Any]) -> None:
    """Send the city what changed in ``topic`` since the last push-up: the persons new or changed (``kind``), and a
    signed withdrawal of those gone.  ``upward_person_sent`` keeps what the city was told, in the same
    transaction as the outbox.  The current set (``pages``) goes into a temporary table and the database compares
    it with what was told, page by page (a keyset on the keyed hash): memory holds a page; the staged records are
    written page by page too."""
    _fill_current(pages)
    told = (UpwardPersonSent.topic == topic) & (UpwardPersonSent.person == _Current.person)
    after = ""
    while changed := list(tuples(
            _Current.select(_Current.person, _Current.value).join(UpwardPersonSent, JOIN.LEFT_OUTER, on=told)
            .where(_Current.person > after, UpwardPersonSent.id.is_null() | (UpwardPersonSent.value != _Current.value))
            .order_by(_Current.person).limit(PERSONS_PAGE))):
        after = changed[-1][0]
        for part in _chunks(changed):
            body = {**extra, "persons": [{"person": person, value_field: value} for person, value in part]}
            outbox.append(kind, body, f"{topic}:{outbox.seq + 1}")
            (UpwardPersonSent.insert_many([{"topic": topic, "person": person, "value": value}
                                           for person, value in part])
             .on_conflict(conflict_target=[UpwardPersonSent.topic, UpwardPersonSent.person],
                          update={UpwardPersonSent.value: EXCLUDED.value}).execute())
        outbox.write()
    held = _Current.select(_Current.person).where(_Current.person == UpwardPersonSent.person)
    after = ""
    while gone := list(UpwardPersonSent.select(UpwardPersonSent.person)
                       .where(UpwardPersonSent.topic == topic, UpwardPersonSent.person > after, ~fn.EXISTS(held))
                       .order_by(UpwardPersonSent.person).limit(PERSONS_PAGE).scalars()):
        after = gone[-1]
        for part in _chunks(gone):
            outbox.append(COUNTY_WITHDRAWN, {**withdrawal, "persons": part}, f"{topic}:{outbox.seq + 1}")
            UpwardPersonSent.delete().where(UpwardPersonSent.topic == topic,
                                            UpwardPersonSent.person.in_(part)).execute()
        outbox.write()
    _Current.drop_table(safe=True)


def _stage_persons(outbox: Outbox, region: bytes) -> None:
    if (source := _reset_due(outbox, ROSTER)) is not None:
        _reset(outbox, ROSTER, source)
    _stage_changes(outbox, ROSTER, roster_pages(region), COUNTY_PERSONS, "household", {"of": ROSTER}, {})


def _stage_transferred(outbox: Outbox, region: bytes, months: list[str]) -> None:
    """The months' transferred labourers, as changes.  A reset withdraws every month's at the city: each month the
    county had told the city of is then sent whole again, with the months staged now."""
    if (source := _reset_due(outbox, TRANSFERRED)) is not None:
        told = UpwardPersonSent.select(UpwardPersonSent.topic.distinct()) \
            .where(UpwardPersonSent.topic.startswith(f"{TRANSFERRED}:")).scalars()
        months = sorted({*months, *(topic.split(":", 1)[1] for topic in told)})
        _reset(outbox, TRANSFERRED, source)
    for month in months:
        _stage_changes(outbox, f"{TRANSFERRED}:{month}", transferred_pages(region, month), COUNTY_TRANSFERRED,
                       "place", {"of": TRANSFERRED, "month": month}, {"month": month})


def stage(data_dir: Path, region: bytes | None, months: list[str], page: int = STAGE_PAGE) -> Staged:
    """Add to the upward outbox what the city lacks: the statement first, then the station records (forwarded,
    or by hash those kept here; by pages, stage_forwarded), the months' figures, the roster's keyed hashes and the
    months' transferred labourers (changes only, withdrawals included).  Each step is one transaction or more,
    and each commits a whole part of the chain: a staging cut off keeps what it committed and adds the rest on
    the next pass.  The figures' transaction first stages the records that arrived meanwhile, so the city holds
    every record a figure counts before the figure (its check against the records, hub/upward/city.py)."""
    key, signer_id = upward_key(data_dir), link().signer_id
    with write_transaction():
        outbox = Outbox(key, signer_id)
        vouched = statement()
        outbox.append(STATION_KEYS, vouched, f"keys:{_digest(vouched)}")
        staged = outbox.write()
    stage_forwarded(key, signer_id, staged, page)
    with write_transaction():
        outbox = Outbox(key, signer_id, staged)
        _stage_station_records(outbox, _last_forwarded(), page)
        for month in months:
            _stage_month(outbox, month)
        if region is not None:
            _stage_persons(outbox, region)
            _stage_transferred(outbox, region, months)
        return outbox.write()

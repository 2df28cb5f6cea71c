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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from peewee import fn

from hub import audit
from hub.county.clock import utcnow
from hub.reports import figures
from hub.store.db import insert_rows, write_transaction
from hub.store.models import (
    Anomaly,
    County,
    Household,
    Node,
    Person,
    Record,
    Township,
    UpwardLink,
    UpwardRecord,
    Village,
    Visit,
    village_ids,
)
from shared import keys
from shared.errors import ErrorCode, FieldsyncError
from shared.kinds import body_errors
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
    PERSONS_PER_RECORD,
    REGION_KEY_BYTES,
    STATION_KEYS,
    STATION_RECORD,
    person_hash,
)

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

    def __init__(self, key: Ed25519PrivateKey, signer_id: int, staged: Staged | None = None, *,
                 known: bool = True):
        self.key, self.signer_id = key, signer_id
        self.staged = staged if staged is not None else Staged()
        last = UpwardRecord.select(UpwardRecord.seq, UpwardRecord.hash).order_by(UpwardRecord.seq.desc()).first()
        self.seq: int = last.seq if last else 0
        self.prev: bytes = bytes(last.hash) if last else GENESIS_PREV
        self.known = set(UpwardRecord.select(UpwardRecord.source).where(UpwardRecord.kind != STATION_RECORD)
                         .scalars()) if known else set()
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
    """The county record id of the last station record staged (the keyset the next page starts after)."""
    last = (UpwardRecord.select(fn.MAX(UpwardRecord.source)).where(UpwardRecord.kind == STATION_RECORD).scalar())
    return int(last.split(":")[1]) if last else 0


def _stage_forwarded_page(outbox: Outbox, stations: list[int], after: int, page: int) -> int | None:
    """Sign the next ``page`` accepted station records after county record ``after`` into ``outbox``; the last
    record id read, or None when there are none left."""
    query = (Record.select(Record.id, Record.node, Record.seq, Record.prev, Record.content, Record.signature)
             .where(Record.id > after, Record.node.in_(stations), Record.status == "accepted")
             .order_by(Record.id).limit(page))
    last = None
    for record_id, station, seq, prev, content, signature in tuples(query):
        last = record_id
        if signed_in_plain(json.loads(bytes(content))):
            outbox.staged.kept_in_plain += 1  # plain ID numbers: they stay at the county (docs/upward.md)
            continue
        body = {"station": station, "seq": seq, "prev": bytes(prev).hex(), "content": bytes(content).decode(),
                "signature": keys.b64encode(bytes(signature))}
        outbox.append(STATION_RECORD, body, _forwarded_source(record_id))
    return last


def stage_forwarded(key: Ed25519PrivateKey, signer_id: int, staged: Staged, page: int = STAGE_PAGE) -> None:
    """Forward the station records not yet staged, ``page`` by ``page``, each page one transaction that reads the
    chain's head, signs after it and commits: memory stays bounded by a page, and a staging killed midway keeps
    the pages it committed; the next pass continues after the last one (nothing lost, nothing staged twice)."""
    stations = [node.id for node in _stations()]
    after: int | None = _last_forwarded()
    while after is not None:
        with write_transaction():
            outbox = Outbox(key, signer_id, staged, known=False)
            after = _stage_forwarded_page(outbox, stations, after, page)
            outbox.write()


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


def _stage_persons(outbox: Outbox, region: bytes) -> None:
    query = (Person.select(Person.id_number, Household.number).join(Household)
             .where(Person.id_number != "").order_by(Household.number, Person.id))
    persons = [{"person": person_hash(region, id_number), "household": number} for id_number, number in tuples(query)]
    for start in range(0, len(persons), PERSONS_PER_RECORD):
        body = {"persons": persons[start:start + PERSONS_PER_RECORD]}
        outbox.append(COUNTY_PERSONS, body, f"persons:{_digest(body)}")


def stage(data_dir: Path, region: bytes | None, months: list[str], page: int = STAGE_PAGE) -> Staged:
    """Add to the upward outbox what the city lacks: the statement first, then the forwarded records (by pages,
    stage_forwarded), the months' figures and the roster's keyed hashes.  Each step is one transaction or more,
    and each commits a whole part of the chain: a staging cut off keeps what it committed and adds the rest on
    the next pass."""
    key, signer_id = upward_key(data_dir), link().signer_id
    with write_transaction():
        outbox = Outbox(key, signer_id)
        vouched = statement()
        outbox.append(STATION_KEYS, vouched, f"keys:{_digest(vouched)}")
        staged = outbox.write()
    stage_forwarded(key, signer_id, staged, page)
    with write_transaction():
        outbox = Outbox(key, signer_id, staged)
        for month in months:
            body = month_figures(month)
            outbox.append(COUNTY_MONTH, body, f"month:{month}:{_digest(body)}")
        if region is not None:
            _stage_persons(outbox, region)
        return outbox.write()

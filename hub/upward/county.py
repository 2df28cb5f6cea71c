"""The county's side of reporting upward: what goes up to the city, staged once into the upward outbox and signed
with the county's upward key (docs/upward.md).

Each staged record names what it stands for (``source``): a statement or a month's figures by the digest of their
body, a forwarded record by its row, a part of the roster by its digest.  Staging the same state again adds
nothing; a change (a new station, a later cleaning run) adds one new record.
"""

from __future__ import annotations

import hashlib
import json
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
from shared.records import FORMAT_VERSION, GENESIS_PREV, canonical, seal, signed_in_plain
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
    return hashlib.sha256(canonical(body)).hexdigest()[:32]


@dataclass
class Staged:
    """What one staging pass added, by kind, and the station records kept at the county (format 1)."""

    added: dict[str, int] = field(default_factory=dict)
    kept_in_plain: int = 0


class Outbox:
    """The upward chain while one staging pass appends to it: the head and the sources staged are read once, the
    new rows written in one go at the end (a county forwards its stations' records by the thousand)."""

    FORWARDED_KINDS = frozenset({STATION_RECORD})  # staged once by their row, never looked up among ``known``

    def __init__(self, key: Ed25519PrivateKey, signer_id: int):
        self.key, self.signer_id, self.staged = key, signer_id, Staged()
        last = UpwardRecord.select(UpwardRecord.seq, UpwardRecord.hash).order_by(UpwardRecord.seq.desc()).first()
        self.seq: int = last.seq if last else 0
        self.prev: bytes = bytes(last.hash) if last else GENESIS_PREV
        self.known = set(UpwardRecord.select(UpwardRecord.source).where(UpwardRecord.kind.not_in(self.FORWARDED_KINDS))
                         .scalars())
        self.rows: list[dict[str, Any]] = []

    def append(self, kind: str, body: dict[str, Any], source: str) -> None:
        """Sign ``body`` as the next record of the chain, unless ``source`` is staged already."""
        if source in self.known:
            return
        problems = body_errors(kind, body)
        if problems:  # a body the city would refuse is a fault here, never sent
            raise FieldsyncError(ErrorCode.RECORD_INVALID, details={"kind": kind, "fields": problems})
        self.seq += 1
        record = seal(self.key, self.signer_id, self.seq, self.prev, kind, body, utcnow().isoformat() + "Z",
                      FORMAT_VERSION)
        self.rows.append({"seq": self.seq, "kind": kind, "source": source, "prev": self.prev, "hash": record.hash,
                          "content": record.content, "signature": record.signature, "status": "pending",
                          "created_at": utcnow().isoformat(" ")})
        self.prev = record.hash
        self.known.add(source)
        self.staged.added[kind] = self.staged.added.get(kind, 0) + 1

    def write(self) -> Staged:
        insert_rows(UpwardRecord, self.rows)
        return self.staged


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


def _stage_forwarded(outbox: Outbox) -> None:
    last = (UpwardRecord.select(fn.MAX(UpwardRecord.source)).where(UpwardRecord.kind == STATION_RECORD).scalar())
    after = int(last.split(":")[1]) if last else 0
    stations = [node.id for node in _stations()]
    query = (Record.select(Record.id, Record.node, Record.seq, Record.prev, Record.content, Record.signature)
             .where(Record.id > after, Record.node.in_(stations), Record.status == "accepted").order_by(Record.id))
    for record_id, station, seq, prev, content, signature in tuples(query):
        if signed_in_plain(json.loads(bytes(content))):
            outbox.staged.kept_in_plain += 1  # plain ID numbers: they stay at the county (docs/upward.md)
            continue
        body = {"station": station, "seq": seq, "prev": bytes(prev).hex(), "content": bytes(content).decode(),
                "signature": keys.b64encode(bytes(signature))}
        outbox.append(STATION_RECORD, body, _forwarded_source(record_id))


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


def stage(data_dir: Path, region: bytes | None, months: list[str]) -> Staged:
    """Add to the upward outbox what the city lacks: the statement first, then the forwarded records, the months'
    figures and the roster's keyed hashes.  One transaction: a staging cut off adds nothing."""
    with write_transaction():
        outbox = Outbox(upward_key(data_dir), link().signer_id)
        vouched = statement()
        outbox.append(STATION_KEYS, vouched, f"keys:{_digest(vouched)}")
        _stage_forwarded(outbox)
        for month in months:
            body = month_figures(month)
            outbox.append(COUNTY_MONTH, body, f"month:{month}:{_digest(body)}")
        if region is not None:
            _stage_persons(outbox, region)
        return outbox.write()

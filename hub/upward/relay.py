"""The city's side of reporting up to the region (docs/upward.md, the region level): what a city hub stages into
its upward outbox — the county's staging (``county``), one level up.

A city forwards each county's upward records exactly as the county signed them (``county_record``), and vouches
for the counties' upward keys with a statement of its own (``county_keys``, revocations included), as a county
forwards its stations' records and vouches for their keys.  The city adds nothing of its own: the region files
every county's month from the county's own signed records, and checks each back to the station.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peewee import fn

from hub.store.db import write_transaction
from hub.store.models import Node, Record, UpwardRecord
from hub.upward.client import FORWARDED_STATEMENT
from hub.upward.county import Outbox, Staged, _digest, link, upward_key
from shared import keys
from shared.rows import tuples
from shared.upward import COUNTY_KEYS, COUNTY_RECORD, STATION_KEYS

SOURCE_PREFIX = "cfwd:"


class CityOutbox(Outbox):
    """The city's upward chain: its forwarded county records are staged once by their row."""

    FORWARDED_KINDS = frozenset({COUNTY_RECORD})


def _counties() -> list[Node]:
    """The county hubs enrolled at this city (a county not enrolled yet has no key to vouch for)."""
    return list(Node.select().where(Node.level == "county", Node.public_key.is_null(False)).order_by(Node.id))


def statement() -> dict[str, Any]:
    """The city's word on its counties' upward keys, revocations included."""
    return {"counties": [{"county": node.id, "name": node.name,
                          "public_key": keys.b64encode(bytes(node.public_key or b"")),
                          "revoked": node.revoked_at is not None, "held": node.hwm if node.revoked_at else 0}
                         for node in _counties()]}


def _forwarded_source(record_id: int, kind: str) -> str:
    """Zero-padded, so the largest one staged is the last record forwarded; a county's statement of its stations
    is marked so that it ends its batch (client.ends_batch)."""
    return f"{SOURCE_PREFIX}{record_id:015d}" + (FORWARDED_STATEMENT if kind == STATION_KEYS else "")


def _stage_forwarded(outbox: CityOutbox) -> None:
    """Every county record the city accepted and has not forwarded yet, in the order the city took them in."""
    last = (UpwardRecord.select(fn.MAX(UpwardRecord.source))
            .where(UpwardRecord.kind == COUNTY_RECORD, UpwardRecord.source.startswith(SOURCE_PREFIX)).scalar())
    after = int(last[len(SOURCE_PREFIX):len(SOURCE_PREFIX) + 15]) if last else 0
    counties = [node.id for node in _counties()]
    query = (Record.select(Record.id, Record.node, Record.seq, Record.kind, Record.prev, Record.content,
                           Record.signature)
             .where(Record.id > after, Record.node.in_(counties), Record.status == "accepted").order_by(Record.id))
    for record_id, county, seq, kind, prev, content, signature in tuples(query):
        body = {"county": county, "seq": seq, "prev": bytes(prev).hex(), "content": bytes(content).decode(),
                "signature": keys.b64encode(bytes(signature))}
        outbox.append(COUNTY_RECORD, body, _forwarded_source(record_id, kind))


def stage(data_dir: Path) -> Staged:
    """Add to the upward outbox what the region lacks: the statement first, then the forwarded county records.
    One transaction: a staging cut off adds nothing."""
    with write_transaction():
        outbox = CityOutbox(upward_key(data_dir), link().signer_id)
        vouched = statement()
        outbox.append(COUNTY_KEYS, vouched, f"ckeys:{_digest(vouched)}")
        _stage_forwarded(outbox)
        return outbox.write()

"""What a county hub sends up to a city hub (issue 17, docs/upward.md): the bodies of the upward record kinds,
signed by the county's upward key, and the keyed hash persons travel as.

Both sides check bodies through these schemas (shared/kinds.py): the county before it signs, the city at ingest.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from shared.protocol import SEQ_MAX
from shared.schemas import HASH_SHAPE, MONTH_SHAPE, WORK_PLACES, StrictSchema, Text, Yuan, listing, nested

STATION_KEYS, STATION_RECORD, COUNTY_MONTH, COUNTY_PERSONS = (
    "station_keys", "station_record", "county_month", "county_persons")
STATION_KEPT, COUNTY_TRANSFERRED, COUNTY_WITHDRAWN = "station_kept", "county_transferred", "county_withdrawn"
UPWARD_KINDS = frozenset({STATION_KEYS, STATION_RECORD, COUNTY_MONTH, COUNTY_PERSONS, STATION_KEPT,
                          COUNTY_TRANSFERRED, COUNTY_WITHDRAWN})
KEPT_REASONS = {"plain": "签有可读身份证号，按规定留在县里", "rejected": "县级平台已拒收"}
ROSTER, TRANSFERRED = "roster", "transferred"  # what a withdrawal takes back: a person of the roster, a month's fact
B64_KEY_SHAPE = r"^[A-Za-z0-9_-]{43}$"  # 32 bytes, base64url without padding
B64_SIGNATURE_SHAPE = r"^[A-Za-z0-9_-]{86}$"  # 64 bytes
MAX_FORWARDED_CONTENT = 150_000  # characters of one station record's content
MAX_COUNT = 100_000_000
PERSONS_PER_RECORD = 2_000
REGION_KEY_BYTES = 32


def person_hash(region_key: bytes, id_number: str) -> str:
    """A person as the city sees it: HMAC-SHA-256 of the ID number under the region person key, in hex.  Without
    the key, which no city or region hub holds, the hash cannot be turned back into a number."""
    return hmac.new(region_key, id_number.encode(), hashlib.sha256).hexdigest()


def _count() -> Yuan:
    return Yuan(low=0, high=MAX_COUNT, required=True)


class StationKeySchema(StrictSchema):
    station = Yuan(low=1, high=SEQ_MAX, required=True, metadata={"description": "the station's number at the county"})
    name = Text(required=True, max_length=80)
    public_key = Text(required=True, pattern=B64_KEY_SHAPE, metadata={"description": "Ed25519, base64url"})
    villages = listing(Text(max_length=80), required=True, metadata={"description": "乡镇/村 the station serves"})
    revoked = fields.Boolean(required=True)
    held = Yuan(low=0, high=SEQ_MAX, required=True,
                metadata={"description": "records the county held of it when revoked (0: not revoked)"})


class StationKeysSchema(StrictSchema):
    """The county's statement of its stations' keys, revocations included: the newest one stands."""

    stations = listing(nested(StationKeySchema), required=True)


class StationRecordSchema(StrictSchema):
    """One station record forwarded exactly as its station signed it."""

    station = Yuan(low=1, high=SEQ_MAX, required=True)
    seq = Yuan(low=1, high=SEQ_MAX, required=True)
    prev = Text(required=True, pattern=HASH_SHAPE, metadata={"description": "hash of the station's record before"})
    content = Text(required=True, max_length=MAX_FORWARDED_CONTENT,
                   metadata={"description": "the station's signed bytes (RFC 8785 JSON, UTF-8) as text: JSON in JSON "
                                            "compresses to less than half of base64"})
    signature = Text(required=True, pattern=B64_SIGNATURE_SHAPE)


class UntransferredRowSchema(StrictSchema):
    township = Text(required=True, max_length=80)
    type = Text(required=True, max_length=80, metadata={"description": "labourer type as the monthly table names it"})
    count = _count()


class AnomalyRowSchema(StrictSchema):
    township = Text(required=True, max_length=80)
    rule = Text(required=True, max_length=20)
    open = _count()
    resolved = _count()


class CoverageRowSchema(StrictSchema):
    township = Text(required=True, max_length=80)
    households = _count()
    visited = _count()


class IncomeClassRowSchema(StrictSchema):
    township = Text(required=True, max_length=80)
    income_class = Text(required=True, max_length=20)
    households = _count()


class CountyMonthSchema(StrictSchema):
    """A county's month: the tables the city assembles from its counties'."""

    month = Text(required=True, pattern=MONTH_SHAPE)
    county = Text(required=True, max_length=80)
    untransferred = listing(nested(UntransferredRowSchema), required=True)
    anomalies = listing(nested(AnomalyRowSchema), required=True)
    coverage = listing(nested(CoverageRowSchema), required=True)
    income_classes = listing(nested(IncomeClassRowSchema), required=True)


class PersonSchema(StrictSchema):
    person = Text(required=True, pattern=HASH_SHAPE, metadata={"description": "person_hash of the ID number"})
    household = Text(required=True, max_length=40)


class CountyPersonsSchema(StrictSchema):
    """Persons new or changed on the county's roster since its last push-up, by keyed hash only (those gone: a
    ``county_withdrawn``)."""

    persons = listing(nested(PersonSchema), required=True)


class StationKeptSchema(StrictSchema):
    """A station record that stays at the county, by its hash only: signed in plain (shared.records.signed_in_plain)
    or refused by the county.  The city cannot read it, but the station's next record names this hash as its
    ``prev`` (signed by the station), so the city checks the claim against the station's chain."""

    station = Yuan(low=1, high=SEQ_MAX, required=True)
    seq = Yuan(low=1, high=SEQ_MAX, required=True)
    prev = Text(required=True, pattern=HASH_SHAPE)
    hash = Text(required=True, pattern=HASH_SHAPE, metadata={"description": "record_hash(prev, content)"})
    reason = Text(required=True, choices=KEPT_REASONS)
    kind = Text(required=True, max_length=20, metadata={"description": "the record's kind as the county read it"})
    month = Text(pattern=MONTH_SHAPE, metadata={"description": "a visit kept in plain: its month (the county's word)"})
    household = Text(max_length=40, metadata={"description": "a visit kept in plain: its household number"})


class TransferredSchema(StrictSchema):
    person = Text(required=True, pattern=HASH_SHAPE, metadata={"description": "person_hash of the ID number"})
    place = Text(required=True, choices=WORK_PLACES, metadata={"description": "县内, 省内县外 or 省外"})


class CountyTransferredSchema(StrictSchema):
    """Labourers the county counts as in transferred employment (转移就业) in a month: by keyed hash and place of
    work only — no number, no wage, no months worked.  Sent as changes: new or changed persons here, those no
    longer counted in a ``county_withdrawn``."""

    month = Text(required=True, pattern=MONTH_SHAPE)
    persons = listing(nested(TransferredSchema), required=True)


class CountyWithdrawnSchema(StrictSchema):
    """Persons the county takes back: gone from its roster (``of`` roster), or no longer counted as transferred in
    ``month`` (``of`` transferred).  With ``all`` (a reset, after the county was restored from a backup): every
    person it said anything of before this record — the roster, or the transferred labourers of every month —
    listing none; the county then sends its whole current set after it."""

    of = Text(required=True, choices={ROSTER: "人员名册", TRANSFERRED: "转移就业"})
    month = Text(pattern=MONTH_SHAPE, metadata={"description": "for transferred: the month"})
    persons = listing(Text(pattern=HASH_SHAPE), required=True)
    all = fields.Boolean(metadata={"description": "a reset: everything of ``of`` said before this record"})

    @validates_schema
    def month_for_transferred(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("all"):
            if data.get("month") or data["persons"]:
                raise ValidationError("全部撤回时不写月份，也不列人员。", field_name="all")
        elif (data["of"] == TRANSFERRED) != bool(data.get("month")):
            raise ValidationError("撤回转移就业人员须写明月份，撤回名册人员不写月份。", field_name="month")


UPWARD_SCHEMAS = {STATION_KEYS: StationKeysSchema(), STATION_RECORD: StationRecordSchema(),
                  COUNTY_MONTH: CountyMonthSchema(), COUNTY_PERSONS: CountyPersonsSchema(),
                  STATION_KEPT: StationKeptSchema(), COUNTY_TRANSFERRED: CountyTransferredSchema(),
                  COUNTY_WITHDRAWN: CountyWithdrawnSchema()}


# One level up (issue 17, the region level): a city hub forwards its counties' upward records to the region hub
# exactly as the counties signed them, and vouches for the counties' upward keys — the same pair as station_keys /
# station_record, one level up.  ``SIGNER_KINDS`` says which kinds each level of signer sends.
COUNTY_KEYS, COUNTY_RECORD = "county_keys", "county_record"
CITY_KINDS = frozenset({COUNTY_KEYS, COUNTY_RECORD})
SIGNER_KINDS = {"county": UPWARD_KINDS, "city": CITY_KINDS}
ABOVE_STATION_KINDS = UPWARD_KINDS | CITY_KINDS
MAX_FORWARDED_SIGNED = 1_000_000  # characters of one county record's content (a part of the roster is the largest)


class SignerKeySchema(StrictSchema):
    """One signer below as the level above it vouches for it: its number there, its name, its key, revoked or
    not."""

    county = Yuan(low=1, high=SEQ_MAX, required=True,
                  metadata={"description": "the county's signer number at the city"})
    name = Text(required=True, max_length=80)
    public_key = Text(required=True, pattern=B64_KEY_SHAPE, metadata={"description": "the county's upward key"})
    revoked = fields.Boolean(required=True)
    held = Yuan(low=0, high=SEQ_MAX, required=True,
                metadata={"description": "records the city held of it when revoked (0: not revoked)"})


class CountyKeysSchema(StrictSchema):
    """The city's statement of its counties' upward keys, revocations included: the newest one stands."""

    counties = listing(nested(SignerKeySchema), required=True)


class CountyRecordSchema(StrictSchema):
    """One county upward record forwarded exactly as the county signed it (its content names its own kind)."""

    county = Yuan(low=1, high=SEQ_MAX, required=True)
    seq = Yuan(low=1, high=SEQ_MAX, required=True)
    prev = Text(required=True, pattern=HASH_SHAPE, metadata={"description": "hash of the county's record before"})
    content = Text(required=True, max_length=MAX_FORWARDED_SIGNED,
                   metadata={"description": "the county's signed bytes (RFC 8785 JSON, UTF-8) as text"})
    signature = Text(required=True, pattern=B64_SIGNATURE_SHAPE)


CITY_SCHEMAS = {COUNTY_KEYS: CountyKeysSchema(), COUNTY_RECORD: CountyRecordSchema()}

"""What a county hub sends up to a city hub (issue 17, docs/upward.md): the bodies of the four upward record kinds,
signed by the county's upward key, and the keyed hash persons travel as.

Both sides check bodies through these schemas (shared/kinds.py): the county before it signs, the city at ingest.
"""

from __future__ import annotations

import hashlib
import hmac

from marshmallow import fields

from shared.protocol import SEQ_MAX
from shared.schemas import HASH_SHAPE, MONTH_SHAPE, StrictSchema, Text, Yuan, listing, nested

STATION_KEYS, STATION_RECORD, COUNTY_MONTH, COUNTY_PERSONS = (
    "station_keys", "station_record", "county_month", "county_persons")
UPWARD_KINDS = frozenset({STATION_KEYS, STATION_RECORD, COUNTY_MONTH, COUNTY_PERSONS})
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
    """A part of the county's roster, persons by keyed hash only."""

    persons = listing(nested(PersonSchema), required=True)


UPWARD_SCHEMAS = {STATION_KEYS: StationKeysSchema(), STATION_RECORD: StationRecordSchema(),
                  COUNTY_MONTH: CountyMonthSchema(), COUNTY_PERSONS: CountyPersonsSchema()}


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

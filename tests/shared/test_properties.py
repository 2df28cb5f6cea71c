"""Property-based tests: hostile or random input never escapes as anything but a clear, typed refusal."""

from __future__ import annotations

import gzip
import json
import struct

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from shared import keys, schemas, wire
from shared.errors import ErrorCode, FieldsyncError
from shared.kinds import BODY_SCHEMAS, body_errors
from shared.protocol import SEQ_MAX
from shared.records import (
    GENESIS_PREV,
    HASH_SIZE,
    SIGNATURE_SIZE,
    SealedRecord,
    canonical,
    envelope_problem,
    seal,
    signature_valid,
)

KEY = keys.generate()
json_scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) |
                           st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)

# Valid text: any character but NUL, which every text field refuses (PostgreSQL text cannot hold it), and lone
# surrogates, which no UTF-8 body can carry (a station's form never yields one; the hub refuses them as content).
valid_text = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), min_size=1,
                     max_size=50)
visit_bodies = st.fixed_dictionaries({
    "household": valid_text.filter(lambda text: text.strip() and len(text) <= 40),
    "month": st.sampled_from(["2026-01", "2026-10", "2025-12"]),
    "date": st.sampled_from(["2026-10-01", "2026-10-31", "2026-12-15"]),
    "visitor": valid_text,
    "method": st.sampled_from(["in_person", "phone", "wechat"]),
    "income": st.fixed_dictionaries({k: st.integers(0, 10_000_000) for k in
                                     ("wage", "business", "property", "transfer", "expenses")}),
    "ack": st.fixed_dictionaries({"status": st.sampled_from(["confirmed", "disputed", "not_reached"])}),
})


@given(json_values)
def test_canonical_bytes_are_stable_and_parse_back(value):
    encoded = canonical(value)
    assert json.loads(encoded) == value
    assert canonical(json.loads(encoded)) == encoded
    assert rfc8785.dumps(json.loads(encoded)) == encoded


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(visit_bodies)
def test_valid_visits_are_accepted_and_sign_verifiably(body):
    errors = body_errors("visit", body)
    if body["date"][:7] >= body["month"]:
        assert errors is None, errors
        assert schemas.fast_load(schemas.VisitSchema(), body) == schemas.VisitSchema().load(body)  # the fast path
    record = seal(KEY, 1, 1, GENESIS_PREV, "visit", body, "t")
    assert signature_valid(KEY.public_key(), record.prev, record.content, record.signature)
    assert envelope_problem(record.content, 1, 1, BODY_SCHEMAS) == (None, json.loads(record.content))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=40)
@given(visit_bodies, st.sampled_from(["household", "visitor"]), st.integers(0, 50))
def test_a_nul_anywhere_in_a_text_field_is_refused(body, field, at):
    value = body[field]
    body = {**body, field: value[:at] + "\x00" + value[at:]}
    errors = body_errors("visit", body)
    assert errors and field in errors


@given(json_values)
def test_any_json_body_gets_errors_not_exceptions(value):
    errors = body_errors("visit", value)
    assert errors, "a random value is never a valid visit"
    json.dumps(errors, ensure_ascii=False)


def framed(first_seq: int, head: int, first_prev: bytes, frames: list[tuple[bytes, bytes]]) -> bytes:
    """A push body before gzip, as protocol.md lays it out: magic, first seq, head, first prev, then the frames."""
    parts = [wire.BATCH_MAGIC, struct.pack(">QQ", first_seq, head), first_prev]
    return b"".join(parts + [struct.pack(">I", len(content)) + content + signature for content, signature in frames])


seq_numbers = st.integers(0, 3) | st.integers(SEQ_MAX - 3, SEQ_MAX + 3) | st.integers(0, 2**64 - 1)
frame_lists = st.lists(st.tuples(st.binary(max_size=30), st.binary(min_size=SIGNATURE_SIZE, max_size=SIGNATURE_SIZE)),
                       max_size=4)
near_batches = st.builds(lambda *parts: framed(*parts[:4]) + parts[4], seq_numbers, seq_numbers,
                         st.binary(min_size=HASH_SIZE, max_size=HASH_SIZE), frame_lists,
                         st.just(b"") | st.binary(max_size=8))
BATCH_REFUSALS = {ErrorCode.BAD_BATCH, ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.SEQ_OUT_OF_RANGE}


@given(st.binary(max_size=300), near_batches)
def test_push_bodies_are_refused_with_a_batch_code_or_read_exactly(data, near):
    """A body is refused with one of the batch codes, or it is a well-formed batch read back byte for byte."""
    for body in (data, gzip.compress(data), gzip.compress(wire.BATCH_MAGIC + data), gzip.compress(near)):
        try:
            batch = wire.decode_batch(body, 10_000, 50)
        except FieldsyncError as error:
            assert error.code in BATCH_REFUSALS
            continue
        last_seq = batch.first_seq + len(batch.frames) - 1
        assert 1 <= batch.first_seq <= last_seq <= batch.head <= SEQ_MAX and len(batch.frames) <= 50
        assert framed(batch.first_seq, batch.head, batch.first_prev, batch.frames) == gzip.decompress(body)


# Up to 4 frames and a head up to 10 ahead of the last: the largest first_seq still keeps the head at SEQ_MAX.
@given(st.integers(1, SEQ_MAX - 3 - 10), st.integers(0, 10), st.binary(min_size=HASH_SIZE, max_size=HASH_SIZE),
       frame_lists.filter(bool))
def test_an_encoded_batch_decodes_to_its_records(first_seq, ahead, first_prev, frames):
    records = [SealedRecord(first_seq + i, first_prev if i == 0 else b"\x00" * HASH_SIZE, content, signature)
               for i, (content, signature) in enumerate(frames)]
    head = first_seq + len(frames) - 1 + ahead
    assert wire.decode_batch(wire.encode_batch(records, head), 10_000, 50) == wire.Batch(first_seq, head, first_prev,
                                                                                         frames)


@given(st.binary(max_size=200))
def test_random_content_never_breaks_the_envelope_check(content):
    code, details = envelope_problem(content, 1, 1, BODY_SCHEMAS)
    assert code is not None
    json.dumps(details)


# Authorization headers: random text, and headers of the right shape with random or out-of-range parts.
header_numbers = st.integers(-2, SEQ_MAX + 2).map(str) | st.text(alphabet="0123456789+-_ =,", max_size=20)
signatures = st.binary(max_size=80).map(keys.b64encode) | st.text(max_size=100)
random_headers = st.text(max_size=80) | st.builds(
    lambda node, counter, signature, extra: f"{wire.AUTH_SCHEME} node={node},counter={counter},"
                                            f"signature={signature}{extra}",
    header_numbers, header_numbers, signatures, st.sampled_from(["", ",other=1", ",node=7", ","]))
requests = st.tuples(st.sampled_from(["GET", "POST"]), st.sampled_from(["/api/v1/push", "/api/v1/roster?cursor=a"]),
                     st.integers(1, SEQ_MAX), st.integers(1, SEQ_MAX), st.binary(max_size=40))


@given(random_headers, requests)
def test_random_authorization_headers_never_authenticate(header, request):
    """Refused as UNAUTHENTICATED, or read as in-range numbers whose signature verifies no request."""
    try:
        auth = wire.parse_authorization(header)
    except FieldsyncError as error:
        assert error.code is ErrorCode.UNAUTHENTICATED
        return
    assert 1 <= auth.node_id <= SEQ_MAX and 1 <= auth.counter <= SEQ_MAX
    method, path, _, _, body = request
    assert not wire.request_signature_valid(KEY.public_key(), auth, method, path, body)


@given(requests, requests)
def test_a_signed_header_authenticates_its_own_request_and_no_other(request, other):
    method, path, node_id, counter, body = request
    auth = wire.parse_authorization(wire.authorization_header(KEY, method, path, node_id, counter, body))
    assert (auth.node_id, auth.counter) == (node_id, counter)
    assert wire.request_signature_valid(KEY.public_key(), auth, method, path, body)
    other_method, other_path, _, _, other_body = other
    same = (other_method.upper(), other_path, other_body) == (method.upper(), path, body)
    assert wire.request_signature_valid(KEY.public_key(), auth, other_method, other_path, other_body) == same
    moved = wire.RequestAuth(other[2], other[3], auth.signature)
    assert wire.request_signature_valid(KEY.public_key(), moved, method, path, body) == (
        (other[2], other[3]) == (node_id, counter))


@given(requests, st.data())
def test_a_changed_character_in_a_signed_header_is_refused_or_reads_the_same(request, data):
    """One character of a real header replaced: refused, or it still names the same node, counter and signature
    (base64's last character carries spare bits), so it authenticates that one request and nothing else."""
    method, path, node_id, counter, body = request
    header = wire.authorization_header(KEY, method, path, node_id, counter, body)
    at = data.draw(st.integers(0, len(header) - 1))
    changed = header[:at] + data.draw(st.characters().filter(lambda ch: ch != header[at])) + header[at + 1:]
    original = wire.parse_authorization(header)
    try:
        auth = wire.parse_authorization(changed)
    except FieldsyncError as error:
        assert error.code is ErrorCode.UNAUTHENTICATED
        return
    assert wire.request_signature_valid(KEY.public_key(), auth, method, path, body) == (auth == original)


@given(st.fixed_dictionaries({k: json_values for k in ("v", "node", "seq", "kind", "created_at", "body")}))
def test_random_envelopes_are_refused_with_a_code(envelope):
    code, details = envelope_problem(canonical(envelope), 1, 1, BODY_SCHEMAS)
    assert code is not None or body_errors(details["kind"], details["body"])


@given(json_values, json_values, json_values)
def test_random_kinds_and_bodies_in_a_right_envelope_are_refused_with_a_code(kind, created_at, body):
    envelope = {"v": 1, "node": 1, "seq": 1, "kind": kind, "created_at": created_at, "body": body}
    code, details = envelope_problem(canonical(envelope), 1, 1, BODY_SCHEMAS)
    assert code is not None or body_errors(details["kind"], details["body"])


FLAT_SCHEMAS = [schemas.IncomeSchema, schemas.EmploymentSchema, schemas.ChangeSchema, schemas.AcknowledgementSchema,
                schemas.ConfirmedWarningSchema]
field_values = (st.none() | st.booleans() | st.integers(-5, 10_000_001) | st.floats(allow_nan=False)
                | st.sampled_from(["", "in_person", "county", "outside", "confirmed", "birth", "450224198001010011",
                                   "2026-10-01", "广东", "x" * 60, "0" * 64]))


def assert_fast_path_agrees(schema, value) -> None:
    """The fast path never accepts what marshmallow refuses, and what it accepts loads the same."""
    fast = schemas.fast_load(schema, value)
    try:
        slow = schema.load(value)
    except ValidationError:
        assert fast is None
    else:
        assert fast is None or fast == slow


@pytest.mark.parametrize("schema_class", [*FLAT_SCHEMAS, schemas.VisitSchema])
def test_every_record_schema_takes_the_fast_path(schema_class):
    assert schemas.fast_capable(schema_class)


@pytest.mark.parametrize("schema_class", FLAT_SCHEMAS)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_path_accepts_exactly_what_marshmallow_accepts(schema_class, data):
    schema = schema_class()
    keys = list(schema.load_fields) + ["unknown"]
    assert_fast_path_agrees(schema, data.draw(st.dictionaries(st.sampled_from(keys), field_values,
                                                              max_size=len(keys))))


def test_the_fast_path_takes_valid_objects():
    income = {"wage": 1, "business": 2, "property": 0, "transfer": 3, "expenses": 4}
    assert schemas.fast_load(schemas.IncomeSchema(), income) == income
    assert schemas.fast_load(schemas.IncomeSchema(), {**income, "wage": 1.5}) is None


mutations = st.sampled_from(["drop", "none", "float", "extra", "bad_month", "late_date", "bad_job", "keep"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(visit_bodies, st.lists(st.tuples(mutations, st.sampled_from(["household", "month", "date", "income",
                                                                    "ack", "employment", "risks", "note"])),
                              max_size=3))
def test_the_fast_path_agrees_with_marshmallow_on_whole_visits(body, changes):
    body = dict(body, employment=[{"person": "450224198001010011", "place": "outside", "province": "广东",
                                   "months": 3, "wage": 3000}])
    for mutation, key in changes:
        if mutation == "drop":
            body.pop(key, None)
        elif mutation == "none":
            body[key] = None
        elif mutation == "float":
            body[key] = 1.5
        elif mutation == "extra":
            body["unexpected"] = 1
        elif mutation == "bad_month":
            body["month"] = "2026-13"
        elif mutation == "late_date":
            body["date"] = "2020-01-01"
        elif mutation == "bad_job":
            body["employment"] = [{"person": "x", "place": "moon", "months": 13, "wage": -1}]
    assert_fast_path_agrees(schemas.VisitSchema(), body)

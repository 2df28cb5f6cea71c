"""Hostile requests: whatever arrives, the reply is the JSON error shape or a success — never a 500."""

from __future__ import annotations

import gzip
import json

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import wire
from shared.protocol import ENROLL_PATH, PUSH_PATH, ROSTER_PATH
from shared.records import GENESIS_PREV, SealedRecord, canonical, is_canonical, signed_message
from tests.support import VILLAGES, SimNode, import_county

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
json_values = st.recursive(st.none() | st.booleans() | st.integers(-10, 10**6) | st.text(max_size=12),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=3), max_leaves=12)


@pytest.fixture
def node(app, client, hub_db, tmp_path):
    import_county(tmp_path, households_per_village=2)
    return SimNode(app, client, "模糊测试站", VILLAGES[:1])


def assert_clean(reply) -> None:
    assert reply.status_code < 500, reply.get_data(as_text=True)
    if reply.status_code >= 400:
        assert set(reply.json) == {"code", "message", "details"}


@FUZZ
@given(st.binary(max_size=400))
def test_random_push_bodies(node, body):
    for data in (body, gzip.compress(body)):
        assert_clean(node.push_bytes(data))


@FUZZ
@given(json_values)
def test_signed_records_with_random_bodies(node, body):
    record = node.seal(body if isinstance(body, dict) else {"x": body})
    reply = node.push_bytes(wire.encode_batch([record], record.seq))
    assert_clean(reply)
    assert [r["code"] for r in reply.json["rejected"]] == ["RECORD_INVALID"]


@FUZZ
@given(json_values)
def test_random_enrolment_requests(client, hub_db, body):
    assert_clean(client.post(ENROLL_PATH, json=body))
    assert_clean(client.post(ENROLL_PATH, data=canonical(body) + b"}", content_type="application/json"))


@FUZZ
@given(st.text(max_size=40))
def test_random_roster_cursors(node, cursor):
    from urllib.parse import quote

    assert_clean(node.get(f"{ROSTER_PATH}?cursor={quote(cursor)}"))


@FUZZ
@given(st.text(max_size=60), st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
def test_random_paths_and_methods(client, hub_db, path, method):
    from urllib.parse import quote

    assert_clean(client.open("/api/v1/" + quote(path), method=method))
    assert_clean(client.open(PUSH_PATH, method=method, data=path.encode()))


# Every value a station can sign: no floats, integers within RFC 8785's exact range, keys within the BMP (the one
# place where Python's key order and RFC 8785's UTF-16 order could differ; record keys are ASCII field names).
signable = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), max_size=6), inner, max_size=4),
    max_leaves=20)


@FUZZ
@given(signable, st.sampled_from([{}, {"indent": 1}, {"ensure_ascii": True}, {"separators": (", ", ": ")}]))
def test_the_hubs_canonical_check_accepts_exactly_the_rfc8785_bytes(value, style):
    content = rfc8785.dumps(value)
    assert is_canonical(content, json.loads(content))
    other = json.dumps(value, **{"ensure_ascii": False, **style}).encode()
    assert is_canonical(other, json.loads(other)) == (other == content)


@FUZZ
@given(st.binary(max_size=300))
def test_signed_records_with_random_bytes_are_final_rejections(node, content):
    prev = node.records[-1].hash if node.records else GENESIS_PREV
    record = SealedRecord(len(node.records) + 1, prev, content, node.key.sign(signed_message(prev, content)))
    node.records.append(record)
    reply = node.push_bytes(wire.encode_batch([record], record.seq))
    assert_clean(reply)
    assert [(r["code"], r["final"]) for r in reply.json["rejected"]] == [("RECORD_INVALID", True)]

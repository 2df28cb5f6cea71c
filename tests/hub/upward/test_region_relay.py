"""What a city hub stages for the region (docs/upward.md, the region level): its statement of the counties' keys
first, then every county record it accepted, exactly as the county signed it, once; a county's statement of its
stations ends its batch; a record the city refused is never forwarded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.store import db
from hub.store.models import Record, UpwardLink, UpwardRecord
from hub.upward import client, county, relay
from shared import keys
from shared.records import signature_valid
from tests.conftest import at_level
from tests.hub.upward.test_city import MONTH, Signer, Station, codes, forwarded


@pytest.fixture
def city(app):
    return at_level(app, "city")


def _month(name: str) -> dict:
    return {"month": MONTH, "county": name, "untransferred": [], "anomalies": [], "coverage": [],
            "income_classes": []}


def test_the_city_forwards_its_counties_records_as_signed_after_its_statement_once(city):
    web = city.test_client()
    first, second = Signer(city, web, "融安县", "county"), Signer(city, web, "三江县", "county")
    station = Station(7)
    first.push([first.seal("station_keys", {"stations": [station.entry()]})])
    visit = station.visit()
    altered = station.visit()
    altered = type(altered)(altered.seq, altered.prev, altered.content.replace(b"H1", b"H2"), altered.signature)
    assert codes(first.push([first.seal("station_record", forwarded(visit, 7)),
                             first.seal("station_record", forwarded(altered, 7)),
                             first.seal("county_month", _month("融安县"))])) == {3: "STATION_RECORD_FORGED"}
    second.push([second.seal("county_month", _month("三江县"))])
    data_dir = Path(city.config["DATA_DIR"])
    with city.app_context(), db.database.connection_context():
        UpwardLink.create(city_url="http://127.0.0.1:9", signer_id=3, public_key=b"k" * 32,
                          enrolled_at="2026-11-01 00:00:00")
        staged = relay.stage(data_dir)
        assert staged.added == {"county_keys": 1, "county_record": 4}
        outbox = list(UpwardRecord.select().order_by(UpwardRecord.seq))
        statement = json.loads(bytes(outbox[0].content))["body"]["counties"]
        assert [(c["county"], c["name"], c["public_key"]) for c in statement] == [
            (first.node_id, "融安县", keys.b64encode(keys.public_bytes(first.key))),
            (second.node_id, "三江县", keys.b64encode(keys.public_bytes(second.key)))]
        bodies = [json.loads(bytes(r.content))["body"] for r in outbox[1:]]
        assert [(b["county"], b["seq"]) for b in bodies] == [(first.node_id, 1), (first.node_id, 2),
                                                             (first.node_id, 4), (second.node_id, 1)]
        held = {(r.node_id, r.seq): r for r in Record.select()}
        for body in bodies:  # exactly as the county signed it, and its signature verifies with the county's key
            signer = first if body["county"] == first.node_id else second
            assert body["content"].encode() == bytes(held[(body["county"], body["seq"])].content)
            assert signature_valid(signer.key.public_key(), bytes.fromhex(body["prev"]), body["content"].encode(),
                                   keys.b64decode(body["signature"]))
        assert [client.ends_batch(r) for r in outbox] == [True, True, False, False, False]
        own = county.upward_key(data_dir).public_key()
        assert all(signature_valid(own, bytes(r.prev), bytes(r.content), bytes(r.signature)) for r in outbox)
        assert relay.stage(data_dir).added == {}  # staging the same state again adds nothing
    first.push([first.seal("county_month", {**_month("融安县"), "untransferred": [
        {"township": "板榄镇", "type": "监测户", "count": 1}]})])
    with city.app_context(), db.database.connection_context():
        assert relay.stage(data_dir).added == {"county_record": 1}

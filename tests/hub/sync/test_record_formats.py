"""Record formats at the hub (issue 12): format 2 from upgraded stations (persons by person key, typed numbers
sealed), format 1 still accepted from stations not yet upgraded; the roster pull in both forms."""

from __future__ import annotations

import json
import random

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from devtools import synthetic
from devtools.station import station_body
from hub.roster import sealing_keys
from hub.store.models import Record, VisitChange, VisitEmployment
from shared import sealing
from shared.protocol import ROSTER_PATH
from shared.records import GENESIS_PREV, seal
from tests.support import VILLAGES, SimNode, households_of

NEWBORN = "450224202609120015"


@pytest.fixture
def node(app, client, county):
    return SimNode(app, client, "站点甲", VILLAGES[:1])


def signed(node: SimNode, body: dict, version: int):
    """The node's next record of ``body`` in record format ``version``."""
    prev = node.records[-1].hash if node.records else GENESIS_PREV
    record = seal(node.key, node.node_id, len(node.records) + 1, prev, "visit", body, "2026-10-15T08:00:00Z", version)
    node.records.append(record)
    return record


def a_labourers_visit(county) -> tuple[dict, str]:
    members = next(iter(households_of(county, VILLAGES[0]).values()))
    body = synthetic.visit_body(random.Random(1), members, "2026-10", "网格员")
    body["employment"] = [{"person": members[0]["id_number"], "place": "county", "months": 9, "wage": 2400}]
    return body, members[0]["id_number"]


def test_format_1_from_a_station_not_yet_upgraded_is_accepted(node, county):
    body, number = a_labourers_visit(county)
    body["changes"] = [{"type": "birth", "name": "韦小宝", "id_number": NEWBORN}]
    reply = node.push([signed(node, body, 1)])
    assert reply.json["accepted"] == [[1, 1]], reply.json
    assert [job.id_number for job in VisitEmployment.select()] == [number]
    assert VisitChange.get().id_number == NEWBORN


def test_format_2_names_persons_by_key_and_seals_typed_numbers(node, county):
    body, number = a_labourers_visit(county)
    body = station_body(body, sealing_keys.person_key)
    body["changes"] = [{"type": "birth", "name": "韦小宝", "id_sealed": sealing.seal(sealing_keys.public_text(),
                                                                                      NEWBORN)}]
    reply = node.push([signed(node, body, 2)])
    assert reply.json["accepted"] == [[1, 1]], reply.json
    assert [job.id_number for job in VisitEmployment.select()] == [number]
    assert (VisitChange.get().id_number, VisitChange.get().id_unreadable) == (NEWBORN, False)
    assert number.encode() not in bytes(Record.get().content) and NEWBORN.encode() not in bytes(Record.get().content)


def test_format_2_refuses_a_plain_id_number(node, county):
    body, _ = a_labourers_visit(county)
    reply = node.push([signed(node, body, 2)])
    assert reply.json["rejected"][0]["code"] == "RECORD_INVALID"
    assert "employment" in json.dumps(reply.json["rejected"][0]["details"])


def test_an_unknown_format_version_is_refused(node, county):
    body, _ = a_labourers_visit(county)
    reply = node.push([signed(node, body, 3)])
    assert reply.json["rejected"][0]["code"] == "RECORD_INVALID"


def test_a_number_sealed_to_another_key_is_kept_and_flagged(node, county):
    body, _ = a_labourers_visit(county)
    body = station_body(body, sealing_keys.person_key)
    stranger = sealing.public_text(X25519PrivateKey.generate())
    body["changes"] = [{"type": "birth", "name": "韦小宝", "id_sealed": sealing.seal(stranger, NEWBORN)}]
    assert node.push([signed(node, body, 2)]).json["accepted"] == [[1, 1]]
    assert (VisitChange.get().id_number, VisitChange.get().id_unreadable) == (None, True)


def test_the_roster_pull_in_format_2_holds_no_number_phone_or_birth_day(node, county):
    page = node.get(f"{ROSTER_PATH}?cursor=&format=2").json
    assert page["seal_key"] == sealing_keys.public_text()
    members = [m for household in page["households"] for m in household["members"]]
    assert members and all(set(m) >= {"key", "birth_month"} for m in members)
    text = json.dumps(page, ensure_ascii=False)
    for row in households_of(county, VILLAGES[0]).values():
        for person in row:
            assert person["id_number"] not in text and person["birth_date"] not in text
            assert not person["phone"] or person["phone"] not in text
    old = node.get(f"{ROSTER_PATH}?cursor=").json  # stations not yet upgraded read the first format
    assert "seal_key" not in old and all("id_number" in m for h in old["households"] for m in h["members"])

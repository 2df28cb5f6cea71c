"""The push endpoint in-process, on every backend: each record stored exactly once or refused with its reason."""

from __future__ import annotations

import pytest

from hub.store.models import Alarm, Node, Record, Visit, VisitEmployment
from shared import keys, wire
from shared.protocol import PUSH_PATH, STATE_PATH
from shared.records import seal
from tests.support import VILLAGES, SimNode, households_of


@pytest.fixture
def node(app, client, county):
    return SimNode(app, client, "站点甲", VILLAGES[:2])


@pytest.fixture
def visits(node, county):
    return node.visits(households_of(county, VILLAGES[0]))


def held(node_id: int) -> list[tuple[int, str]]:
    return list(Record.select(Record.seq, Record.status).where(Record.node == node_id).order_by(Record.seq).tuples())


def test_new_records_are_stored_once_with_their_projection(node, visits):
    reply = node.push(visits)
    assert reply.status_code == 200
    assert reply.json["accepted"] == [[1, len(visits)]]
    assert reply.json["hwm"] == len(visits) and reply.json["missing"] == [] and reply.json["rejected"] == []
    assert held(node.node_id) == [(seq, "accepted") for seq in range(1, len(visits) + 1)]
    assert Visit.select().count() == len(visits)
    jobs = sum(len(record.envelope()["body"]["employment"]) for record in visits)
    assert VisitEmployment.select().count() == jobs
    stored = Record.get(Record.node == node.node_id, Record.seq == 1)
    assert bytes(stored.content) == visits[0].content and bytes(stored.hash) == visits[0].hash


def test_a_batch_sent_twice_is_acknowledged_not_stored_again(node, visits):
    node.push(visits)
    again = node.push(visits)
    assert again.json["duplicates"] == [[1, len(visits)]] and again.json["accepted"] == []
    assert len(held(node.node_id)) == len(visits)


def test_overlapping_batches_store_only_the_new_part(node, visits):
    node.push(visits[:3])
    reply = node.push(visits)
    assert reply.json["duplicates"] == [[1, 3]] and reply.json["accepted"] == [[4, len(visits)]]


def test_an_invalid_record_is_held_as_rejected_and_does_not_block_the_rest(node, county, visits):
    node.push(visits)
    bad_body = dict(visits[0].envelope()["body"], method="carrier pigeon")
    bad = node.seal(bad_body)
    good = node.visits(households_of(county, VILLAGES[1]))
    reply = node.push([bad, *good])
    assert [r["code"] for r in reply.json["rejected"]] == ["RECORD_INVALID"]
    assert reply.json["rejected"][0]["final"] is True and "method" in reply.json["rejected"][0]["details"]["fields"]
    assert reply.json["accepted"] == [[bad.seq + 1, good[-1].seq]]
    assert reply.json["hwm"] == good[-1].seq
    again = node.push([bad])
    assert again.json["rejected"][0]["code"] == "RECORD_INVALID"


def test_a_household_outside_the_nodes_villages_is_refused(node, county):
    foreign = households_of(county, VILLAGES[3])
    record = node.visits(dict(list(foreign.items())[:1]))[0]
    reply = node.push([record])
    assert reply.json["rejected"][0]["code"] == "HOUSEHOLD_NOT_ASSIGNED"
    assert Visit.select().count() == 0


def test_a_tampered_record_is_refused_and_what_follows_is_left_for_a_resend(node, visits):
    tampered = list(visits)
    victim = tampered[2]
    tampered[2] = type(victim)(victim.seq, victim.prev, victim.content.replace(b'"wage":', b'"wage":9', 1),
                               victim.signature)
    reply = node.push(tampered)
    codes = {r["seq"]: (r["code"], r["final"]) for r in reply.json["rejected"]}
    assert codes[3] == ("BAD_SIGNATURE", False)
    assert all(not final for _, final in codes.values()) and set(codes) == set(range(3, len(visits) + 1))
    assert reply.json["accepted"] == [[1, 2]]
    assert Alarm.get(Alarm.node == node.node_id).code == "BAD_SIGNATURE"  # the node itself sent it: tell the county
    assert node.push(visits).json["accepted"] == [[3, len(visits)]]
    assert len(held(node.node_id)) == len(visits)


def test_same_seq_with_other_content_is_refused_and_raises_an_alarm(node, visits):
    node.push(visits)
    original = visits[-1]
    clone_key_copy = node.key  # a copied SD card: same key, a different record at a seq already held
    forged = seal(clone_key_copy, node.node_id, original.seq, original.prev, "visit",
                  dict(original.envelope()["body"], note="另一台设备"), "2026-10-20T00:00:00Z")
    reply = node.push([forged], head=original.seq)
    assert reply.json["rejected"][0]["code"] == "SEQUENCE_CONFLICT" and reply.json["rejected"][0]["final"]
    assert bytes(Record.get(Record.node == node.node_id, Record.seq == original.seq).hash) == original.hash
    alarm = Alarm.get(Alarm.node == node.node_id)
    assert alarm.code == "SEQUENCE_CONFLICT" and bytes(alarm.evidence) == forged.content


def test_a_record_that_does_not_follow_its_predecessor_breaks_the_chain(node, visits):
    node.push(visits)
    last = visits[-1]
    stranger = seal(node.key, node.node_id, last.seq + 1, bytes(32), "visit", last.envelope()["body"], "x")
    reply = node.push([stranger], head=stranger.seq)
    assert reply.json["rejected"][0]["code"] == "CHAIN_BROKEN"
    assert Alarm.select().where(Alarm.code == "CHAIN_BROKEN").count() == 1
    assert len(held(node.node_id)) == len(visits)


def test_records_after_a_gap_are_kept_and_the_gap_reported(node, visits):
    reply = node.push(visits[3:])
    assert reply.json["hwm"] == 0 and reply.json["missing"] == [[1, 3]]
    state = node.get(STATE_PATH).json
    assert state["missing"] == [[1, 3]] and state["held"] == len(visits) - 3
    reply = node.push(visits[:3])
    assert reply.json["hwm"] == len(visits) and reply.json["missing"] == []


def test_a_replayed_request_is_refused(node, visits):
    body = wire.encode_batch(visits, len(visits))
    headers = node.headers("POST", PUSH_PATH, body)
    assert node.client.post(PUSH_PATH, data=body, headers=headers).status_code == 200
    replay = node.client.post(PUSH_PATH, data=body, headers=headers)
    assert replay.status_code == 409
    assert replay.json["code"] == "REPLAYED_REQUEST" and set(replay.json) == {"code", "message", "details"}


@pytest.mark.parametrize("header", [None, "Bearer x", "Fieldsync node=1", "Fieldsync node=x,counter=1,signature=aa"])
def test_unauthenticated_pushes_are_refused(client, node, visits, header):
    body = wire.encode_batch(visits, len(visits))
    reply = client.post(PUSH_PATH, data=body, headers={"Authorization": header} if header else {})
    assert reply.status_code == 401 and reply.json["code"] == "UNAUTHENTICATED"
    assert Record.select().count() == 0


def test_a_request_signed_by_another_key_is_refused(client, node, visits):
    body = wire.encode_batch(visits, len(visits))
    header = wire.authorization_header(keys.generate(), "POST", PUSH_PATH, node.node_id, 99, body)
    reply = client.post(PUSH_PATH, data=body, headers={"Authorization": header})
    assert reply.status_code == 401 and Record.select().count() == 0


def test_a_revoked_node_is_refused_and_an_alarm_raised(app, node, visits):
    from hub.sync import nodes

    nodes.revoke(Node.get_by_id(node.node_id), actor="test")
    reply = node.push(visits)
    assert reply.status_code == 403 and reply.json["code"] == "NODE_REVOKED"
    node.push(visits)
    assert Alarm.select().where(Alarm.code == "NODE_REVOKED").count() == 1
    assert Record.select().count() == 0


@pytest.mark.parametrize("body", [b"", b"not gzip", b"\x1f\x8b\x08\x00broken"])
def test_an_unreadable_batch_gets_a_clear_error(node, body):
    reply = node.push_bytes(body)
    assert reply.status_code == 400 and reply.json["code"] == "BAD_BATCH"


def test_a_newer_protocol_is_refused_with_an_upgrade_message(node, visits):
    body = wire.encode_batch(visits, len(visits))
    headers = {**node.headers("POST", PUSH_PATH, body), wire.PROTOCOL_HEADER: "99"}
    reply = node.client.post(PUSH_PATH, data=body, headers=headers)
    assert reply.status_code == 426 and reply.json["code"] == "UNSUPPORTED_VERSION"


def test_every_record_kind_has_its_hub_handling():
    from hub.sync.projections import KINDS
    from shared.kinds import BODY_SCHEMAS

    assert set(KINDS) == set(BODY_SCHEMAS)


def test_metrics_count_what_the_hub_holds(client, node, visits):
    node.push(visits)
    node.push([node.seal(dict(visits[0].envelope()["body"], method="x"))])
    text = client.get("/metrics").get_data(as_text=True)
    assert f'fieldsync_records{{node="站点甲",status="accepted"}} {float(len(visits))}' in text
    assert 'fieldsync_records_rejected{reason="RECORD_INVALID"} 1.0' in text
    assert 'fieldsync_node_missing_records{node="站点甲"} 0.0' in text


def test_a_correction_supersedes_the_visit_it_names_and_both_are_kept(node, visits):
    assert node.push(visits).status_code == 200
    original = visits[0]
    body = node.seal_body_of(original)
    correction = node.seal({**body, "income": {**body["income"], "wage": body["income"]["wage"] + 700},
                            "corrects": original.hash.hex()})
    assert node.push([correction]).status_code == 200
    rows = {row.record.seq: row for row in Visit.select().join(Record)}
    assert rows[original.seq].superseded_by == rows[correction.seq].id
    assert rows[correction.seq].superseded_by is None
    assert Visit.select().where(Visit.superseded_by.is_null()).count() == len(visits)


def test_a_correction_cannot_supersede_another_households_visit(node, visits):
    assert node.push(visits).status_code == 200
    other_body = node.seal_body_of(visits[1])
    stray = node.seal({**other_body, "corrects": visits[0].hash.hex()})
    assert node.push([stray]).status_code == 200
    first = Visit.select().join(Record).where(Record.seq == visits[0].seq).get()
    assert first.superseded_by is None

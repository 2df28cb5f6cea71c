"""The city's checks of what a county sends up (docs/upward.md), through the real sync API on both databases:
forwarded records verified back to the station, the level of each signer, the newest statement standing, and
the reporting standing against the 5th."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest

from hub.store import db
from hub.store.models import Alarm, UpwardForwarded, UpwardMonth, UpwardPerson, UpwardStation, UpwardTransferred
from hub.sync import nodes
from hub.upward import overview
from shared import keys, wire
from shared.protocol import ENROLL_PATH, PUSH_PATH
from shared.records import FORMAT_VERSION, GENESIS_PREV, SealedRecord, seal
from tests.conftest import at_level, make_user, signed_in

MONTH = "2026-10"


class Signer:
    """A county hub (or a station) reduced to its protocol at the city: a key, a chain, a counter."""

    def __init__(self, app, client, name: str, level: str):
        with app.app_context(), db.database.connection_context():
            _, code = nodes.register(name, [], 24, actor="test", level=level)
        self.key, self.client, self.counter, self.records = keys.generate(), client, 0, []
        public = keys.public_bytes(self.key)
        proof = keys.b64encode(self.key.sign(wire.enrol_message(code, public)))
        reply = client.post(ENROLL_PATH, json={"code": code, "public_key": keys.b64encode(public), "proof": proof})
        assert reply.status_code == 200, reply.json
        self.node_id = reply.json["node_id"]

    def seal(self, kind: str, body: dict[str, Any], version: int = FORMAT_VERSION) -> SealedRecord:
        prev = self.records[-1].hash if self.records else GENESIS_PREV
        record = seal(self.key, self.node_id, len(self.records) + 1, prev, kind, body, "2026-11-03T08:00:00Z",
                      version)
        self.records.append(record)
        return record

    def push(self, records: list[SealedRecord]) -> dict[str, Any]:
        body = wire.encode_batch(records, len(self.records))
        self.counter += 1
        auth = wire.authorization_header(self.key, "POST", PUSH_PATH, self.node_id, self.counter, body)
        reply = self.client.post(PUSH_PATH, data=body, headers={"Authorization": auth,
                                                                "Content-Type": wire.BATCH_CONTENT_TYPE})
        assert reply.status_code == 200, reply.json
        return reply.json


class Station:
    """A station's key and chain as the county holds them (its records are forwarded, never pushed to the city)."""

    def __init__(self, number: int):
        self.number, self.key, self.records = number, keys.generate(), []

    def visit(self, version: int = FORMAT_VERSION) -> SealedRecord:
        prev = self.records[-1].hash if self.records else GENESIS_PREV
        record = seal(self.key, self.number, len(self.records) + 1, prev, "visit",
                      {"month": MONTH, "household": "H1"}, "2026-10-15T08:00:00Z", version)
        self.records.append(record)
        return record

    def entry(self, revoked: bool = False, held: int = 0) -> dict[str, Any]:
        return {"station": self.number, "name": f"站点{self.number}", "villages": ["板榄镇/某村"],
                "public_key": keys.b64encode(keys.public_bytes(self.key)), "revoked": revoked, "held": held}


def forwarded(record: SealedRecord, station: int) -> dict[str, Any]:
    return {"station": station, "seq": record.seq, "prev": record.prev.hex(),
            "content": record.content.decode(), "signature": keys.b64encode(record.signature)}


def codes(reply: dict[str, Any]) -> dict[int, str]:
    return {item["seq"]: item["code"] for item in reply["rejected"]}


@pytest.fixture
def city(app):
    return at_level(app, "city")


def test_forwarded_records_verify_to_the_station_and_a_forgery_is_refused_with_an_alarm(city):
    client = city.test_client()
    county = Signer(city, client, "融安县", "county")
    station = Station(7)
    county.push([county.seal("station_keys", {"stations": [station.entry()]})])
    good = [station.visit() for _ in range(3)]
    altered = SealedRecord(good[1].seq, good[1].prev, good[1].content.replace(b"H1", b"H2"), good[1].signature)
    stranger = Station(8)
    batch = [county.seal("station_record", forwarded(good[0], 7)),
             county.seal("station_record", forwarded(altered, 7)),
             county.seal("station_record", forwarded(good[2], 7)),
             county.seal("station_record", forwarded(stranger.visit(), 8)),
             county.seal("station_record", forwarded(station.visit(version=1), 7))]
    reply = county.push(batch)
    assert codes(reply) == {3: "STATION_RECORD_FORGED", 5: "STATION_RECORD_FORGED", 6: "RECORD_INVALID"}
    assert all(item["final"] for item in reply["rejected"]) and reply["hwm"] == 6
    with city.app_context(), db.database.connection_context():
        held = {(row.station, row.station_seq): bytes(row.hash) for row in UpwardForwarded.select()}
        assert held == {(7, 1): good[0].hash, (7, 3): good[2].hash}
        alarms = list(Alarm.select().where(Alarm.node == county.node_id))
        assert [a.code for a in alarms] == ["STATION_RECORD_FORGED", "STATION_RECORD_FORGED"]
        assert all("融安县" in a.detail for a in alarms)


def test_a_revoked_station_counts_up_to_what_the_county_held_and_the_newest_statement_stands(city):
    county = Signer(city, city.test_client(), "三江县", "county")
    station = Station(3)
    first = county.seal("station_keys", {"stations": [station.entry()]})
    before = [station.visit(), station.visit()]
    after = station.visit()
    revoked = county.seal("station_keys", {"stations": [station.entry(revoked=True, held=2)]})
    county.push([first])
    county.push([revoked])
    reply = county.push([county.seal("station_record", forwarded(r, 3)) for r in [*before, after]])
    assert codes(reply) == {5: "STATION_RECORD_FORGED"}
    assert "revoked" in reply["rejected"][0]["details"]["reason"]


def test_each_level_sends_only_its_own_kinds(city):
    client = city.test_client()
    station = Signer(city, client, "板榄镇服务站", "station")
    county = Signer(city, client, "融水县", "county")
    month = {"month": MONTH, "county": "某县", "untransferred": [], "anomalies": [], "coverage": [],
             "income_classes": []}
    assert codes(station.push([station.seal("county_month", month)])) == {1: "WRONG_SIGNER_LEVEL"}
    visit = {"month": MONTH, "household": "H1"}
    assert codes(county.push([county.seal("posting", visit)])) == {1: "WRONG_SIGNER_LEVEL"}
    unknown = {**month, "extra": 1}
    reply = county.push([county.seal("county_month", unknown)])
    assert codes(reply) == {2: "RECORD_INVALID"} and "extra" in reply["rejected"][0]["details"]["fields"]


def test_the_standing_of_each_county_against_the_fifth(city):
    client = city.test_client()
    early, late = Signer(city, client, "甲县", "county"), Signer(city, client, "乙县", "county")
    Signer(city, client, "丙县", "county")  # never reports
    body = {"month": MONTH, "county": "x", "untransferred": [{"township": "板榄镇", "type": "监测户", "count": 4}],
            "anomalies": [], "coverage": [], "income_classes": []}
    early.push([early.seal("county_month", body)])
    late.push([late.seal("county_month", {**body, "untransferred": [{"township": "t", "type": "监测户", "count": 2}]})])
    with city.app_context(), db.database.connection_context():
        UpwardMonth.update(first_received_at=datetime(2026, 11, 5, 15, 0)).where(
            UpwardMonth.county == early.node_id).execute()  # 23:00 on the 5th in Shanghai: still on time
        UpwardMonth.update(first_received_at=datetime(2026, 11, 5, 16, 30)).where(
            UpwardMonth.county == late.node_id).execute()  # 00:30 on the 6th
        standing = {r.name: r.status for r in overview.reports(MONTH, date(2026, 11, 20), 5, "Asia/Shanghai")}
        assert standing == {"甲县": overview.ON_TIME, "乙县": overview.LATE_REPORT, "丙县": overview.OVERDUE}
        before = {r.name: r.status for r in overview.reports(MONTH, date(2026, 11, 5), 5, "Asia/Shanghai")}
        assert before["丙县"] == overview.NOT_DUE
        table = overview.untransferred(MONTH)
        assert table["types"] == ["监测户"] and table["total"] == [6]


def test_the_city_page_is_for_city_wide_roles_in_chinese(city):
    county = Signer(city, city.test_client(), "融安县", "county")
    county.push([county.seal("county_month", {"month": MONTH, "county": "融安县", "untransferred": [],
                                              "anomalies": [], "coverage": [], "income_classes": []})])
    viewer = signed_in(city, make_user(city, "shi", "viewer"))
    page = viewer.get(f"/city/?month={MONTH}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "各县上报情况" in text and "融安县" in text
    township = signed_in(city, make_user(city, "tang", "township", "板榄镇"))
    refused = township.get("/city/")
    assert refused.status_code == 403 and "查看市级汇总" in refused.get_data(as_text=True)
    assert viewer.get("/city/?month=2026-13").status_code == 400



def _figures(count: int) -> dict[str, Any]:
    return {"month": MONTH, "county": "三江县", "anomalies": [], "coverage": [], "income_classes": [],
            "untransferred": [{"township": "板榄镇", "type": "监测户", "count": count}]}


def test_the_countys_newest_word_is_chosen_by_its_seq_not_by_the_order_records_arrive_in(city):
    """A county restored from a backup sends again what the city lacks below what it holds: an older statement,
    older figures and an older word on a person then arrive after newer ones, and none of them stands over the
    newer."""
    county = Signer(city, city.test_client(), "三江县", "county")
    old, new = Station(3), Station(4)
    older = [county.seal("station_keys", {"stations": [old.entry()]}), county.seal("county_month", _figures(4)),
             county.seal("county_persons", {"persons": [{"person": "ab" * 32, "household": "H1"}]})]
    newer = [county.seal("station_keys", {"stations": [old.entry(), new.entry()]}),
             county.seal("county_month", _figures(9)),
             county.seal("county_withdrawn", {"of": "roster", "persons": ["ab" * 32]})]
    for record in [*newer, *older]:  # one by one, the newer first: each arrives as a gap the city fills later
        assert codes(county.push([record])) == {}
    with city.app_context(), db.database.connection_context():
        assert sorted(row.station for row in UpwardStation.select()) == [3, 4]
        held = UpwardMonth.get(UpwardMonth.county == county.node_id)
        assert json.loads(held.figures)["untransferred"][0]["count"] == 9
        assert [(row.withdrawn, row.seq) for row in UpwardPerson.select()] == [(True, 6)]


def test_a_reset_withdraws_all_the_county_said_before_it_and_the_whole_set_after_it_stands(city):
    """A county restored from a backup resets its persons (``all``) and sends its whole roster after: whatever
    it sent after the backup, and no longer holds, is withdrawn — a person it lost no longer shows as registered
    in two counties — and the rest stands, in whichever order the batch's kinds are projected."""
    client = city.test_client()
    county, other = Signer(city, client, "三江县", "county"), Signer(city, client, "融水县", "county")
    kept, lost, added = "a1" * 32, "b2" * 32, "c3" * 32
    other.push([other.seal("county_persons", {"persons": [{"person": lost, "household": "H7"}]})])
    county.push([county.seal("county_persons", {"persons": [{"person": kept, "household": "H1"},
                                                             {"person": lost, "household": "H2"}]}),
                 county.seal("county_transferred", {"month": MONTH, "persons": [{"person": lost, "place": "county"}]})])
    with city.app_context(), db.database.connection_context():
        assert [found.code for found in overview.registered_twice()] == [lost[:10]]
    reply = county.push([county.seal("county_withdrawn", {"of": "roster", "all": True, "persons": []}),
                         county.seal("county_withdrawn", {"of": "transferred", "all": True, "persons": []}),
                         county.seal("county_persons", {"persons": [{"person": kept, "household": "H1"},
                                                                    {"person": added, "household": "H3"}]}),
                         county.seal("county_transferred", {"month": MONTH,
                                                            "persons": [{"person": added, "place": "outside"}]})])
    assert codes(reply) == {}
    with city.app_context(), db.database.connection_context():
        standing = {row.person: row.household for row in UpwardPerson.select()
                    .where(UpwardPerson.county == county.node_id, UpwardPerson.withdrawn == False)}  # noqa: E712
        assert standing == {kept: "H1", added: "H3"}
        counted = {row.person: row.place for row in UpwardTransferred.select()
                   .where(UpwardTransferred.county == county.node_id, UpwardTransferred.withdrawn == False)}  # noqa: E712
        assert counted == {added: "outside"}
        assert overview.registered_twice() == []
    bad = county.push([county.seal("county_withdrawn", {"of": "roster", "all": True, "persons": [kept]})])
    assert codes(bad) == {7: "RECORD_INVALID"}  # a reset lists no one

"""The region's checks of what a city forwards (docs/upward.md, the region level), through the real sync API on
both databases: each record verified back to the station through the city's statement and the county's, a record
the city altered refused with an alarm naming the city, a station record the county altered refused with an alarm
naming the county, the level of each signer, a person of two counties in two cities found, the region's page."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.store import db
from hub.store.models import Alarm, Node, UpwardForwarded, UpwardMonth, UpwardPerson, UpwardRelay, UpwardStation
from hub.upward import overview
from shared import keys
from shared.records import GENESIS_PREV, SealedRecord, seal
from tests.conftest import at_level, make_user, signed_in
from tests.hub.upward.test_city import MONTH, Signer, Station, codes, forwarded

PERSON = "ab" * 32


class County:
    """A county hub reduced to its upward chain as its city holds it: its number at the city, a key, a chain."""

    def __init__(self, number: int, name: str):
        self.number, self.name, self.key, self.records = number, name, keys.generate(), []

    def seal(self, kind: str, body: dict[str, Any]) -> SealedRecord:
        prev = self.records[-1].hash if self.records else GENESIS_PREV
        record = seal(self.key, self.number, len(self.records) + 1, prev, kind, body, "2026-11-03T08:00:00Z")
        self.records.append(record)
        return record

    def entry(self, revoked: bool = False, held: int = 0) -> dict[str, Any]:
        return {"county": self.number, "name": self.name, "public_key": keys.b64encode(keys.public_bytes(self.key)),
                "revoked": revoked, "held": held}

    def month(self, count: int = 4) -> SealedRecord:
        return self.seal("county_month", {"month": MONTH, "county": self.name, "anomalies": [], "coverage": [],
                                          "untransferred": [{"township": "板榄镇", "type": "监测户", "count": count}],
                                          "income_classes": []})


def relayed(record: SealedRecord, county: int) -> dict[str, Any]:
    """A county record as its city forwards it: exactly as the county signed it."""
    return {"county": county, "seq": record.seq, "prev": record.prev.hex(), "content": record.content.decode(),
            "signature": keys.b64encode(record.signature)}


def _altered(record: SealedRecord, old: bytes, new: bytes) -> SealedRecord:
    assert old in record.content
    return SealedRecord(record.seq, record.prev, record.content.replace(old, new), record.signature)


@pytest.fixture
def region(app):
    return at_level(app, "region")


def _city_with_county(region, client, city_name: str, county: County, station: Station) -> Signer:
    """A city enrolled at the region that has vouched for ``county``, and forwarded the county's statement of
    ``station``."""
    city = Signer(region, client, city_name, "city")
    assert codes(city.push([city.seal("county_keys", {"counties": [county.entry()]})])) == {}
    statement = county.seal("station_keys", {"stations": [station.entry()]})
    assert codes(city.push([city.seal("county_record", relayed(statement, county.number))])) == {}
    return city


def _node(name: str) -> Node:
    return Node.get(Node.name == name)


def test_every_record_verifies_back_to_the_station_through_the_city_and_the_county(region):
    county, station = County(4, "融安县"), Station(7)
    city = _city_with_county(region, region.test_client(), "柳州市", county, station)
    visits = [station.visit() for _ in range(3)]
    batch = [county.seal("station_record", forwarded(visit, 7)) for visit in visits]
    batch += [county.month(), county.seal("county_persons", {"persons": [{"person": PERSON, "household": "H1"}]})]
    reply = city.push([city.seal("county_record", relayed(record, county.number)) for record in batch])
    assert codes(reply) == {} and reply["hwm"] == 2 + len(batch)
    with region.app_context(), db.database.connection_context():
        node = _node("融安县（柳州市）")
        assert node.level == "county" and node.public_key is None and node.enrolment_code_hash is None
        held = {row.station_seq: bytes(row.hash) for row in UpwardForwarded.select().where(
            UpwardForwarded.county == node)}
        assert held == {visit.seq: visit.hash for visit in visits}
        assert UpwardMonth.get(UpwardMonth.county == node).month == MONTH
        assert [p.person for p in UpwardPerson.select().where(UpwardPerson.county == node)] == [PERSON]
        standing = overview.reports(MONTH, overview.deadline(MONTH, 5), 5, "Asia/Shanghai")
        assert [(r.name, r.forwarded) for r in standing] == [("融安县（柳州市）", 3)]
        assert Alarm.select().count() == 0


def test_a_county_record_the_city_altered_is_refused_with_an_alarm_naming_the_city(region):
    county, station = County(4, "融安县"), Station(7)
    city = _city_with_county(region, region.test_client(), "柳州市", county, station)
    good, changed = county.month(4), county.month(5)
    stranger = County(9, "三江县")
    batch = [city.seal("county_record", relayed(good, 4)),
             city.seal("county_record", relayed(_altered(changed, b'"count":5', b'"count":6'), 4)),
             city.seal("county_record", relayed(stranger.month(), 9)),  # a county the city never vouched for
             city.seal("county_record", {**relayed(county.month(), 4), "seq": 2})]  # another seq than signed
    reply = city.push(batch)
    assert codes(reply) == {4: "COUNTY_RECORD_FORGED", 5: "COUNTY_RECORD_FORGED", 6: "COUNTY_RECORD_FORGED"}
    assert all(item["final"] for item in reply["rejected"])
    with region.app_context(), db.database.connection_context():
        alarms = list(Alarm.select().where(Alarm.node == city.node_id))
        assert [a.code for a in alarms] == ["COUNTY_RECORD_FORGED"] * 3
        assert all("柳州市" in a.detail and "改动或伪造" in a.detail for a in alarms)
        figures = UpwardMonth.get(UpwardMonth.county == _node("融安县（柳州市）")).figures
        assert '"count": 4' in figures  # the good one stands; the altered one changed nothing


def test_a_station_record_the_county_altered_is_refused_with_an_alarm_naming_the_county(region):
    county, station = County(4, "融安县"), Station(7)
    city = _city_with_county(region, region.test_client(), "柳州市", county, station)
    visit = station.visit()
    signed_by_county = county.seal("station_record", forwarded(_altered(visit, b"H1", b"H2"), 7))
    reply = city.push([city.seal("county_record", relayed(signed_by_county, 4))])
    assert codes(reply) == {3: "STATION_RECORD_FORGED"}
    assert reply["rejected"][0]["details"]["county"] == 4
    with region.app_context(), db.database.connection_context():
        node = _node("融安县（柳州市）")
        alarms = list(Alarm.select().where(Alarm.node == node))
        assert [a.code for a in alarms] == ["STATION_RECORD_FORGED"]
        assert "融安县" in alarms[0].detail and "经柳州市转发" in alarms[0].detail
        assert "记录被融安县改动" in alarms[0].detail
        assert Alarm.select().where(Alarm.node == city.node_id).count() == 0
        assert UpwardForwarded.select().count() == 0


def test_a_revoked_county_counts_up_to_what_the_city_held_and_keeps_its_node_when_re_keyed(region):
    client = region.test_client()
    county, station = County(4, "融安县"), Station(7)
    city = _city_with_county(region, client, "柳州市", county, station)
    before, after = county.month(1), county.month(2)  # seq 2 and 3 of the county's chain
    city.push([city.seal("county_keys", {"counties": [county.entry(revoked=True, held=2)]})])
    reply = city.push([city.seal("county_record", relayed(r, 4)) for r in (before, after)])
    assert codes(reply) == {5: "COUNTY_RECORD_FORGED"} and "revoked" in reply["rejected"][0]["details"]["reason"]
    rekeyed = County(4, "融安县")
    city.push([city.seal("county_keys", {"counties": [rekeyed.entry()]})])
    assert codes(city.push([city.seal("county_record", relayed(rekeyed.month(7), 4))])) == {}
    with region.app_context(), db.database.connection_context():
        relay = UpwardRelay.get(UpwardRelay.county == 4)
        assert bytes(relay.public_key) == keys.public_bytes(rekeyed.key) and not relay.revoked
        assert Node.select().where(Node.name.startswith("融安县")).count() == 1


def test_each_level_sends_only_its_own_kinds_at_the_region(region):
    client = region.test_client()
    city, county = Signer(region, client, "柳州市", "city"), Signer(region, client, "融水县", "county")
    month = {"month": MONTH, "county": "某县", "untransferred": [], "anomalies": [], "coverage": [],
             "income_classes": []}
    assert codes(city.push([city.seal("county_month", month)])) == {1: "WRONG_SIGNER_LEVEL"}
    assert codes(city.push([city.seal("visit", {"month": MONTH, "household": "H1"})])) == {2: "WRONG_SIGNER_LEVEL"}
    assert codes(county.push([county.seal("county_keys", {"counties": []})])) == {1: "WRONG_SIGNER_LEVEL"}
    station = Signer(region, client, "板榄镇服务站", "station")
    assert codes(station.push([station.seal("county_keys", {"counties": []})])) == {1: "WRONG_SIGNER_LEVEL"}


def test_a_person_registered_in_two_counties_of_two_cities_is_found_and_the_page_says_it_in_the_regions_words(
        region):
    client = region.test_client()
    for city_name, county in (("柳州市", County(4, "融安县")), ("桂林市", County(2, "龙胜县"))):
        city = _city_with_county(region, client, city_name, county, Station(7))
        own = {"person": f"{county.number:02d}" * 32, "household": "H9"}
        persons = county.seal("county_persons", {"persons": [{"person": PERSON, "household": f"H{county.number}"},
                                                             own]})
        assert codes(city.push([city.seal("county_record", relayed(persons, county.number)),
                                city.seal("county_record", relayed(county.month(), county.number))])) == {}
    with region.app_context(), db.database.connection_context():
        twice = overview.registered_twice()
        assert [(found.code, found.places) for found in twice] == [
            (PERSON[:10], [("融安县（柳州市）", "H4"), ("龙胜县（桂林市）", "H2")])]
    viewer = signed_in(region, make_user(region, "qu", "viewer"))
    page = viewer.get(f"/region/?month={MONTH}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "区级汇总" in text and "全区" in text and "逐级核验" in text
    assert "融安县（柳州市）" in text and "龙胜县（桂林市）" in text and "区级平台无法还原" in text
    township = signed_in(region, make_user(region, "tang", "township", "板榄镇"))
    refused = township.get("/region/")
    assert refused.status_code == 403 and "查看区级汇总" in refused.get_data(as_text=True)


def test_a_countys_older_word_forwarded_again_after_a_city_restore_does_not_stand_over_its_newer(region):
    """A city restored from an old backup forwards its counties' records again, under new seqs of its own: at the
    region a county's older statement, older figures and older word on a person then arrive after the newer ones.
    The newest is the county's by the county's seq, never the region's record id or the city's seq."""
    client = region.test_client()
    county, first, second = County(4, "融安县"), Station(7), Station(8)
    city = _city_with_county(region, client, "柳州市", county, first)  # the county's statement 1: station 7
    older = [county.month(4), county.seal("county_persons", {"persons": [{"person": PERSON, "household": "H4"}]})]
    newer = [county.seal("station_keys", {"stations": [first.entry(), second.entry()]}), county.month(9),
             county.seal("county_withdrawn", {"of": "roster", "persons": [PERSON]})]
    for record in newer:
        assert codes(city.push([city.seal("county_record", relayed(record, county.number))])) == {}
    for record in [county.records[0], *older]:  # forwarded again, after the newer: statement 1, figures, person
        assert codes(city.push([city.seal("county_record", relayed(record, county.number))])) == {}
    with region.app_context(), db.database.connection_context():
        node = _node("融安县（柳州市）")
        assert sorted(row.station for row in UpwardStation.select().where(UpwardStation.county == node)) == [7, 8]
        held = UpwardMonth.get(UpwardMonth.county == node)
        assert json.loads(held.figures)["untransferred"][0]["count"] == 9
        assert [(row.withdrawn, row.seq) for row in UpwardPerson.select()] == [(True, 6)]  # the county's seq

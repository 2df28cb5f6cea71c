"""The loader above the county (docs/upward.md, "Cleaning above the county"): the visits a county forwards are
projected into the city's cleaning tables in the ingest that files them — places qualified by county, each record
once however often it is forwarded, a correction superseding what it corrects — and at a region the same through
the city, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from hub.store import db
from hub.store.models import Household, Person, Township, Village, Visit, VisitEmployment
from shared.records import FORMAT_VERSION, GENESIS_PREV, SealedRecord, seal
from tests.hub.upward.test_city import MONTH, Signer, Station, codes, forwarded
from tests.hub.upward.test_region import County, relayed

KEY = "p" + "abcdefghijklmnop" * 2  # a person key, as a station of record format 2 or 3 names a labourer


def visit(household: str, wage: int = 2600, ack: str = "confirmed", **extra: Any) -> dict[str, Any]:
    return {"household": household, "month": MONTH, "date": f"{MONTH}-12", "visitor": "网格员",
            "method": "in_person", "income": {"wage": wage, "business": 0, "property": 0, "transfer": 300,
                                              "expenses": 100},
            "employment": [{"person": KEY, "place": "county", "months": 10, "wage": wage}], "changes": [],
            "risks": [], "ack": {"status": ack, "by": "户主"}, **extra}


class VisitingStation(Station):
    """A station whose visits are real ones (the schema's), in the villages it serves."""

    def __init__(self, number: int, villages: list[str]):
        super().__init__(number)
        self.villages = villages

    def sign(self, body: dict[str, Any]) -> SealedRecord:
        prev = self.records[-1].hash if self.records else GENESIS_PREV
        record = seal(self.key, self.number, len(self.records) + 1, prev, "visit", body, "2026-10-15T08:00:00Z",
                      FORMAT_VERSION)
        self.records.append(record)
        return record

    def entry(self, revoked: bool = False, held: int = 0) -> dict[str, Any]:
        return {**super().entry(revoked, held), "villages": self.villages}


@pytest.fixture
def city(app):
    app.config["HUB_LEVEL"] = "city"
    return app


def _loaded(app) -> list[tuple[str, str, str, int, bool]]:
    """(township, village, household number, wage, current) of every visit loaded, sorted."""
    with app.app_context(), db.database.connection_context():
        query = (Visit.select(Township.name, Village.name, Household.number, Visit.wage, Visit.superseded_by)
                 .join(Household).join(Village).join(Township))
        return sorted((t, v, h, wage, superseded is None) for t, v, h, wage, superseded in query.tuples())


def test_forwarded_visits_load_once_into_places_qualified_by_county_and_corrections_supersede(city):
    client = city.test_client()
    rongan, sanjiang = Signer(city, client, "融安县", "county"), Signer(city, client, "三江县", "county")
    one, other = VisitingStation(7, ["板榄镇/某村"]), VisitingStation(7, ["板榄镇/某村"])  # alike names
    several = VisitingStation(8, ["大将镇/甲村", "大将镇/乙村"])
    for county, stations in ((rongan, [one, several]), (sanjiang, [other])):
        assert codes(county.push([county.seal("station_keys", {"stations": [s.entry() for s in stations]})])) == {}
    first = one.sign(visit("H1", wage=900))
    batch = [first, one.sign(visit("H1", wage=2500, corrects=first.hash.hex()))]
    reply = rongan.push([rongan.seal("station_record", forwarded(r, 7)) for r in batch]
                        + [rongan.seal("station_record", forwarded(several.sign(visit("H2")), 8))])
    assert codes(reply) == {}
    assert codes(sanjiang.push([sanjiang.seal("station_record", forwarded(other.sign(visit("H1")), 7))])) == {}
    again = rongan.push([rongan.seal("station_record", forwarded(first, 7))])  # a county restored from a backup
    assert codes(again) == {} and again["accepted"]
    assert _loaded(city) == [
        ("大将镇（融安县）", "站点8所辖各村", "H2（融安县）", 2600, True),
        ("板榄镇（三江县）", "某村", "H1（三江县）", 2600, True),
        ("板榄镇（融安县）", "某村", "H1（融安县）", 900, False),
        ("板榄镇（融安县）", "某村", "H1（融安县）", 2500, True),
    ]
    with city.app_context(), db.database.connection_context():
        townships = {t.name: (t.county_node, t.local_name) for t in Township.select()}
        assert townships["板榄镇（融安县）"] == (rongan.node_id, "板榄镇")
        assert townships["板榄镇（三江县）"] == (sanjiang.node_id, "板榄镇")
        assert {e.id_number for e in VisitEmployment.select()} == {KEY}  # the county's person key, as signed
        assert Person.select().count() == 0


def test_a_station_serving_several_townships_puts_its_households_in_a_township_not_named(city):
    county = Signer(city, city.test_client(), "融水县", "county")
    station = VisitingStation(3, ["甲镇/一村", "乙镇/二村"])
    county.push([county.seal("station_keys", {"stations": [station.entry()]})])
    assert codes(county.push([county.seal("station_record", forwarded(station.sign(visit("H9")), 3))])) == {}
    assert _loaded(city) == [("乡镇未定（融水县）", "站点3所辖各村", "H9（融水县）", 2600, True)]
    with city.app_context(), db.database.connection_context():
        assert Township.get(Township.name == "乡镇未定（融水县）").local_name is None


@pytest.fixture
def region(app):
    app.config["HUB_LEVEL"] = "region"
    return app


def test_at_a_region_the_visits_a_city_forwards_load_under_the_county_named_with_its_city(region):
    county, station = County(4, "融安县"), VisitingStation(7, ["板榄镇/某村"])
    city = Signer(region, region.test_client(), "柳州市", "city")
    assert codes(city.push([city.seal("county_keys", {"counties": [county.entry()]})])) == {}
    statement = county.seal("station_keys", {"stations": [station.entry()]})
    record = county.seal("station_record", forwarded(station.sign(visit("H1")), 7))
    assert codes(city.push([city.seal("county_record", relayed(statement, 4))])) == {}  # keys end their batch
    assert codes(city.push([city.seal("county_record", relayed(record, 4))])) == {}
    again = city.push([city.seal("county_record", relayed(record, 4))])  # a city restored: forwarded again
    assert codes(again) == {}
    assert _loaded(region) == [("板榄镇（融安县（柳州市））", "某村", "H1（融安县（柳州市））", 2600, True)]

"""The checks only a city can make (docs/upward.md), through the real sync API on both databases: a labourer two
counties count as transferred in the same month, county figures that disagree with the station records beneath
them, a station's chain with a record the county withheld, and a person withdrawn when gone from a roster."""

from __future__ import annotations

from typing import Any

from hub.store import db
from hub.store.models import Alarm, UpwardPerson
from hub.upward import overview
from shared.records import GENESIS_PREV, SealedRecord, seal
from shared.upward import person_hash
from tests.conftest import make_user, signed_in
from tests.hub.upward.test_city import MONTH, Signer, Station, city, codes, forwarded

__all__ = ["city"]  # the fixture, imported for these tests
REGION = bytes(range(32))
PLANTED, OTHER = person_hash(REGION, "450221199001011234"), person_hash(REGION, "450221199202022345")


def _month(county: str, visited: int, month: str = MONTH) -> dict[str, Any]:
    return {"month": month, "county": county, "untransferred": [], "anomalies": [], "income_classes": [],
            "coverage": [{"township": "板榄镇", "households": 10, "visited": visited},  # every station serves 板榄镇
                         {"township": "大将镇", "households": 10, "visited": 0}]}


class Chain(Station):
    """A station whose visits name their household and format."""

    def visit_of(self, household: str, version: int = 3, month: str = MONTH) -> SealedRecord:
        prev = self.records[-1].hash if self.records else GENESIS_PREV
        record = seal(self.key, self.number, len(self.records) + 1, prev, "visit",
                      {"month": month, "household": household}, "2026-10-15T08:00:00Z", version)
        self.records.append(record)
        return record


def kept(record: SealedRecord, station: int, **extra: Any) -> dict[str, Any]:
    """The county's hash-only word for a record it keeps (a plain visit here)."""
    return {"station": station, "seq": record.seq, "prev": record.prev.hex(), "hash": record.hash.hex(),
            "reason": "plain", "kind": "visit", **extra}


def _with_keys(city_app, name: str, station: Station) -> Signer:
    county = Signer(city_app, city_app.test_client(), name, "county")
    county.push([county.seal("station_keys", {"stations": [station.entry()]})])
    return county


def test_a_labourer_counted_as_transferred_in_two_counties_is_shown_naming_both(city):
    client = city.test_client()
    first, second = Signer(city, client, "融安县", "county"), Signer(city, client, "三江县", "county")
    first.push([first.seal("county_persons", {"persons": [{"person": PLANTED, "household": "RA-0007"}]}),
                first.seal("county_transferred", {"month": MONTH, "persons": [
                    {"person": PLANTED, "place": "outside"}, {"person": OTHER, "place": "county"}]})])
    second.push([second.seal("county_transferred", {"month": MONTH, "persons": [{"person": PLANTED,
                                                                               "place": "county"}]}),
                 second.seal("county_transferred", {"month": "2026-09", "persons": [{"person": OTHER,
                                                                                  "place": "county"}]})])
    with city.app_context(), db.database.connection_context():
        twice = overview.transferred_twice(MONTH)
        assert [(t.code, t.places) for t in twice] == [
            (PLANTED[:10], [("三江县", "县内"), ("融安县", "省外，户 RA-0007")])]
        assert overview.transferred_twice("2026-09") == []  # one county that month
    page = signed_in(city, make_user(city, "shi", "viewer")).get(f"/city/?month={MONTH}").get_data(as_text=True)
    section = page[page.index('id="transferred"'):]
    assert "三江县（县内）" in section and "融安县（省外，户 RA-0007）" in section and PLANTED[:10] in section
    assert PLANTED not in page and "outside" not in section  # a short code only, places in words
    second.push([second.seal("county_withdrawn", {"of": "transferred", "month": MONTH, "persons": [PLANTED]})])
    with city.app_context(), db.database.connection_context():
        assert overview.transferred_twice(MONTH) == []


def test_a_withdrawal_needs_its_month_exactly_when_it_takes_back_a_transferred_labourer(city):
    county = Signer(city, city.test_client(), "融水县", "county")
    reply = county.push([county.seal("county_withdrawn", {"of": "transferred", "persons": [PLANTED]}),
                         county.seal("county_withdrawn", {"of": "roster", "month": MONTH, "persons": [PLANTED]}),
                         county.seal("county_transferred", {"month": MONTH, "persons": [
                             {"person": PLANTED, "place": "province", "wage": 3000}]})])
    assert codes(reply) == {1: "RECORD_INVALID", 2: "RECORD_INVALID", 3: "RECORD_INVALID"}


def test_figures_that_agree_with_the_records_beneath_raise_nothing_and_altered_ones_an_alarm(city):
    station = Chain(7)
    honest = _with_keys(city, "融安县", station)
    records = [station.visit_of(h) for h in ("H1", "H2", "H2", "H3")]
    plain = station.visit_of("H4", version=1)
    other_month = station.visit_of("H9", month="2026-09")
    early = honest.seal("county_month", _month("融安县", 0))  # signed before any visit: 0 is right then
    batch = [early, *[honest.seal("station_record", forwarded(r, 7)) for r in records],
             honest.seal("station_kept", kept(plain, 7, month=MONTH, household="H4")),
             honest.seal("station_record", forwarded(other_month, 7)),
             honest.seal("county_month", _month("融安县", 4))]
    assert honest.push(batch)["rejected"] == []  # one batch, projected kind by kind: the months wait for the visits

    copied = Chain(8)
    altered = _with_keys(city, "三江县", copied)
    visits = [copied.visit_of(h) for h in ("H1", "H2")]
    altered.push([*[altered.seal("station_record", forwarded(r, 8)) for r in visits],
                  altered.seal("county_month", _month("三江县", 5))])  # its database says 5 households visited
    with city.app_context(), db.database.connection_context():
        alarms = [(a.node_id, a.code, a.detail) for a in Alarm.select()]
    assert [(node, code) for node, code, _ in alarms] == [(altered.node_id, "COUNTY_FIGURES_DISAGREE")]
    detail = alarms[0][2]
    assert "三江县" in detail and "走访覆盖户数" in detail and "县报 5" in detail and "按站点记录为 2" in detail
    page = signed_in(city, make_user(city, "shi", "viewer")).get(f"/city/?month={MONTH}").get_data(as_text=True)
    assert "上报数与站点记录不符" in page and "COUNTY_FIGURES_DISAGREE" not in page


def test_a_withheld_record_shows_as_a_gap_and_records_kept_by_hash_do_not(city):
    station = Chain(7)
    county = _with_keys(city, "融安县", station)
    records = [station.visit_of(f"H{n}", version=1 if n == 3 else 3) for n in range(1, 8)]
    withheld_five = [county.seal("station_kept", kept(records[i], 7, month=MONTH, household="H3")) if i == 2
                     else county.seal("station_record", forwarded(records[i], 7)) for i in (0, 1, 2, 3, 5, 6)]
    assert county.push(withheld_five)["rejected"] == []
    with city.app_context(), db.database.connection_context():
        faults = overview.chain_faults()
    assert [(f.county, f.station, f.first, f.last, f.broken) for f in faults] == [("融安县", "站点 7（站点7）", 5, 5,
                                                                                    False)]
    assert faults[0].words == "序号 5（共 1 条）未转发，也未说明留在县里"
    page = signed_in(city, make_user(city, "shi", "viewer")).get("/city/").get_data(as_text=True)
    assert "融安县" in page[page.index('id="chains"'):] and "序号 5" in page


def test_a_kept_hash_that_is_not_the_stations_breaks_the_chain_and_a_stranger_is_refused(city):
    station = Chain(7)
    county = _with_keys(city, "三江县", station)
    records = [station.visit_of(f"H{n}") for n in range(1, 4)]
    lie = {**kept(records[1], 7), "hash": "ab" * 32}  # the county claims it keeps something else at seq 2
    reply = county.push([county.seal("station_record", forwarded(records[0], 7)), county.seal("station_kept", lie),
                         county.seal("station_record", forwarded(records[2], 7)),
                         county.seal("station_kept", {**kept(records[1], 7), "station": 9})])
    assert codes(reply) == {5: "STATION_RECORD_FORGED"}
    with city.app_context(), db.database.connection_context():
        faults = overview.chain_faults()
    assert [(f.first, f.broken) for f in faults] == [(3, True)]
    assert "衔接不上" in faults[0].words


def test_a_person_withdrawn_from_one_roster_is_no_longer_registered_twice(city):
    client = city.test_client()
    left, joined = Signer(city, client, "融安县", "county"), Signer(city, client, "三江县", "county")
    left.push([left.seal("county_persons", {"persons": [{"person": PLANTED, "household": "RA-1"},
                                                        {"person": OTHER, "household": "RA-1"}]})])
    joined.push([joined.seal("county_persons", {"persons": [{"person": PLANTED, "household": "SJ-9"}]})])
    with city.app_context(), db.database.connection_context():
        assert [t.code for t in overview.registered_twice()] == [PLANTED[:10]]
    left.push([left.seal("county_withdrawn", {"of": "roster", "persons": [PLANTED]})])
    with city.app_context(), db.database.connection_context():
        assert overview.registered_twice() == []
        assert UpwardPerson.get(UpwardPerson.county == left.node_id, UpwardPerson.person == OTHER).withdrawn is False
    page = signed_in(city, make_user(city, "shi", "viewer")).get("/city/").get_data(as_text=True)
    assert "没有发现同一人在两个县登记" in page


def test_the_countys_last_word_stands_whatever_order_one_batch_is_projected_in(city):
    """Added, withdrawn, added again, all in one batch (a county offline for weeks): the batch is projected kind
    by kind, yet the person ends as the county said last; and withdrawn then never re-added stays withdrawn."""
    county = Signer(city, city.test_client(), "融安县", "county")
    person = {"persons": [{"person": PLANTED, "household": "RA-1"}]}
    moved = {"persons": [{"person": OTHER, "household": "RA-2"}]}
    county.push([county.seal("county_persons", person), county.seal("county_persons", moved),
                 county.seal("county_withdrawn", {"of": "roster", "persons": [PLANTED, OTHER]}),
                 county.seal("county_persons", {"persons": [{"person": PLANTED, "household": "RA-3"}]})])
    with city.app_context(), db.database.connection_context():
        held = {row.person: (row.household, row.withdrawn) for row in UpwardPerson.select()}
    assert held == {PLANTED: ("RA-3", False), OTHER: ("RA-2", True)}

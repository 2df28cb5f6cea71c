"""The county's coverage recomputed by township at the city (hub/upward/townships.py, docs/upward.md), through the
real sync API on both databases: a visit is placed by the villages the county's statement lists for the station
that signed it; a township whose visited households disagree is an alarm naming the county, the month, the
township, the figure and both numbers."""

from __future__ import annotations

from typing import Any

from hub.store import db
from hub.store.models import Alarm
from tests.hub.upward.test_city import MONTH, Signer, city, forwarded
from tests.hub.upward.test_city_checks import Chain, kept

__all__ = ["city"]  # the fixture, imported for these tests
BANLAN, DAJIANG = "板榄镇/某村", "大将镇/另一村"


def _entry(station: Chain, *villages: str) -> dict[str, Any]:
    return {**station.entry(), "villages": list(villages)}


def _county(city_app, name: str, *entries: dict[str, Any]) -> Signer:
    county = Signer(city_app, city_app.test_client(), name, "county")
    county.push([county.seal("station_keys", {"stations": list(entries)})])
    return county


def _month(county: str, **visited: int) -> dict[str, Any]:
    return {"month": MONTH, "county": county, "untransferred": [], "anomalies": [], "income_classes": [],
            "coverage": [{"township": township, "households": 10, "visited": count}
                         for township, count in visited.items()]}


def _visits(county: Signer, station: Chain, *households: str) -> list[Any]:
    return [county.seal("station_record", forwarded(station.visit_of(household), station.number))
            for household in households]


def _alarms(city_app, county: Signer) -> list[str]:
    with city_app.app_context(), db.database.connection_context():
        return [a.detail for a in Alarm.select().where(Alarm.node == county.node_id)
                if a.code == "COUNTY_FIGURES_DISAGREE"]


def test_a_household_counted_in_the_wrong_township_is_flagged_naming_the_township_the_total_agreeing(city):
    banlan, dajiang = Chain(1), Chain(2)
    honest = _county(city, "融安县", _entry(banlan, BANLAN), _entry(dajiang, DAJIANG))
    records = [*_visits(honest, banlan, "H1", "H2", "H2"), *_visits(honest, dajiang, "H3")]
    honest.push([*records, honest.seal("county_month", _month("融安县", 板榄镇=2, 大将镇=1))])
    assert _alarms(city, honest) == []

    one, two = Chain(1), Chain(2)
    moved = _county(city, "三江县", _entry(one, BANLAN), _entry(two, DAJIANG))
    records = [*_visits(moved, one, "H1", "H2"), *_visits(moved, two, "H3")]
    moved.push([*records, moved.seal("county_month", _month("三江县", 板榄镇=1, 大将镇=2))])  # the sum is right
    [detail] = _alarms(city, moved)
    assert "三江县" in detail and MONTH in detail
    assert "走访覆盖户数（板榄镇）：县报 1，按站点记录为 2" in detail
    assert "走访覆盖户数（大将镇）：县报 2，按站点记录为 1" in detail
    assert "全县" not in detail  # the county-wide total agrees


def test_a_station_serving_two_townships_leaves_a_range_and_a_second_station_can_place_the_household(city):
    both, banlan = Chain(1), Chain(2)
    county = _county(city, "融水县", _entry(both, BANLAN, DAJIANG), _entry(banlan, BANLAN))
    records = [*_visits(county, both, "H1", "H2", "H3"), *_visits(county, banlan, "H3")]  # H3: in 板榄镇
    county.push([*records, county.seal("county_month", _month("融水县", 板榄镇=2, 大将镇=1))])
    assert _alarms(city, county) == []  # H1 and H2 may lie in either: 板榄镇 1–3, 大将镇 0–2
    county.push([county.seal("county_month", _month("融水县", 板榄镇=0, 大将镇=3))])
    [detail] = _alarms(city, county)
    assert "走访覆盖户数（板榄镇）：县报 0，按站点记录为 1–3" in detail
    assert "走访覆盖户数（大将镇）：县报 3，按站点记录为 0–2" in detail


def test_a_township_left_out_of_the_figures_and_a_visit_only_the_county_signed(city):
    """Visits the records place in a township the figures omit are flagged; a plain visit by a signer whose
    statement lists no village (the county's own correction) may lie anywhere, so it widens every range."""
    station, own = Chain(1), Chain(2)
    county = _county(city, "鹿寨县", _entry(station, BANLAN), _entry(own))
    correction = own.visit_of("H9", version=1)
    batch = [*_visits(county, station, "H1", "H2"),
             county.seal("station_kept", kept(correction, 2, month=MONTH, household="H9")),
             county.seal("county_month", _month("鹿寨县", 大将镇=3))]
    county.push(batch)
    [detail] = _alarms(city, county)
    assert "走访覆盖户数（板榄镇）：县报 0，按站点记录为 2–3" in detail
    assert "走访覆盖户数（大将镇）" in detail and "县报 3，按站点记录为 0–1" in detail
    county.push([county.seal("county_month", _month("鹿寨县", 板榄镇=3, 大将镇=0))])
    assert len(_alarms(city, county)) == 1  # H9 counted in 板榄镇: within its range, nothing new

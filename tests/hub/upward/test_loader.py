"""The loader above the county (docs/upward.md, "Cleaning above the county"): the visits a county forwards are
projected into the city's cleaning tables in the ingest that files them — places qualified by county, each record
once however often it is forwarded, a correction superseding what it corrects — and at a region the same through
the city, on both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.store import db
from hub.store.models import Household, Person, Township, Village, Visit, VisitEmployment
from shared.records import FORMAT_VERSION, GENESIS_PREV, SealedRecord, seal
from tests.conftest import POSTGRES_URL
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
    from tests.conftest import make_user, signed_in

    staff = signed_in(city, make_user(city, "clerk", "staff"))
    for page in ("/", "/cleaning/", "/city/"):  # the city's pages read the loaded places
        assert staff.get(page).status_code == 200, page


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


# --- The catalogue above the county, and each county's reported anomaly counts checked against it -------------

def _month(county: str, p11: tuple[int, int], visited: int) -> dict[str, Any]:
    """A county's month reporting ``p11`` (open, resolved) anomalies of P11 in 板榄镇."""
    return {"month": MONTH, "county": county, "untransferred": [], "income_classes": [],
            "anomalies": [{"township": "板榄镇", "rule": "P11", "open": p11[0], "resolved": p11[1]}],
            "coverage": [{"township": "板榄镇", "households": visited, "visited": visited}]}


def _county_with_unacknowledged_visits(city, client, name: str) -> tuple[Signer, VisitingStation]:
    """A county whose station sent two visits the households did not acknowledge (P11 twice) and one they did."""
    county, station = Signer(city, client, name, "county"), VisitingStation(5, ["板榄镇/某村"])
    assert codes(county.push([county.seal("station_keys", {"stations": [station.entry()]})])) == {}
    visits = [visit("H1", ack="disputed"), visit("H2", ack="disputed"), visit("H3")]
    assert codes(county.push([county.seal("station_record", forwarded(station.sign(v), 5)) for v in visits])) == {}
    return county, station


def _args(app) -> list[str]:
    return ["--data-dir", app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"]]


def test_a_county_reporting_fewer_anomalies_than_its_visits_show_is_flagged_and_an_honest_one_is_not(
        city, runner, monkeypatch):
    from hub.cli import main
    from hub.store.models import Alarm, CleaningRun

    client = city.test_client()
    honest, _ = _county_with_unacknowledged_visits(city, client, "融安县")
    hiding, _ = _county_with_unacknowledged_visits(city, client, "三江县")
    assert codes(honest.push([honest.seal("county_month", _month("融安县", (1, 1), 3))])) == {}
    assert codes(hiding.push([hiding.seal("county_month", _month("三江县", (0, 0), 3))])) == {}
    monkeypatch.setenv("FIELDSYNC_HUB_LEVEL", "city")
    result = runner.invoke(main, [*_args(city), "clean", "--period", MONTH])
    assert result.exit_code == 0, result.output
    assert "P5   当月未走访：未运行（需要县里的全部户" in result.output
    assert "P11  收入未经户认可或照抄：4" in result.output and "新增告警 1 条" in result.output
    with city.app_context(), db.database.connection_context():
        alarms = list(Alarm.select().where(Alarm.code == "COUNTY_FIGURES_DISAGREE"))
        assert [a.node_id for a in alarms] == [hiding.node_id]
        rule = "P11（收入未经户认可或照抄）异常条数"
        assert alarms[0].detail == (f"三江县上报的 {MONTH} 数据与其转发的站点记录不符（{rule}（全县）：县报 0，"
                                    f"按站点记录为 2；{rule}（板榄镇）：县报 0，按站点记录为 2）：请该县核实。")
        skipped = json.loads(CleaningRun.select().get().counts)["skipped"]
        assert set(skipped) == {"P1", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "I1", "I2", "I3", "I4", "I6",
                                "I7", "I9", "X1", "X2", "X3"}
    again = runner.invoke(main, [*_args(city), "clean", "--period", MONTH])
    assert "新增告警 0 条" in again.output  # the same disagreement, still open, is not raised twice
    # The county signs its month again, still short: the city checks it as it arrives, against its last run.
    assert codes(hiding.push([hiding.seal("county_month", _month("三江县", (1, 0), 3))])) == {}
    with city.app_context(), db.database.connection_context():
        newest = Alarm.select().where(Alarm.node == hiding.node_id).order_by(Alarm.id.desc()).first()
        assert "县报 1，按站点记录为 2" in newest.detail
        assert Alarm.select().where(Alarm.node == honest.node_id).count() == 0


def test_every_rule_either_runs_above_the_county_or_says_why_not():
    from hub.cleaning import above
    from hub.cleaning.rules import CATALOGUE

    assert set(above.RUN_ABOVE) | set(above.SKIPPED_ABOVE) == set(CATALOGUE)
    assert not set(above.RUN_ABOVE) & set(above.SKIPPED_ABOVE)


@pytest.mark.skipif(not POSTGRES_URL, reason="partitioning is PostgreSQL's (set FIELDSYNC_TEST_POSTGRES_URL)")
def test_on_a_regions_partitioned_tables_the_loaded_rows_carry_the_county(tmp_path):
    """The loader's writes on hub/store/partitions.py's tables: each row in its county's partition (the ingest
    that files the records does not yet write a partitioned ``record`` table: docs/scale.md)."""
    from datetime import datetime

    from devtools.scratch import postgres_schema
    from hub.store import partitions
    from hub.store.models import Node, UpwardForwarded, UpwardStation
    from hub.upward import loader
    from hub.web.app import create_app

    station = VisitingStation(7, ["板榄镇/某村"])
    first = station.sign(visit("H1", wage=900))
    records = [first, station.sign(visit("H1", wage=2500, corrects=first.hash.hex()))]
    with postgres_schema(POSTGRES_URL) as url:
        app = create_app({"DATA_DIR": str(tmp_path / "hub"), "DATABASE_URL": url}, check_schema=False)
        with app.app_context(), db.database.connection_context():
            db.migrate()
            county = Node.create(name="融安县（柳州市）", level="county", created_at=datetime(2026, 11, 1))
            partitions.partition([county.id], [MONTH])
            UpwardStation.create(county=county, station=7, name="站点7", public_key=b"k" * 32,
                                 villages=json.dumps(station.villages, ensure_ascii=False), record=1)
            items = [loader.Forwarded(100 + r.seq, county.id, forwarded(r, 7)) for r in records]
            for item, record in zip(items, records, strict=True):
                UpwardForwarded.create(county=county, station=7, station_seq=record.seq, kind="visit", month=MONTH,
                                       hash=record.hash, record=item.record_id)
            with db.database.atomic():
                assert loader.load_forwarded(items, "2026-11-03 08:00:00") == 2
            rows = db.database.execute_sql(
                "SELECT tableoid::regclass::text, county_id, wage, superseded_by IS NULL FROM visit "
                "ORDER BY wage").fetchall()
            assert rows == [(f"visit_c{county.id}_{MONTH.replace('-', '')}", county.id, 900, False),
                            (f"visit_c{county.id}_{MONTH.replace('-', '')}", county.id, 2500, True)]
            for table in ("household", "visit_employment"):
                assert db.database.execute_sql(f"SELECT DISTINCT tableoid::regclass::text, county_id FROM {table}"
                                               ).fetchall() == [(f"{table}_c{county.id}", county.id)]
        if hasattr(db.database.obj, "close_all"):
            db.database.obj.close_all()


def test_at_a_region_a_county_under_reporting_is_flagged_naming_it_with_its_city_on_the_regions_page(
        region, runner, monkeypatch):
    from hub.cli import main
    from hub.store.models import Alarm, Node
    from tests.conftest import make_user, signed_in

    county, station = County(4, "融安县"), VisitingStation(7, ["板榄镇/某村"])
    city = Signer(region, region.test_client(), "柳州市", "city")
    assert codes(city.push([city.seal("county_keys", {"counties": [county.entry()]})])) == {}
    statement = county.seal("station_keys", {"stations": [station.entry()]})
    assert codes(city.push([city.seal("county_record", relayed(statement, 4))])) == {}
    records = [county.seal("station_record", forwarded(station.sign(visit(h, ack="not_reached")), 7))
               for h in ("H1", "H2", "H3")]
    records.append(county.seal("county_month", _month("融安县", (1, 1), 3)))
    assert codes(city.push([city.seal("county_record", relayed(r, 4)) for r in records])) == {}
    monkeypatch.setenv("FIELDSYNC_HUB_LEVEL", "region")
    result = runner.invoke(main, [*_args(region), "clean", "--period", MONTH])
    assert result.exit_code == 0 and "新增告警 1 条" in result.output, result.output
    with region.app_context(), db.database.connection_context():
        alarm = Alarm.get(Alarm.code == "COUNTY_FIGURES_DISAGREE")
        assert alarm.node_id == Node.get(Node.name == "融安县（柳州市）").id
        assert "异常条数（全县）：县报 2，按站点记录为 3" in alarm.detail
    page = signed_in(region, make_user(region, "qu", "viewer")).get(f"/region/?month={MONTH}").get_data(as_text=True)
    assert "上报数与站点记录不符" in page and "融安县（柳州市）上报的" in page and "县报 2，按站点记录为 3" in page


def test_the_cleaning_job_at_a_city_checks_the_counties_too(city):
    """A run started from the cleaning page (a job the worker takes; huey's immediate mode here) at a city runs
    the catalogue above the county and checks each county's counts, as the command does."""
    from hub.jobs import queue
    from hub.store.models import Alarm, Job
    from tests.conftest import make_user, signed_in

    queue.queue(city).immediate = True
    hiding, _ = _county_with_unacknowledged_visits(city, city.test_client(), "三江县")
    assert codes(hiding.push([hiding.seal("county_month", _month("三江县", (1, 0), 3))])) == {}
    started = signed_in(city, make_user(city, "clerk", "staff")).post("/cleaning/run", data={"period": MONTH})
    assert started.status_code == 302
    viewer = signed_in(city, make_user(city, "viewer", "viewer"))
    assert "未运行：需要县里的全部户" in viewer.get("/cleaning/").get_data(as_text=True)  # P5, skipped with why
    assert "板榄镇（三江县）" in viewer.get("/cleaning/anomalies?rule=P11").get_data(as_text=True)
    with city.app_context(), db.database.connection_context():
        assert Job.select().get().status == "done"
        alarm = Alarm.get(Alarm.code == "COUNTY_FIGURES_DISAGREE")
        assert alarm.node_id == hiding.node_id and "县报 1，按站点记录为 2" in alarm.detail


@pytest.mark.parametrize("level", ["city", "region"])
def test_visits_filed_before_the_loader_are_loaded_by_the_next_cleaning_run(app, runner, monkeypatch, level):
    """A city or region upgraded from a release without the loader holds forwarded visits in upward_forwarded
    only: its next `clean` loads them (once), corrections included, then runs over them."""
    from hub.cli import main

    app.config["HUB_LEVEL"] = level
    client, station = app.test_client(), VisitingStation(7, ["板榄镇/某村"])
    first = station.sign(visit("H1", wage=900, ack="disputed"))
    records = [first, station.sign(visit("H1", wage=2500, corrects=first.hash.hex())),
               station.sign(visit("H2", ack="disputed"))]
    if level == "city":
        county = Signer(app, client, "融安县", "county")
        county.push([county.seal("station_keys", {"stations": [station.entry()]})])
        assert codes(county.push([county.seal("station_record", forwarded(r, 7)) for r in records])) == {}
    else:
        county, city = County(4, "融安县"), Signer(app, client, "柳州市", "city")
        city.push([city.seal("county_keys", {"counties": [county.entry()]})])
        city.push([city.seal("county_record", relayed(county.seal("station_keys", {"stations": [station.entry()]}),
                                                      4))])
        wrapped = [county.seal("station_record", forwarded(r, 7)) for r in records]
        assert codes(city.push([city.seal("county_record", relayed(r, 4)) for r in wrapped])) == {}
    loaded = _loaded(app)
    with app.app_context(), db.database.connection_context():  # as a hub without the loader held them
        for model in (VisitEmployment, Visit, Household, Village, Township):
            model.delete().execute()
    monkeypatch.setenv("FIELDSYNC_HUB_LEVEL", level)
    result = runner.invoke(main, [*_args(app), "clean", "--period", MONTH])
    assert result.exit_code == 0 and "已补载此前转发的走访记录 3 条" in result.output, result.output
    assert "P11  收入未经户认可或照抄：1" in result.output  # H2; H1's disputed visit is corrected
    assert _loaded(app) == loaded
    again = runner.invoke(main, [*_args(app), "clean", "--period", MONTH])
    assert "已补载" not in again.output and _loaded(app) == loaded

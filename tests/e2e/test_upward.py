"""Reporting upward end to end (issue 17, docs/upward.md): two county hubs — one on SQLite, one on PostgreSQL when
it is configured — each with a station, and a city hub above them, all real processes over loopback.

The proofs: every station record a county forwards is held at the city once, with the station's own hash, and
verifies with the station's key; a person registered in both counties is found at the city and by neither
county's own cleaning; a county that has not reported a month by the 5th is shown late; a record a county altered
is refused with an alarm naming the county.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devtools import synthetic
from devtools.processes import BIN, Hub, Station, stop_group
from devtools.scratch import postgres_schema
from shared import keys
from shared.months import add_months
from shared.records import signature_valid
from shared.upward import person_hash
from tests.conftest import POSTGRES_URL
from tests.e2e.browser import PHONE, chromium, screenshot, signed_in_page
from tests.e2e.test_e2e_spine import as_signed, hub_query, node_id, station

pytestmark = pytest.mark.e2e
VILLAGES = synthetic.default_villages(1)[:2]
PERSON_FIELDS = ("id_number", "name", "gender", "birth_date")
PASSWORD = "市级平台-测试口令-2026"


@dataclass
class County:
    name: str
    hub: Hub
    rows: list[dict]
    station: Station


def _rosters() -> tuple[list[dict], list[dict], dict]:
    """Two counties' rosters; the first person of the first is also registered in the second (moved, registered
    again, never removed: I2 across counties)."""
    first, second = synthetic.generate_roster(31, VILLAGES, 6), synthetic.generate_roster(32, VILLAGES, 6)
    planted = first[0]
    second[0] = {**second[0], **{name: planted[name] for name in PERSON_FIELDS}}
    return first, second, planted


def _visits(node: Station, rows: list[dict], count: int, month: str) -> None:
    families: dict[str, list[dict]] = {}
    for row in rows:
        families.setdefault(row["household_id"], []).append(row)
    groups, rnd = list(families.values()), random.Random(count)
    bodies = [as_signed(node, synthetic.visit_body(rnd, groups[i % len(groups)], month, "网格员"))
              for i in range(count)]
    path = node.data_dir.parent / f"{node.data_dir.name}-{month}-{count}.json"
    path.write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
    node.cli("add", str(path))
    node.cli("sync")


@pytest.fixture
def region_key(tmp_path) -> Path:
    path = tmp_path / "region-person.key"
    path.write_bytes(random.Random(5).randbytes(32))
    return path


def _city(stack: ExitStack, tmp_path: Path) -> Hub:
    city = Hub(tmp_path / "city", env={"FIELDSYNC_HUB_LEVEL": "city"})
    city.set_up()
    city.start()
    stack.callback(lambda: city.kill())
    return city


def _county(stack: ExitStack, tmp_path: Path, city: Hub, name: str, rows: list[dict], url: str, region: Path,
            **env: str) -> County:
    """A county hub served with its roster, a station that synced, enrolled at the city."""
    county = Hub(tmp_path / name, url, env={"FIELDSYNC_REGION_PERSON_KEY_FILE": str(region), **env})
    county.set_up(rows)
    county.start()
    stack.callback(county.kill)
    node = station(county, tmp_path, f"{name}站", VILLAGES)
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", city.cli("add-county", name).stdout)[0]
    county.cli("enroll-up", "--city", city.url, "--code", code)
    return County(name, county, rows, node)


@pytest.fixture
def levels(tmp_path, region_key) -> Iterator[tuple[Hub, list[County]]]:
    """A city hub and two county hubs with a station each — one on SQLite, one on PostgreSQL when configured —
    the counties enrolled at the city."""
    first, second, _ = _rosters()
    with ExitStack() as stack:
        city = _city(stack, tmp_path)
        url = stack.enter_context(postgres_schema(POSTGRES_URL, "up")) if POSTGRES_URL else ""
        yield city, [_county(stack, tmp_path, city, "融安县", first, "", region_key),
                     _county(stack, tmp_path, city, "三江县", second, url, region_key)]


def _city_signer(city: Hub, name: str) -> int:
    return hub_query(city, "SELECT id FROM node WHERE name = ? AND level = 'county'", (name,))[0][0]


def assert_forwarded_verify(city: Hub, county: County) -> int:
    """Every record the county holds of its station is at the city once, with the station's hash, and its
    signature verifies with the station's own key (read from the station, not from the county)."""
    held = hub_query(county.hub, "SELECT seq, hash FROM record WHERE node_id = ? AND status = 'accepted' "
                     "ORDER BY seq", (node_id(county.station),))
    forwarded = hub_query(city, "SELECT f.station_seq, f.hash, r.content FROM upward_forwarded f "
                          "JOIN record r ON r.id = f.record_id WHERE f.county_id = ? AND f.station = ? "
                          "ORDER BY f.station_seq", (_city_signer(city, county.name), node_id(county.station)))
    assert [(seq, bytes(h)) for seq, h, _ in forwarded] == [(seq, bytes(h)) for seq, h in held]
    station_key = keys.load_private_key(county.station.data_dir / "node.key").public_key()
    for _, _, wrapper in forwarded:
        body = json.loads(bytes(wrapper))["body"]
        assert signature_valid(station_key, bytes.fromhex(body["prev"]), body["content"].encode(),
                               keys.b64decode(body["signature"]))
    return len(held)


def test_two_counties_report_to_the_city_verified_to_the_station(levels, region_key):
    city, counties = levels
    this_month = synthetic_month()
    overdue = add_months(this_month, -2)  # its 5th-of-the-next-month deadline has passed, whatever today is
    for county in counties:
        _visits(county.station, county.rows, 12, this_month)
        _visits(county.station, county.rows, 12, overdue)
    first, second = counties
    first.hub.cli("push-up", "--month", this_month, "--month", overdue)
    second.hub.cli("push-up", "--month", this_month)
    for county in counties:
        assert assert_forwarded_verify(city, county) == 24
    again = first.hub.cli("push-up", "--month", this_month, "--month", overdue).stdout
    assert "无新内容" in again and "新入库 0 条" in again  # idempotent: nothing staged or stored twice
    assert hub_query(city, "SELECT COUNT(*) FROM upward_forwarded")[0][0] == 48

    _, _, planted = _rosters()
    twice = hub_query(city, "SELECT person FROM upward_person GROUP BY person HAVING COUNT(DISTINCT county_id) > 1")
    assert twice == [(person_hash(region_key.read_bytes(), planted["id_number"]),)]
    city_rows = "\n".join(str(row) for row in hub_query(city, "SELECT * FROM upward_person"))
    assert planted["id_number"] not in city_rows and planted["id_number"][:6] + "*" not in city_rows
    for county in counties:  # neither county sees a duplicate: each holds the person once
        county.hub.cli("clean", "--period", this_month)
        assert hub_query(county.hub, "SELECT COUNT(*) FROM anomaly WHERE rule = 'I2'")[0][0] == 0

    reported = dict(hub_query(city, "SELECT n.name, COUNT(*) FROM upward_month m JOIN node n ON n.id = m.county_id "
                                    "GROUP BY n.name"))
    assert reported == {"融安县": 2, "三江县": 1}
    _read_the_city_page(city, counties, this_month, overdue, planted)


def _read_the_city_page(city: Hub, counties: list[County], this_month: str, overdue: str, planted: dict) -> None:
    """The city's leader reads it in a browser: who reported, who is late, the city-wide table, the duplicate."""
    city.cli("add-user", "shi", "--name", "市领导", "--role", "viewer", "--password", PASSWORD)
    with chromium() as browser:
        page = signed_in_page(browser, city.url, "shi", PASSWORD)
        page.click("text=下级平台上报汇总")
        page.fill("input[name=month]", overdue)
        page.click("form.filters button")
        page.wait_for_url(f"**month={overdue}")
        assert _statuses(page) == {"融安县": "逾期上报", "三江县": "未上报（已逾期）"}
        assert page.locator("#reports tr.warn").count() == 2
        screenshot(page, "70-city-overdue-month")
        page.goto(f"{city.url}/city/?month={this_month}")
        assert _statuses(page) == {"融安县": "按时上报", "三江县": "按时上报"}
        assert _city_total(page) == sum(_untransferred(county.hub, this_month) for county in counties) > 0
        twice = page.inner_text("#twice")
        assert "融安县" in twice and "三江县" in twice
        assert planted["household_id"] in twice
        text = page.inner_text("body")
        assert planted["id_number"] not in text and planted["name"] not in text
        screenshot(page, "71-city-this-month")


def _untransferred(county: Hub, month: str) -> int:
    """The untransferred labourers of the month as the county signed them (the county's signed upward record)."""
    figures = hub_query(county, "SELECT content FROM upward_record WHERE kind = 'county_month' ORDER BY seq")
    months = [json.loads(bytes(content))["body"] for (content,) in figures]
    return sum(row["count"] for row in [m for m in months if m["month"] == month][-1]["untransferred"])


def _city_total(page) -> int:
    return int(page.locator("#untransferred tr").last.locator("th").last.inner_text())


def _statuses(page) -> dict[str, str]:
    rows = page.locator("#reports tr").all_inner_texts()[1:]
    return {cells[0]: cells[1] for cells in (row.split("\t") for row in rows)}


def _planted_at_work(county: County, month: str, place: str) -> None:
    """A visit of the planted person's household in which the planted person (first row) works at ``place``."""
    planted = county.rows[0]
    members = [row for row in county.rows if row["household_id"] == planted["household_id"]]
    body = synthetic.visit_body(random.Random(place), members, month, "网格员")
    job = {"person": planted["id_number"], "place": place, "months": 1, "wage": 3000,
           **({"province": "广东"} if place == "outside" else {})}
    body["employment"] = [job, *[j for j in body["employment"] if j["person"] != planted["id_number"]]]
    body["income"]["wage"] = sum(j["wage"] for j in body["employment"])
    path = county.station.data_dir.parent / f"{county.station.data_dir.name}-planted-{month}.json"
    path.write_text(json.dumps([as_signed(county.station, body)], ensure_ascii=False), encoding="utf-8")
    county.station.cli("add", str(path))
    county.station.cli("sync")


def test_a_labourer_transferred_in_both_counties_is_found_and_a_move_withdrawn(levels, region_key):
    """The planted person works in both counties' visits of the month: the city finds the double count, names
    both counties, and no ID number goes up; then 融安县 marks the person 迁出 and re-imports its roster: after its
    next push-up the city no longer holds the person as registered twice (and still as transferred twice)."""
    city, counties = levels
    month = synthetic_month()
    for county, place in zip(counties, ("outside", "county"), strict=True):
        _visits(county.station, county.rows, 6, month)
        _planted_at_work(county, month, place)
        county.hub.cli("push-up", "--month", month)
    _, _, planted = _rosters()
    code = person_hash(region_key.read_bytes(), planted["id_number"])
    sql = ("SELECT n.name, t.place FROM upward_transferred t JOIN node n ON n.id = t.county_id "
           "WHERE t.person = ? AND t.month = ? AND t.withdrawn = ? ORDER BY n.name")
    assert hub_query(city, sql, (code, month, False)) == [("三江县", "county"), ("融安县", "outside")]
    facts = "\n".join(str(row) for row in hub_query(city, "SELECT * FROM upward_transferred"))
    assert planted["id_number"] not in facts and "3000" not in facts
    assert hub_query(city, "SELECT COUNT(*) FROM upward_kept")[0][0] == 0  # format-3 stations: every record goes up

    first = counties[0]
    moved = [{**row, "status": "迁出"} if row["id_number"] == planted["id_number"] else row for row in first.rows]
    roster = first.hub.data_dir.parent / "roster-moved.csv"
    synthetic.write_roster_csv(moved, roster)
    first.hub.cli("import-roster", str(roster))
    assert "撤回人员 1 条" in first.hub.cli("push-up", "--month", month).stdout
    held = hub_query(city, "SELECT n.name, p.withdrawn FROM upward_person p JOIN node n ON n.id = p.county_id "
                           "WHERE p.person = ? ORDER BY n.name", (code,))
    assert [(name, bool(withdrawn)) for name, withdrawn in held] == [("三江县", False), ("融安县", True)]

    city.cli("add-user", "shi", "--name", "市领导", "--role", "viewer", "--password", PASSWORD)
    with chromium() as browser:
        page = signed_in_page(browser, city.url, "shi", PASSWORD)
        page.goto(f"{city.url}/city/?month={month}")
        transferred = page.inner_text("#transferred")
        assert "融安县（省外" in transferred and "三江县（县内" in transferred and code[:10] in transferred
        assert code not in page.inner_text("body") and page.locator("#twice").count() == 0
        assert "没有发现同一人在两个县登记" in page.inner_text("body")
        assert "各县转发的站点记录前后相连" in page.inner_text("body")
        screenshot(page, "72-city-transferred-twice")


def _hide_visits(county: Hub, household: str) -> None:
    """What a county that edits its database behind the records would do: make a household's visits stop
    counting (marked superseded by themselves), so its coverage figure drops while the station records stand."""
    _county_sql(county, "UPDATE visit SET superseded_by = id WHERE household_id = "
                "(SELECT id FROM household WHERE number = ?)", (household,))


def test_figures_altered_in_a_countys_database_raise_an_alarm_naming_the_county_and_figure(levels):
    city, counties = levels
    month = synthetic_month()
    honest, altered = counties
    for county in counties:
        _visits(county.station, county.rows, 8, month)
    honest.hub.cli("push-up", "--month", month)
    _hide_visits(altered.hub, altered.rows[0]["household_id"])
    altered.hub.cli("push-up", "--month", month)
    alarms = hub_query(city, "SELECT n.name, a.code, a.detail FROM alarm a JOIN node n ON n.id = a.node_id")
    assert [(name, code) for name, code, _ in alarms] == [(altered.name, "COUNTY_FIGURES_DISAGREE")]
    assert "走访覆盖户数" in alarms[0][2] and "县报 7，按站点记录为 8" in alarms[0][2]  # 8 households visited, 1 hidden


@pytest.fixture
def by_township(tmp_path, region_key) -> Iterator[tuple[Hub, list[County], list[Station]]]:
    """A city and two county hubs (one on PostgreSQL when configured), each with a station per township: one for
    the first village (its township), one for the second; the second county's pair of stations last."""
    first, second, _ = _rosters()
    with ExitStack() as stack:
        city = _city(stack, tmp_path)
        url = stack.enter_context(postgres_schema(POSTGRES_URL, "tw")) if POSTGRES_URL else ""
        counties, stations = [], []
        for name, rows, database in (("融安县", first, ""), ("三江县", second, url)):
            hub = Hub(tmp_path / name, database, env={"FIELDSYNC_REGION_PERSON_KEY_FILE": str(region_key)})
            hub.set_up(rows)
            hub.start()
            stack.callback(hub.kill)
            pair = [station(hub, tmp_path, f"{name}站{n}", [village]) for n, village in enumerate(VILLAGES)]
            code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", city.cli("add-county", name).stdout)[0]
            hub.cli("enroll-up", "--city", city.url, "--code", code)
            counties.append(County(name, hub, rows, pair[0]))
            stations.extend(pair)
        yield city, counties, stations


def test_a_township_figure_altered_in_a_countys_database_is_flagged_naming_the_township(by_township):
    """The altered county moves a visited household into the other township in its database: its county-wide
    total still agrees, its two townships' figures do not — the city names each, with both numbers."""
    city, counties, stations = by_township
    month = synthetic_month()
    for index, county in enumerate(counties):
        for station_, village in zip(stations[2 * index:2 * index + 2], VILLAGES, strict=True):
            _visits(station_, [r for r in county.rows if (r["township"], r["village"]) == village], 4, month)
    honest, altered = counties
    honest.hub.cli("push-up", "--month", month)
    moved = next(r for r in altered.rows if (r["township"], r["village"]) == VILLAGES[0])["household_id"]
    _county_sql(altered.hub, "UPDATE household SET village_id = (SELECT id FROM village WHERE name = ?) "
                "WHERE number = ?", (VILLAGES[1][1], moved))  # behind the records: its visits stay as signed
    altered.hub.cli("push-up", "--month", month)
    alarms = hub_query(city, "SELECT n.name, a.code, a.detail FROM alarm a JOIN node n ON n.id = a.node_id")
    assert [(name, code) for name, code, _ in alarms] == [(altered.name, "COUNTY_FIGURES_DISAGREE")]
    detail = alarms[0][2]
    coverage = {row["township"]: row["visited"] for row in _signed_month(altered.hub, month)["coverage"]}
    (one, _), (two, _) = VILLAGES
    assert f"走访覆盖户数（{one}）：县报 {coverage[one]}，按站点记录为 {coverage[one] + 1}" in detail
    assert f"走访覆盖户数（{two}）：县报 {coverage[two]}，按站点记录为 {coverage[two] - 1}" in detail
    assert month in detail and "全县" not in detail  # the total agrees: only the townships show it


def _county_sql(county: Hub, sql: str, params: tuple) -> None:
    """A statement run in the county's database, as a county editing it behind the records would."""
    if county.database_url:
        import psycopg2

        with psycopg2.connect(county.database_url) as conn, conn.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params)
    else:
        with sqlite3.connect(county.data_dir / "hub.db") as conn:
            conn.execute(sql, params)


def _signed_month(county: Hub, month: str) -> dict:
    figures = hub_query(county, "SELECT content FROM upward_record WHERE kind = 'county_month' ORDER BY seq")
    return [body for body in (json.loads(bytes(content))["body"] for (content,) in figures)
            if body["month"] == month][-1]


def _unacknowledged_visits(node: Station, rows: list[dict], count: int, month: str) -> None:
    """``count`` visits of the month whose figures the household disputed: P11 finds each, at the county and at
    the city alike."""
    families: dict[str, list[dict]] = {}
    for row in rows:
        families.setdefault(row["household_id"], []).append(row)
    groups, rnd = list(families.values())[:count], random.Random(count)
    bodies = []
    for members in groups:
        body = synthetic.visit_body(rnd, members, month, "网格员")
        bodies.append(as_signed(node, {**body, "ack": {"status": "disputed", "by": "户主"}}))
    path = node.data_dir.parent / f"{node.data_dir.name}-{month}-disputed.json"
    path.write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
    node.cli("add", str(path))
    node.cli("sync")


def _delete_anomalies(county: Hub, rule: str, keep: int) -> None:
    """What a county that hides its anomalies would do: delete all but ``keep`` of a rule's from its database."""
    _county_sql(county, "DELETE FROM anomaly WHERE rule = ? AND id NOT IN "
                "(SELECT id FROM anomaly WHERE rule = ? ORDER BY id LIMIT ?)", (rule, rule, keep))


def test_a_county_hiding_anomalies_is_flagged_by_the_citys_own_cleaning_run_and_an_honest_one_is_not(levels):
    """Both counties clean the month and report it; 三江县 deletes two of its P11 anomalies first.  The city loads
    every forwarded visit into its own cleaning tables, runs the rules it can, and flags the county reporting
    fewer than its visits show — naming it, the month, the rule and both numbers, on the city's page."""
    city, counties = levels
    month = synthetic_month()
    honest, hiding = counties
    for county in counties:
        _unacknowledged_visits(county.station, county.rows, 5, month)
        county.hub.cli("clean", "--period", month)
    _delete_anomalies(hiding.hub, "P11", keep=3)
    for county in counties:
        county.hub.cli("push-up", "--month", month)
    loaded = hub_query(city, "SELECT t.local_name, COUNT(*) FROM visit v JOIN household h ON h.id = v.household_id "
                             "JOIN village g ON g.id = h.village_id JOIN township t ON t.id = g.township_id "
                             "GROUP BY t.local_name")
    assert sum(count for _, count in loaded) == 10  # every forwarded visit, in its county's townships
    cleaned = city.cli("clean", "--period", month).stdout
    assert "P11  收入未经户认可或照抄：10" in cleaned and "未运行（需要身份证号码" in cleaned
    alarms = hub_query(city, "SELECT n.name, a.code, a.detail FROM alarm a JOIN node n ON n.id = a.node_id")
    assert [(name, code) for name, code, _ in alarms] == [(hiding.name, "COUNTY_FIGURES_DISAGREE")]
    assert month in alarms[0][2]
    assert "P11（收入未经户认可或照抄）异常条数（全县）：县报 3，按站点记录为 5" in alarms[0][2]
    city.cli("add-user", "shi", "--name", "市领导", "--role", "viewer", "--password", PASSWORD)
    with chromium() as browser:
        page = signed_in_page(browser, city.url, "shi", PASSWORD)
        page.goto(f"{city.url}/city/?month={month}")
        shown = page.inner_text("#alarms")
        assert "三江县" in shown and "上报数与站点记录不符" in shown and "县报 3，按站点记录为 5" in shown
        assert "融安县" not in shown
        screenshot(page, "73-city-anomalies-under-reported")


def test_a_record_the_county_altered_is_refused_with_an_alarm_naming_it(levels):
    city, counties = levels
    county = counties[0]
    _visits(county.station, county.rows, 5, synthetic_month())
    county.hub.cli("push-up")
    _visits(county.station, county.rows, 3, synthetic_month())
    last = hub_query(county.hub, "SELECT MAX(seq) FROM record WHERE node_id = ?", (node_id(county.station),))[0][0]
    _alter(county.hub, node_id(county.station), last)
    refused = county.hub.cli("push-up", check=False)
    assert refused.returncode == 2 and "STATION_RECORD_FORGED" in refused.stdout
    alarms = hub_query(city, "SELECT code, detail FROM alarm WHERE node_id = ?", (_city_signer(city, county.name),))
    assert [code for code, _ in alarms] == ["STATION_RECORD_FORGED"]
    assert county.name in alarms[0][1]
    held = hub_query(city, "SELECT station_seq FROM upward_forwarded ORDER BY station_seq")
    assert [seq for (seq,) in held] == list(range(1, last))  # the good ones went up; the altered one did not


def _alter(county: Hub, station: int, seq: int) -> None:
    """What a county that edits a station's figure after the fact would do: change one digit of the wage."""
    sql = "SELECT content FROM record WHERE node_id = ? AND seq = ?"
    content = bytes(hub_query(county, sql, (station, seq))[0][0])
    altered = re.sub(rb'"wage":(\d)', lambda m: b'"wage":' + str((int(m[1]) + 1) % 10).encode(), content, count=1)
    assert altered != content
    if county.database_url:
        import psycopg2

        with psycopg2.connect(county.database_url) as conn, conn.cursor() as cursor:
            cursor.execute("UPDATE record SET content = %s WHERE node_id = %s AND seq = %s", (altered, station, seq))
    else:
        with sqlite3.connect(county.data_dir / "hub.db") as conn:
            conn.execute("UPDATE record SET content = ? WHERE node_id = ? AND seq = ?", (altered, station, seq))


def synthetic_month() -> str:
    """This month where the hubs are (their TIMEZONE), as the city's page counts it."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


def assert_city_holds_once(city: Hub, county: County) -> None:
    """The city holds the county's whole upward chain, each record once, with the county's hashes."""
    chain = hub_query(county.hub, "SELECT seq, hash FROM upward_record ORDER BY seq")
    held = hub_query(city, "SELECT seq, hash FROM record WHERE node_id = ? ORDER BY seq",
                     (_city_signer(city, county.name),))
    assert [(seq, bytes(h)) for seq, h in held] == [(seq, bytes(h)) for seq, h in chain]
    assert {status for (status,) in hub_query(county.hub, "SELECT DISTINCT status FROM upward_record")} == {"sent"}


def test_a_county_offline_catches_up_and_a_city_killed_mid_push_loses_and_duplicates_nothing(tmp_path, region_key):
    first, _, _ = _rosters()
    with ExitStack() as stack:
        city = _city(stack, tmp_path)
        county = _county(stack, tmp_path, city, "融安县", first, "", region_key, FIELDSYNC_UPWARD_BATCH_SIZE="4")
        _visits(county.station, county.rows, 20, synthetic_month())
        city.stop()
        offline = county.hub.cli("push-up", check=False)
        assert offline.returncode == 1 and "连接不上市级平台" in offline.stderr
        _visits(county.station, county.rows, 200, synthetic_month())  # the county carries on meanwhile
        city.start()
        pushing = subprocess.Popen([str(BIN / "fieldsync-hub"), "--data-dir", str(county.hub.data_dir), "push-up"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   env={**os.environ, **county.hub.env})
        signer = _city_signer(city, county.name)
        deadline = time.monotonic() + 120
        while hub_query(city, "SELECT COUNT(*) FROM record WHERE node_id = ?", (signer,))[0][0] < 20:
            assert time.monotonic() < deadline and pushing.poll() is None, "the push ended before the kill"
            time.sleep(0.05)
        city.kill()
        assert pushing.wait(timeout=120) == 1
        held = hub_query(city, "SELECT COUNT(*) FROM record WHERE node_id = ?", (signer,))[0][0]
        total = hub_query(county.hub, "SELECT COUNT(*) FROM upward_record")[0][0]
        assert 20 <= held < total
        city.start()
        county.hub.cli("push-up")
        assert_city_holds_once(city, county)
        assert assert_forwarded_verify(city, county) == 220
        _restored_from_an_old_backup(city, county)


def _restored_from_an_old_backup(city: Hub, county: County) -> None:
    """The county's database comes back from a backup older than what the city holds: the station sends the
    county what it lost, the county continues its chain after the city's records, nothing is refused or doubled."""
    backup = county.hub.data_dir.parent / "county-backup"
    county.hub.cli("backup", str(backup))
    _visits(county.station, county.rows, 10, synthetic_month())
    county.hub.cli("push-up")
    county.hub.stop()
    county.hub.cli("restore", str(backup), "--yes")
    county.hub.start()
    county.station.cli("sync")  # the station sends again what the restored county lacks
    after = county.hub.cli("push-up").stdout
    assert "拒收 0 条" in after
    assert assert_forwarded_verify(city, county) == 230
    signer = _city_signer(city, county.name)
    assert hub_query(city, "SELECT quarantined_at FROM node WHERE id = ?", (signer,)) == [(None,)]
    assert hub_query(city, "SELECT COUNT(*) FROM alarm WHERE node_id = ?", (signer,)) == [(0,)]


def test_the_worker_pushes_the_month_up_without_push_up_being_typed(tmp_path, region_key):
    """`fieldsync-hub worker` on the county (its push-up task made due every minute) sends the month to a real
    city hub; the county's leader reads on the county's own page, on a phone, that the worker sent it."""
    first, _, _ = _rosters()
    with ExitStack() as stack:
        city = _city(stack, tmp_path)
        county = _county(stack, tmp_path, city, "融安县", first, "", region_key, FIELDSYNC_UPWARD_EVERY_MINUTES="1")
        month = synthetic_month()
        _visits(county.station, county.rows, 6, month)
        log = (tmp_path / "county-worker.log").open("ab")
        worker = subprocess.Popen([str(BIN / "fieldsync-hub"), "--data-dir", str(county.hub.data_dir), "worker"],
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                  env={**os.environ, **county.hub.env})
        stack.callback(lambda: stop_group(worker, signal.SIGINT))
        signer = _city_signer(city, county.name)
        deadline = time.monotonic() + 180  # huey asks each minute; the first full minute pushes
        while not hub_query(city, "SELECT month FROM upward_month WHERE county_id = ?", (signer,)):
            assert time.monotonic() < deadline and worker.poll() is None, "the worker sent no month up"
            time.sleep(1)
        assert hub_query(city, "SELECT month FROM upward_month WHERE county_id = ?", (signer,)) == [(month,)]
        assert assert_forwarded_verify(city, county) == 6
        pushes = hub_query(county.hub, "SELECT actor, outcome FROM upward_push")
        assert pushes and set(pushes) == {("worker", "done")}
        _read_the_county_page(county, month)


def _read_the_county_page(county: County, month: str) -> None:
    county.hub.cli("add-user", "xian", "--name", "县领导", "--role", "viewer", "--password", PASSWORD)
    with chromium() as browser:
        page = signed_in_page(browser, county.hub.url, "xian", PASSWORD, viewport=PHONE)
        page.click("text=向市级平台上报")
        assert "自动上报" in page.inner_text("#last") and "上报完成" in page.inner_text("#last")
        assert month in page.inner_text("#months")
        assert "没有待上报的内容" in page.inner_text("#waiting")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
        screenshot(page, "72-county-upward-state")


def _real_roster(county: Hub, region: Path) -> dict[str, str]:
    """The county's roster as its database holds it: keyed hash -> household number (moved out: not on it)."""
    rows = hub_query(county, "SELECT p.id_number, h.number FROM person p JOIN household h ON h.id = p.household_id "
                             "WHERE p.id_number <> '' AND p.status <> ?", ("迁出",))
    return {person_hash(region.read_bytes(), number): household for number, household in rows}


def _held_at_the_city(city: Hub, county: County) -> dict[str, str]:
    rows = hub_query(city, "SELECT person, household FROM upward_person WHERE county_id = ? AND NOT withdrawn",
                     (_city_signer(city, county.name),))
    return dict(rows)


TWICE = "SELECT person FROM upward_person WHERE NOT withdrawn GROUP BY person HAVING COUNT(DISTINCT county_id) > 1"


def test_a_county_restored_from_an_old_backup_withdraws_what_it_sent_after_the_backup(tmp_path, region_key):
    """After its backup 融安县 registers a person who lives in 三江县 (in a household of its own, in place of one of
    its members) and pushes: the city rightly shows the person registered in two counties.  融安县's database is
    then restored from the backup — the registration never happened there, the member is back.  After its next
    push-up the city holds exactly 融安县's real roster: no false "registered in two counties", the member
    registered again; the county's chain at the city is whole, each record once, nothing refused, no alarm."""
    first, second = synthetic.generate_roster(31, VILLAGES, 6), synthetic.generate_roster(32, VILLAGES, 6)
    with ExitStack() as stack:
        city = _city(stack, tmp_path)
        url = stack.enter_context(postgres_schema(POSTGRES_URL, "uprestore")) if POSTGRES_URL else ""
        restored = _county(stack, tmp_path, city, "融安县", first, "", region_key)
        other = _county(stack, tmp_path, city, "三江县", second, url, region_key)
        for county in (restored, other):
            county.hub.cli("push-up")
            assert _held_at_the_city(city, county) == _real_roster(county.hub, region_key)
        backup = tmp_path / "county-backup"
        restored.hub.cli("backup", str(backup))

        lives_in_other, replaced = second[1], first[1]
        changed = [{**row, **{name: lives_in_other[name] for name in PERSON_FIELDS}} if row is replaced else row
                   for row in first]
        roster = tmp_path / "roster-after-the-backup.csv"
        synthetic.write_roster_csv(changed, roster)
        restored.hub.cli("import-roster", str(roster))
        restored.hub.cli("push-up")
        twice = person_hash(region_key.read_bytes(), lives_in_other["id_number"])
        assert [person for (person,) in hub_query(city, TWICE)] == [twice]  # true, for now

        restored.hub.stop()
        restored.hub.cli("restore", str(backup), "--yes")
        restored.hub.start()
        after = restored.hub.cli("push-up").stdout
        assert "拒收 0 条" in after
        assert hub_query(city, TWICE) == []
        real = _real_roster(restored.hub, region_key)
        assert person_hash(region_key.read_bytes(), replaced["id_number"]) in real
        assert _held_at_the_city(city, restored) == real and _held_at_the_city(city, other) == _real_roster(
            other.hub, region_key)
        signer = _city_signer(city, restored.name)
        chain = dict(hub_query(restored.hub, "SELECT seq, hash FROM upward_record WHERE kind <> 'resumed'"))
        held = dict(hub_query(city, "SELECT seq, hash FROM record WHERE node_id = ? AND status = 'accepted'",
                              (signer,)))
        assert sorted(held) == list(range(1, max(chain) + 1))  # one chain, each record once, nothing refused
        assert all(bytes(held[seq]) == bytes(hash_) for seq, hash_ in chain.items())  # resumed after the city's
        assert hub_query(city, "SELECT COUNT(*) FROM alarm WHERE node_id = ?", (signer,)) == [(0,)]
        again = restored.hub.cli("push-up").stdout
        assert "无新内容" in again  # the reset is made once

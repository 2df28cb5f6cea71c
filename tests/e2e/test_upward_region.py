"""Reporting up to the region end to end (issue 17, docs/upward.md, the region level): two county hubs — one on
SQLite, one on PostgreSQL when it is configured — each with a station, a city hub above them and a region hub
(on PostgreSQL when configured) above the city, all real processes over loopback.

The proofs: every station record reaches the region once, and the test verifies each itself, link by link — the
city's signature on its chain, the city's statement giving the county's key, the county's signature on the record
it sent, the station's signature inside; a person registered in both counties is found at the region; a record the
city altered is refused at the region with an alarm naming the city; a city offline catches up, and a region
killed mid-push loses and duplicates nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from devtools import synthetic
from devtools.processes import BIN, Hub
from devtools.scratch import postgres_schema
from shared import keys
from shared.records import record_hash, signature_valid
from shared.upward import person_hash
from tests.conftest import POSTGRES_URL
from tests.e2e.browser import chromium, screenshot, signed_in_page
from tests.e2e.test_e2e_spine import hub_query, node_id, station
from tests.e2e.test_upward import (
    VILLAGES,
    County,
    _city,
    _city_signer,
    _county,
    _real_roster,
    _rosters,
    _visits,
    synthetic_month,
)
from tests.e2e.test_upward import region_key as region_key  # the fixture

pytestmark = pytest.mark.e2e
CITY = "柳州市"
PASSWORD = "区级平台-测试口令-2026"
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


def _region(stack: ExitStack, tmp_path: Path, url: str) -> Hub:
    region = Hub(tmp_path / "region", url, env={"FIELDSYNC_HUB_LEVEL": "region"})
    region.set_up()
    region.start()
    stack.callback(lambda: region.kill())
    return region


@pytest.fixture
def chain(tmp_path, region_key) -> Iterator[tuple[Hub, Hub, list[County]]]:
    """A region hub, a city hub enrolled there, two county hubs with a station each enrolled at the city."""
    first, second, _ = _rosters()
    with ExitStack() as stack:
        schema = (lambda prefix: stack.enter_context(postgres_schema(POSTGRES_URL, prefix))) if POSTGRES_URL \
            else (lambda prefix: "")
        region = _region(stack, tmp_path, schema("upregion"))
        city = _city(stack, tmp_path)
        code = CODE.search(region.cli("add-city", CITY).stdout)[0]
        assert "已在区级平台登记" in city.cli("enroll-up", "--city", region.url, "--code", code).stdout
        yield region, city, [_county(stack, tmp_path, city, "融安县", first, "", region_key),
                             _county(stack, tmp_path, city, "三江县", second, schema("upcounty"), region_key)]


def _relayed_node(region: Hub, county: County) -> int:
    return hub_query(region, "SELECT node_id FROM upward_relay WHERE name = ?", (county.name,))[0][0]


def _county_key(region: Hub, county: County) -> bytes:
    """The county's upward key as the city's statement gives it at the region — and as the county holds it."""
    held = bytes(hub_query(region, "SELECT public_key FROM upward_relay WHERE name = ?", (county.name,))[0][0])
    assert held == keys.public_bytes(keys.load_private_key(county.hub.data_dir / "upward.key"))
    return held


def assert_verified_to_the_station(region: Hub, county: County) -> int:
    """Every record the county holds of its station is at the region once, with the station's hash; each verifies
    link by link: the county's key (from the city's statement) on the county's record, the station's key (read
    from the station itself) on the station's record inside it."""
    held = hub_query(county.hub, "SELECT seq, hash FROM record WHERE node_id = ? AND status = 'accepted' "
                     "ORDER BY seq", (node_id(county.station),))
    forwarded = hub_query(region, "SELECT f.station_seq, f.hash, r.content FROM upward_forwarded f "
                          "JOIN record r ON r.id = f.record_id WHERE f.county_id = ? AND f.station = ? "
                          "ORDER BY f.station_seq", (_relayed_node(region, county), node_id(county.station)))
    assert [(seq, bytes(h)) for seq, h, _ in forwarded] == [(seq, bytes(h)) for seq, h in held]
    county_key = keys.public_key_from_bytes(_county_key(region, county))
    station_key = keys.load_private_key(county.station.data_dir / "node.key").public_key()
    for _, _, wrapper in forwarded:
        by_city = json.loads(bytes(wrapper))["body"]  # the city's county_record
        assert signature_valid(county_key, bytes.fromhex(by_city["prev"]), by_city["content"].encode(),
                               keys.b64decode(by_city["signature"]))
        by_county = json.loads(by_city["content"])["body"]  # the county's station_record
        assert signature_valid(station_key, bytes.fromhex(by_county["prev"]), by_county["content"].encode(),
                               keys.b64decode(by_county["signature"]))
    return len(held)


def assert_region_holds_the_citys_chain_once(region: Hub, city: Hub) -> None:
    chain = hub_query(city, "SELECT seq, hash FROM upward_record ORDER BY seq")
    signer = hub_query(region, "SELECT id FROM node WHERE name = ? AND level = 'city'", (CITY,))[0][0]
    held = hub_query(region, "SELECT seq, hash FROM record WHERE node_id = ? ORDER BY seq", (signer,))
    assert [(seq, bytes(h)) for seq, h in held] == [(seq, bytes(h)) for seq, h in chain]
    assert {status for (status,) in hub_query(city, "SELECT DISTINCT status FROM upward_record")} == {"sent"}


def assert_partitioned_on_postgres(region: Hub) -> None:
    """On PostgreSQL the region's `init` partitioned its received tables (docs/scale.md): each county's visits are
    in its month's partition, made as they arrived, and the city's records in the city's."""
    if not region.database_url:
        return
    where = hub_query(region, "SELECT tableoid::regclass::text, county_id, month FROM upward_forwarded "
                              "WHERE month IS NOT NULL")
    assert len(where) == 24
    assert {name for name, county, month in where} == {
        f"upward_forwarded_c{county}_{month.replace('-', '')}" for _, county, month in where}
    signer = hub_query(region, "SELECT id FROM node WHERE name = ? AND level = 'city'", (CITY,))[0][0]
    assert hub_query(region, "SELECT DISTINCT tableoid::regclass::text FROM record") == [(f"record_n{signer}",)]


def test_two_counties_through_a_city_to_the_region_verified_to_the_station(chain, region_key):
    region, city, counties = chain
    month = synthetic_month()
    for county in counties:
        _visits(county.station, county.rows, 12, month)
        county.hub.cli("push-up", "--month", month)
    pushed = city.cli("push-up").stdout
    assert "县级密钥声明 1 条" in pushed and "拒收 0 条" in pushed
    for county in counties:
        assert assert_verified_to_the_station(region, county) == 12
    assert_region_holds_the_citys_chain_once(region, city)
    again = city.cli("push-up").stdout
    assert "无新内容" in again and "新入库 0 条" in again  # idempotent: nothing staged or stored twice
    assert hub_query(region, "SELECT COUNT(*) FROM upward_forwarded")[0][0] == 24
    assert_partitioned_on_postgres(region)

    _, _, planted = _rosters()
    twice = hub_query(region, "SELECT person FROM upward_person GROUP BY person "
                              "HAVING COUNT(DISTINCT county_id) > 1")
    assert twice == [(person_hash(region_key.read_bytes(), planted["id_number"]),)]
    region_rows = "\n".join(str(row) for row in hub_query(region, "SELECT * FROM upward_person"))
    assert planted["id_number"] not in region_rows
    reported = dict(hub_query(region, "SELECT n.name, m.month FROM upward_month m JOIN node n ON n.id = m.county_id"))
    assert reported == {f"融安县（{CITY}）": month, f"三江县（{CITY}）": month}
    loaded = hub_query(region, "SELECT t.name, COUNT(*) FROM visit v JOIN household h ON h.id = v.household_id "
                               "JOIN village g ON g.id = h.village_id JOIN township t ON t.id = g.township_id "
                               "GROUP BY t.name")
    assert sum(count for _, count in loaded) == 24  # every visit, loaded through the city into its county's places
    assert {name.split("（", 1)[1] for name, _ in loaded} == {f"融安县（{CITY}））", f"三江县（{CITY}））"}
    cleaned = region.cli("clean", "--period", month).stdout
    assert "未运行（需要身份证号码" in cleaned and "各县上报的" in cleaned
    _read_the_region_page(region, month, planted)


def _read_the_region_page(region: Hub, month: str, planted: dict) -> None:
    """The region's leader reads it in a browser: both counties reported, named with their city; the duplicate."""
    region.cli("add-user", "qu", "--name", "区领导", "--role", "viewer", "--password", PASSWORD)
    with chromium() as browser:
        page = signed_in_page(browser, region.url, "qu", PASSWORD)
        page.click("text=下级平台上报汇总")
        page.wait_for_url("**/region/")
        page.goto(f"{region.url}/region/?month={month}")
        rows = page.locator("#reports tr").all_inner_texts()[1:]
        assert {row.split("\t")[0]: row.split("\t")[1] for row in rows} == {
            f"融安县（{CITY}）": "按时上报", f"三江县（{CITY}）": "按时上报"}
        assert "全区" in page.inner_text("#untransferred")
        twice = page.inner_text("#twice")
        assert f"融安县（{CITY}）" in twice and f"三江县（{CITY}）" in twice and planted["household_id"] in twice
        text = page.inner_text("body")
        assert planted["id_number"] not in text and planted["name"] not in text
        screenshot(page, "72-region-this-month")


def test_a_record_the_city_altered_is_refused_at_the_region_with_an_alarm_naming_the_city(chain):
    region, city, counties = chain
    county = counties[0]
    _visits(county.station, county.rows, 5, synthetic_month())
    county.hub.cli("push-up")
    city.cli("push-up")
    _visits(county.station, county.rows, 3, synthetic_month())
    county.hub.cli("push-up")
    signer = _city_signer(city, county.name)
    last = hub_query(city, "SELECT MAX(seq) FROM record WHERE node_id = ? AND kind = 'station_record'",
                     (signer,))[0][0]
    _alter_at_the_city(city, signer, last)
    refused = city.cli("push-up", check=False)
    assert refused.returncode == 2 and "COUNTY_RECORD_FORGED" in refused.stdout
    city_at_region = hub_query(region, "SELECT id FROM node WHERE name = ? AND level = 'city'", (CITY,))[0][0]
    alarms = hub_query(region, "SELECT code, detail FROM alarm WHERE node_id = ?", (city_at_region,))
    assert [code for code, _ in alarms] == ["COUNTY_RECORD_FORGED"] and CITY in alarms[0][1]
    held = hub_query(region, "SELECT station_seq FROM upward_forwarded WHERE county_id = ? ORDER BY station_seq",
                     (_relayed_node(region, county),))
    assert [seq for (seq,) in held] == list(range(1, 8))  # the good ones went up; the altered one (8) did not
    assert hub_query(region, "SELECT COUNT(*) FROM alarm WHERE node_id <> ?", (city_at_region,)) == [(0,)]


def _alter_at_the_city(city: Hub, county: int, seq: int) -> None:
    """What a city that edits a county's figure after the fact would do: change one digit of a wage inside the
    station record the county forwarded (the station's content is a JSON string inside the county's record)."""
    content = bytes(hub_query(city, "SELECT content FROM record WHERE node_id = ? AND seq = ?", (county, seq))[0][0])
    altered = re.sub(rb'\\"wage\\":(\d)', lambda m: b'\\"wage\\":' + str((int(m[1]) + 1) % 10).encode(), content,
                     count=1)
    assert altered != content
    import sqlite3

    with sqlite3.connect(city.data_dir / "hub.db") as conn:  # the city hub runs on SQLite here
        conn.execute("UPDATE record SET content = ? WHERE node_id = ? AND seq = ?", (altered, county, seq))


def test_a_city_offline_catches_up_and_a_region_killed_mid_push_loses_and_duplicates_nothing(tmp_path, region_key):
    """The spine's fault suite one level up: the city's push is the county's client, so it resumes the same way."""
    first, _, _ = _rosters()
    with ExitStack() as stack:
        region = _region(stack, tmp_path, stack.enter_context(postgres_schema(POSTGRES_URL, "upfault"))
                         if POSTGRES_URL else "")
        city = Hub(tmp_path / "city", env={"FIELDSYNC_HUB_LEVEL": "city", "FIELDSYNC_UPWARD_BATCH_SIZE": "4"})
        city.set_up()
        city.start()
        stack.callback(lambda: city.kill())
        city.cli("enroll-up", "--city", region.url, "--code", CODE.search(region.cli("add-city", CITY).stdout)[0])
        county = _county(stack, tmp_path, city, "融安县", first, "", region_key)
        _visits(county.station, county.rows, 20, synthetic_month())
        county.hub.cli("push-up")
        region.stop()
        offline = city.cli("push-up", check=False)
        assert offline.returncode == 1 and "连接不上区级平台" in offline.stderr
        _visits(county.station, county.rows, 200, synthetic_month())  # the county and the city carry on meanwhile
        county.hub.cli("push-up")
        region.start()
        pushing = subprocess.Popen([str(BIN / "fieldsync-hub"), "--data-dir", str(city.data_dir), "push-up"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **city.env})
        signer = hub_query(region, "SELECT id FROM node WHERE name = ? AND level = 'city'", (CITY,))[0][0]
        deadline = time.monotonic() + 120
        while hub_query(region, "SELECT COUNT(*) FROM record WHERE node_id = ?", (signer,))[0][0] < 20:
            assert time.monotonic() < deadline and pushing.poll() is None, "the push ended before the kill"
            time.sleep(0.05)
        region.kill()
        assert pushing.wait(timeout=120) == 1
        held = hub_query(region, "SELECT COUNT(*) FROM record WHERE node_id = ?", (signer,))[0][0]
        assert 20 <= held < hub_query(city, "SELECT COUNT(*) FROM upward_record")[0][0]
        region.start()
        assert "拒收 0 条" in city.cli("push-up").stdout
        assert_region_holds_the_citys_chain_once(region, city)
        assert assert_verified_to_the_station(region, county) == 220
        assert hub_query(region, "SELECT COUNT(*) FROM alarm") == [(0,)]


def _newest_figures(county: County, month: str) -> dict:
    rows = hub_query(county.hub, "SELECT content FROM upward_record WHERE kind = 'county_month' ORDER BY seq")
    return [body for body in (json.loads(bytes(content))["body"] for (content,) in rows) if body["month"] == month][-1]


def _county_records_at_the_region(region: Hub, county: County) -> list[tuple[int, bytes]]:
    """Each county record the region holds for ``county`` (forwarded in the city's county_record), by the county's
    seq and its hash, without the copies a restored city forwarded again."""
    found = set()
    for (content,) in hub_query(region, "SELECT content FROM record WHERE kind = 'county_record' AND status = ?",
                                ("accepted",)):
        body = json.loads(bytes(content))["body"]
        if body["county"] == _county_number(county):
            found.add((body["seq"], record_hash(bytes.fromhex(body["prev"]), body["content"].encode())))
    return sorted(found)


def _county_number(county: County) -> int:
    return hub_query(county.hub, "SELECT signer_id FROM upward_link")[0][0]


def test_a_city_restored_from_an_old_backup_pushes_again_and_the_region_holds_each_county_record_once(
        chain, region_key, tmp_path):
    """The city's database comes back from a backup taken mid-way — after it had pushed one round, before the
    counties' second (a new station at 融安县: a newer statement; more visits: newer figures; a person moved out:
    withdrawn).  The counties send the restored city again what it lacks, the city pushes again, resuming its own
    chain after the region's records: the region holds every county record (each once in what it files), the
    newest statements and figures standing, each county's roster exactly, no alarm."""
    region, city, counties = chain
    month = synthetic_month()
    for county in counties:
        _visits(county.station, county.rows, 6, month)
        county.hub.cli("push-up", "--month", month)
    city.cli("push-up")
    backup = tmp_path / "city-backup"
    city.cli("backup", str(backup))

    first = counties[0]
    station(first.hub, tmp_path, "融安县二站", VILLAGES[:1])
    moved = [{**row, "status": "迁出"} if row is first.rows[1] else row for row in first.rows]
    roster = tmp_path / "roster-moved.csv"
    synthetic.write_roster_csv(moved, roster)
    first.hub.cli("import-roster", str(roster))
    for county in counties:
        _visits(county.station, county.rows, 5, month)
        county.hub.cli("push-up", "--month", month)
    assert "拒收 0 条" in city.cli("push-up").stdout

    city.stop()
    city.cli("restore", str(backup), "--yes")
    city.start()
    for county in counties:  # each sends the restored city again what it lacks
        assert "拒收 0 条" in county.hub.cli("push-up", "--month", month).stdout
    assert "拒收 0 条" in city.cli("push-up").stdout

    signer = hub_query(region, "SELECT id FROM node WHERE name = ? AND level = 'city'", (CITY,))[0][0]
    own = dict(hub_query(city, "SELECT seq, hash FROM upward_record WHERE kind <> 'resumed'"))
    held = dict(hub_query(region, "SELECT seq, hash FROM record WHERE node_id = ? AND status = 'accepted'", (signer,)))
    assert sorted(held) == list(range(1, max(own) + 1))  # the city's chain, whole, resumed after the region's
    assert all(bytes(held[seq]) == bytes(hash_) for seq, hash_ in own.items())
    assert hub_query(city, "SELECT COUNT(*) FROM upward_record WHERE kind = 'resumed'") == [(1,)]
    for county in counties:
        chain_of = [(seq, bytes(h)) for seq, h in hub_query(county.hub, "SELECT seq, hash FROM upward_record "
                                                                        "ORDER BY seq")]
        assert _county_records_at_the_region(region, county) == chain_of  # every county record
        assert assert_verified_to_the_station(region, county) == 11  # each station record once, verified
        node = _relayed_node(region, county)
        figures = hub_query(region, "SELECT figures FROM upward_month WHERE county_id = ? AND month = ?",
                            (node, month))
        assert [json.loads(text) for (text,) in figures] == [_newest_figures(county, month)]
        standing = dict(hub_query(region, "SELECT person, household FROM upward_person WHERE county_id = ? "
                                          "AND NOT withdrawn", (node,)))
        assert standing == _real_roster(county.hub, region_key)
    stations = hub_query(region, "SELECT name FROM upward_station WHERE county_id = ? ORDER BY station",
                         (_relayed_node(region, first),))
    assert [name for (name,) in stations] == ["融安县站", "融安县二站"]  # the newest statement stands
    assert hub_query(region, "SELECT COUNT(*) FROM alarm") == [(0,)]

"""The station app in headless Chromium on a phone-sized screen, against real processes on loopback:
a hub under gunicorn, a node enrolled through its CLI and serving its app, a grid member's whole month."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import synthetic
from devtools.processes import Hub, Station, free_port, stop_group
from devtools.station import hub_person_keys, station_body
from field_node.roster.search import search_keys
from field_node.store.state import now_text
from shared.months import previous_month
from tests.e2e.browser import Taps, chromium, phone_page, screenshot

pytestmark = pytest.mark.e2e
VILLAGES = synthetic.default_villages(1)[:2]
ROWS = synthetic.generate_roster(31, VILLAGES, 10)
PASSWORD = "grid-pass-9"
THIS_MONTH = now_text()[:7]
LAST_MONTH = previous_month(THIS_MONTH)


def households() -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for row in ROWS:
        found.setdefault(row["household_id"], []).append(row)
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[dict]:
    """Hub with the roster; station enrolled, roster pulled, last month's visits synced; app served."""
    root = tmp_path_factory.mktemp("station-browser")
    hub = Hub(root / "hub")
    hub.set_up(ROWS)
    hub.start(workers=1)
    station = Station(root / "station")
    station.cli("enroll", "--hub", hub.url, "--code", hub.add_node("浏览器站", ["/".join(v) for v in VILLAGES]))
    station.cli("sync")
    rnd = random.Random(5)
    person_key = hub_person_keys(hub.data_dir)
    last_month = [station_body({**synthetic.visit_body(rnd, members, LAST_MONTH, "王网格"), "author": "wang"},
                               person_key) for members in households().values()]
    (root / "last.json").write_text(json.dumps(last_month, ensure_ascii=False), encoding="utf-8")
    station.cli("add", str(root / "last.json"))
    station.cli("sync")
    station.cli("add-user", "wang", "--name", "王网格", "--password", PASSWORD)
    port = free_port()
    web = station.serve(port)
    try:
        with chromium() as browser:
            page = phone_page(browser)
            yield {"hub": hub, "station": station, "url": f"http://127.0.0.1:{port}", "page": page}
    finally:
        stop_group(web)
        hub.kill()


def hub_visits(hub: Hub) -> list[tuple[int, str, int, int | None]]:
    with sqlite3.connect(hub.data_dir / "hub.db") as db:
        return db.execute("SELECT r.seq, v.month, v.wage, v.superseded_by FROM visit v JOIN record r "
                          "ON r.id = v.record_id ORDER BY r.seq").fetchall()


def sync_now(page) -> str:
    """Press "sync now" and wait until the sync process has finished; return the outcome line."""
    page.click("#sync-now")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        page.wait_for_load_state()
        if page.locator("#sync-running").count() == 0 and page.locator("#last-sync").count():
            return page.inner_text("#last-sync")
        time.sleep(0.5)
        page.reload()
    raise AssertionError("the sync did not finish")


def sign_in(world: dict) -> None:
    page = world["page"]
    page.goto(world["url"] + "/")
    if "/login" in page.url:
        screenshot(page, "01-sign-in")
        page.fill("input[name=username]", "wang")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
    page.wait_for_selector("ul.households")


def test_sign_in_and_see_the_months_coverage(world):
    page = world["page"]
    page.goto(world["url"] + "/login")
    page.fill("input[name=username]", "wang")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "用户名或密码不对" in page.inner_text("main")
    sign_in(world)
    assert page.inner_text("#count-not_yet") == str(len(households()))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    screenshot(page, "02-coverage")


def test_find_a_household_by_pinyin_initials(world):
    sign_in(world)
    page = world["page"]
    row = ROWS[7]
    initials = search_keys(row["name"]).split()[1]
    page.fill("input[name=q]", initials)
    page.click("form.search button")
    page.wait_for_selector("ul.households")
    assert row["household_id"] in page.inner_text("ul.households")
    screenshot(page, "03-search")
    page.click(f"a[href='/h/{row['household_id']}']")
    page.wait_for_selector("svg.chart")
    assert row["id_number"] not in page.content()
    screenshot(page, "04-household")


def test_record_a_full_visit_after_a_validation_message(world):
    sign_in(world)
    page = world["page"]
    number = list(households())[0]
    page.goto(f"{world['url']}/h/{number}/visit")
    page.check("input[name=method][value=in_person]")
    for source, amount in (("wage", "-300"), ("business", "800"), ("property", "0"), ("transfer", "420"),
                           ("expenses", "200")):
        page.fill(f"input[name=income_{source}]", amount)
    page.check("input[name=risks][value=illness]")
    for select in page.locator("select[name$=_place]").all():  # 未务工 is chosen, never the default (issue 14)
        select.select_option("none")
    page.check("input[name=ack_status][value=confirmed]")
    Taps(page).sign()
    page.fill("textarea[name=note]", "户主腰伤")
    page.click("#save")
    page.wait_for_selector("#error-income_wage")
    assert "不能为负数" in page.inner_text("#error-income_wage")
    screenshot(page, "05-visit-form-error")
    page.fill("input[name=income_wage]", "3200")
    Taps(page).sign()  # the signature is drawn again on the re-shown form
    page.click("#save")
    page.wait_for_selector("p.saved")
    assert "已保存" in page.inner_text("p.saved")
    screenshot(page, "06-saved")


def test_an_unchanged_household_takes_at_most_twelve_taps(world):
    sign_in(world)
    page = world["page"]
    number = list(households())[1]
    taps = Taps(page)
    page.fill("input[name=q]", number)  # find the household in the list (not counted: any row works alike)
    page.click("form.search button")
    page.wait_for_selector("ul.households")
    taps.tap(f"li.household a.visit[href='/h/{number}/visit']")
    taps.tap("input[name=method][value=in_person]")
    taps.tap("#all-unchanged")
    taps.tap("input[name=ack_status][value=confirmed]")
    taps.sign()
    screenshot(page, "07-visit-form-unchanged")
    taps.tap("#save")
    page.wait_for_selector("p.saved")
    assert taps.count <= 12, taps.count
    print(f"taps from the coverage page to saved, unchanged household: {taps.count}")


def test_save_while_the_hub_is_down_then_sync_when_it_is_back(world):
    sign_in(world)
    page, hub = world["page"], world["hub"]
    hub.kill()
    number = list(households())[2]
    page.goto(f"{world['url']}/h/{number}/visit")
    page.check("input[name=method][value=phone]")
    page.check("#all-unchanged")
    page.check("input[name=ack_status][value=confirmed]")
    page.click("#save")
    page.wait_for_selector("p.saved")
    page.goto(world["url"] + "/sync")
    pending = int(page.inner_text("#count-pending"))
    assert pending >= 3  # this visit and the two before, none sent yet
    assert "连接不上县级平台" in sync_now(page)
    assert int(page.inner_text("#count-pending")) == pending
    hub.start(workers=1)
    assert "发送 3 条" in sync_now(page)
    assert page.inner_text("#count-pending") == "0"
    screenshot(page, "08-sync")
    months = [month for _, month, _, _ in hub_visits(hub)]
    assert months.count(THIS_MONTH) == 3


def test_correct_a_sent_visit(world):
    sign_in(world)
    page, hub = world["page"], world["hub"]
    number = list(households())[0]
    page.goto(f"{world['url']}/h/{number}")
    page.click("ul.records a.button")  # the latest record, this month's visit already sent
    page.wait_for_selector("#visit-form")
    assert page.input_value("input[name=income_wage]") == "3200"
    page.fill("input[name=income_wage]", "3500")
    assert "重新签名" in page.inner_text("#correction-notice")  # told before saving, not after a refusal
    page.fill("input[name=correction_reason]", "工资填错")
    page.check("input[name=ack_status][value=confirmed]")
    Taps(page).sign()
    screenshot(page, "09-correction")
    page.click("#save")
    page.wait_for_selector("p.saved")
    page.goto(world["url"] + "/sync")
    assert "发送 1 条" in sync_now(page)
    assert page.inner_text("#count-pending") == "0"
    rows = [row for row in hub_visits(hub) if row[1] == THIS_MONTH]
    assert sorted(wage for _, _, wage, superseded in rows if superseded is None and wage in (3200, 3500)) == [3500]
    assert any(wage == 3200 and superseded is not None for _, _, wage, superseded in rows)


def test_screens_fit_a_phone(world):
    page = world["page"]
    for path in ("/", "/sync", f"/h/{list(households())[0]}", f"/h/{list(households())[3]}/visit"):
        page.goto(world["url"] + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    assert Path(screenshot.__code__.co_filename).exists()

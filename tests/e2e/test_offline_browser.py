"""The offline station app in Debian's Chromium at 360×640 with touch (issue 14), against real processes on
loopback: sign in at the station, tap 离线使用, go offline (the context offline and the station stopped), record
three visits at three households (one with a signature), reload offline, update the app's version while the visits
wait, come back: every visit stored exactly once on the station, then at the hub."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from devtools.processes import stop_group
from tests.e2e import offline_world
from tests.e2e.browser import FLAGS, chromium_path, screenshot
from tests.e2e.offline_world import (
    MAX_TAPS,
    MEMORY_TARGET_KB,
    PASSWORD,
    ROWS,
    THIS_MONTH,
    households,
    hub_phone_visits,
    rss_kb,
    station_visits,
    unchanged_visit,
    wait_for_text,
)

pytestmark = pytest.mark.e2e
world = offline_world.world  # the hub and station the tests share (a module-scoped fixture)


# Everything the phone keeps: every IndexedDB store of the app, and every response in its Cache Storage.
PHONE_STORAGE = """async () => {
  const kept = [];
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, fail) => { const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result);
                                                 r.onerror = () => fail(r.error); });
    for (const name of db.objectStoreNames) {
      kept.push(await new Promise((ok) => { const r = db.transaction(name).objectStore(name).getAll();
                                            r.onsuccess = () => ok(JSON.stringify(r.result)); }));
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) { kept.push(await (await cache.match(request)).text()); }
  }
  return kept.join(" ");
}"""


def assert_the_phone_keeps_no_number(page) -> None:
    """What a lost phone gives whoever picks it up: names, ages and the visits typed on it, never a member's ID
    number, phone or birth date (the bundle carries age only: DOMAIN.md §9)."""
    kept = page.evaluate(PHONE_STORAGE)
    assert "households" in kept  # the bundle is there to be read
    private = [value for row in ROWS for value in (row["id_number"], row["phone"], row["birth_date"]) if value]
    assert [value for value in private if value in kept] == []


def test_a_morning_of_visits_offline_arrives_exactly_once(world):
    from playwright.sync_api import sync_playwright

    numbers = sorted(households())[:3]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        context = browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True,
                                      locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(world["url"] + "/login")
        page.fill("input[name=username]", "wang")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("ul.households")
        assert page.is_visible("#offline-start") and not page.is_visible("#offline-unsupported")
        page.click("#offline-start")  # 离线使用, tapped once at the station
        page.wait_for_url("**/offline")
        page.wait_for_selector("button.household-row")
        page.wait_for_function("navigator.serviceWorker.controller !== null || "
                               "navigator.serviceWorker.ready.then(() => true)")
        page.reload()  # the shell is now served by the service worker
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        first_version = page.inner_text("#app-version")
        screenshot(page, "offline-01-list")

        context.set_offline(True)
        stop_group(world["web"])  # the station is gone too, not only the phone's network
        page.reload()
        page.wait_for_selector("button.household-row")

        page.click(f"button.household-row[data-number='{numbers[1]}']")  # an entry check first: nothing chosen
        page.click("#save")
        assert "请选择走访方式" in page.inner_text("#error-method")
        assert "请记录农户是否认可" in page.inner_text("#error-ack_status")
        page.go_back()
        page.wait_for_selector("button.household-row")

        taps = unchanged_visit(page, numbers[0], in_person=True)
        assert taps <= MAX_TAPS, f"an unchanged household took {taps} taps"
        print(f"\ntaps for an unchanged household, offline, from the coverage list: {taps}")
        screenshot(page, "offline-02-saved")
        page.click("#back-to-list")
        unchanged_visit(page, numbers[1], in_person=False)
        page.click("#back-to-list")
        unchanged_visit(page, numbers[2], in_person=True)
        wait_for_text(page, ".queue-count", "待上传 3 条")
        assert page.inner_text("#queue-list").count("已保存在手机") == 3

        page.reload()  # offline reload: the shell from the service worker, the queue from IndexedDB
        page.wait_for_selector("#queue-list")
        page.click("#back-to-list")
        page.wait_for_selector("button.household-row")
        wait_for_text(page, ".queue-count", "待上传 3 条")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert_the_phone_keeps_no_number(page)  # the bundle, three visits queued, drafts, the app's cache

        # The app's version changes while the visits wait: the station comes back with a new build, but the
        # phone's uploads are held until the new service worker has taken over.
        page.route("**/api/phone/visits", lambda route: route.abort())
        world["station"].env["FIELDSYNC_NODE_APP_BUILD"] = "2"
        world["web"] = world["station"].serve(world["port"])
        context.set_offline(False)
        page.goto(world["url"] + "/offline#/queue")
        deadline = time.monotonic() + 30
        while page.inner_text("#app-version") == first_version and time.monotonic() < deadline:
            time.sleep(1)
            page.reload()
        assert page.inner_text("#app-version").endswith("-2")
        wait_for_text(page, ".queue-count", "待上传 3 条")
        assert station_visits(world["station"]) == []

        page.unroute("**/api/phone/visits")  # back in range: they go up by themselves, no refresh, no button
        wait_for_text(page, ".queue-count", "待上传 0 条", seconds=60)
        wait_for_text(page, "#queue-list", "已交站点")
        stored = station_visits(world["station"])
        assert sorted(household for _, household, _ in stored) == numbers  # each exactly once
        assert rss_kb(world["web"].pid) < MEMORY_TARGET_KB

        world["station"].cli("sync")
        assert hub_phone_visits(world["hub"]) == numbers
        page.click("#upload-now")
        wait_for_text(page, "#queue-list", "县里已收")
        assert page.inner_text("#queue-list").count("县里已收") == 3
        screenshot(page, "offline-03-at-the-hub")
        page.goto(f"{world['url']}/h/{numbers[0]}")  # the station's household page: members on one line each
        page.wait_for_selector("table.members")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.evaluate("Math.max(...[...document.querySelectorAll('table.members td')]"
                             ".map(td => td.getBoundingClientRect().height))") < 40
        browser.close()


def test_a_browser_without_service_workers_keeps_the_station_app_and_says_which_browser(world):
    """WeChat's built-in browser and old vendor browsers: no 离线使用 button, a plain word on which browser to use,
    and the station pages as before."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        context = browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True,
                                      locale="zh-CN", service_workers="block")
        context.add_init_script("Object.defineProperty(Navigator.prototype, 'serviceWorker', {get: () => undefined})")
        page = context.new_page()
        page.goto(world["url"] + "/login")
        page.fill("input[name=username]", "wang")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("ul.households")
        assert not page.is_visible("#offline-start")
        advice = page.inner_text("#offline-unsupported")
        assert "Chrome" in advice and "微信" in advice
        screenshot(page, "offline-04-no-service-worker")
        browser.close()


def test_a_station_killed_between_its_commit_and_its_reply_still_stores_the_visit_once(world):
    """The phone sends a visit and never reads the reply; the station is killed as soon as the visit is committed;
    it comes back and the phone sends the same visit again: one record, the same sequence number."""
    import re
    import signal
    import socket

    import requests

    from tests.field_node.web.test_visits import full_form

    session = requests.Session()
    login = session.get(world["url"] + "/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    session.post(world["url"] + "/login", data={"csrf_token": csrf, "username": "wang", "password": PASSWORD},
                 timeout=10)
    page = session.get(world["url"] + "/", timeout=10).text
    csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)
    token = session.post(world["url"] + "/offline/start", headers={"X-CSRFToken": csrf, "Accept": "application/json"},
                         timeout=10).json()["token"]
    number = sorted(households())[4]
    client_id = "c0ffee" + "0" * 26
    visit = {"id": client_id, "household": number, "month": THIS_MONTH, "phone_time": "2026-01-01T00:00:00Z",
             "fields": {k: v if isinstance(v, list) else [v] for k, v in
                        full_form(method="phone", signature=None, ack_by="户主").items()}}
    body = json.dumps(visit).encode()
    request = (f"POST /api/phone/visits HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               f"Accept: application/json\r\nX-Fieldsync-Phone: {token}\r\nContent-Length: {len(body)}\r\n"
               f"Connection: close\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", world["port"]), timeout=10) as phone:
        phone.sendall(request)  # and the reply is never read
        deadline = time.monotonic() + 20
        while not [row for row in station_visits(world["station"]) if row[0] == client_id]:
            assert time.monotonic() < deadline, "the visit was never committed"
            time.sleep(0.01)
        stop_group(world["web"], signal.SIGKILL)
    world["web"] = world["station"].serve(world["port"])
    again = requests.post(world["url"] + "/api/phone/visits", json=visit, timeout=10,
                          headers={"X-Fieldsync-Phone": token, "Accept": "application/json"})
    assert again.status_code == 200 and again.json()["again"] is True
    stored = [row for row in station_visits(world["station"]) if row[0] == client_id]
    assert len(stored) == 1
    with sqlite3.connect(world["station"].data_dir / "node.db") as db:
        assert db.execute("SELECT COUNT(*) FROM record WHERE household = ? AND month = ?",
                          (number, THIS_MONTH)).fetchone()[0] == 1

"""The world the offline app's browser tests share (issue 14): a hub and a station as real processes on loopback,
the station's roster of one village with last month's visits synced, a grid member ``wang``, and what the tests
read back from both databases."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import psycopg2
import pytest

from devtools import synthetic
from devtools.processes import Hub, Station, free_port, stop_group
from devtools.scratch import postgres_schema
from devtools.station import hub_person_keys, station_body
from field_node.store.state import now_text
from shared.months import previous_month
from tests.conftest import BACKENDS, POSTGRES_URL
from tests.e2e.browser import FLAGS, Taps, chromium_path

VILLAGES = synthetic.default_villages(1)[:1]
ROWS = synthetic.generate_roster(41, VILLAGES, 6)
PASSWORD = "grid-pass-9"
THIS_MONTH = now_text()[:7]
LAST_MONTH = previous_month(THIS_MONTH)
MAX_TAPS = 6  # an unchanged household, from the coverage list (issue 14)
MEMORY_TARGET_KB = 80 * 1024


def households() -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for row in ROWS:
        found.setdefault(row["household_id"], []).append(row)
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[dict]:
    """The shared world on a SQLite hub."""
    yield from running_world(tmp_path_factory, "")


@pytest.fixture(scope="module", params=BACKENDS)
def world_on_each_backend(request, tmp_path_factory) -> Iterator[dict]:
    """The shared world on a SQLite hub, and on PostgreSQL when FIELDSYNC_TEST_POSTGRES_URL is set."""
    with ExitStack() as stack:
        url = stack.enter_context(postgres_schema(POSTGRES_URL, "offline")) if request.param == "postgres" else ""
        yield from running_world(tmp_path_factory, url)


def running_world(tmp_path_factory, database_url: str) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("offline-browser")
    hub = Hub(root / "hub", database_url)
    hub.set_up(ROWS)
    hub.start(workers=1)
    station = Station(root / "station")
    station.cli("enroll", "--hub", hub.url, "--code", hub.add_node("离线站", ["/".join(v) for v in VILLAGES]))
    station.cli("sync")
    rnd, person_key = random.Random(7), hub_person_keys(hub.data_dir)
    last = [station_body({**synthetic.visit_body(rnd, members, LAST_MONTH, "王网格"), "author": "wang"}, person_key)
            for members in households().values()]
    (root / "last.json").write_text(json.dumps(last, ensure_ascii=False), encoding="utf-8")
    station.cli("add", str(root / "last.json"))
    station.cli("sync")
    station.cli("add-user", "wang", "--name", "王网格", "--password", PASSWORD)
    port = free_port()
    world = {"hub": hub, "station": station, "port": port, "url": f"http://127.0.0.1:{port}",
             "web": station.serve(port)}
    try:
        yield world
    finally:
        stop_group(world["web"])
        hub.kill()


def station_visits(station: Station) -> list[tuple[str, str, str]]:
    with sqlite3.connect(station.data_dir / "node.db") as db:
        return db.execute("SELECT p.client_id, r.household, r.status FROM phone_visit p JOIN record r "
                          "ON r.seq = p.seq ORDER BY p.client_id").fetchall()


def hub_phone_visits(hub: Hub) -> list[str]:
    """The households of this month's visits the hub holds (on SQLite or PostgreSQL), one entry per visit."""
    sql = "SELECT h.number FROM visit v JOIN household h ON h.id = v.household_id WHERE v.month = ?"
    if hub.database_url:
        with psycopg2.connect(hub.database_url) as conn, conn.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), (THIS_MONTH,))
            rows = cursor.fetchall()
        conn.close()
    else:
        with sqlite3.connect(hub.data_dir / "hub.db") as db:
            rows = db.execute(sql, (THIS_MONTH,)).fetchall()
    return sorted(household for (household,) in rows)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def unchanged_visit(page, number: str, *, in_person: bool) -> int:
    """An unchanged household from the coverage list; returns the taps it took."""
    taps = Taps(page)
    taps.tap(f"button.household-row[data-number='{number}']")
    page.wait_for_selector("#offline-visit-form")
    taps.tap("#all-unchanged")
    assert page.locator("#carried-summary").is_visible()  # exactly what will be saved, shown before saving
    taps.tap(f"input[name=method][value={'in_person' if in_person else 'phone'}]")
    taps.tap("input[name=ack_status][value=confirmed]")
    if in_person:
        taps.sign()
        page.wait_for_function("document.getElementById('signature').value.length > 100")
    taps.tap("#save")
    page.wait_for_selector("#saved-note")
    return taps.count


def wait_for_text(page, selector: str, text: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in page.inner_text(selector):
            return
        time.sleep(0.5)
    raise AssertionError(f"{selector} never showed {text!r}: {page.inner_text(selector)!r}")




def offline_phone(playwright, world: dict, **options):
    """A phone (360×640, touch) signed in at the station that has tapped 离线使用; returns (browser, context, page)."""
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
    context = browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True,
                                  locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, world)
    page.click("#offline-start")
    page.wait_for_url("**/offline")
    page.wait_for_selector("button.household-row")
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    return browser, context, page


def sign_in(page, world: dict) -> None:
    page.goto(world["url"] + "/login")
    page.fill("input[name=username]", "wang")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("ul.households")


def phone_store(page) -> dict:
    """Everything the phone's IndexedDB holds, store by store (as the page itself reads it)."""
    return page.evaluate("""() => Promise.all(["meta", "queue", "drafts"].map(name =>
        window.FieldsyncStore.store.all(name))).then(([meta, queue, drafts]) => ({meta, queue, drafts}))""")

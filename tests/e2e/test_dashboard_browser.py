"""The dashboards in headless Chromium against the hub under gunicorn (issue 16): a county leader reads the month
by township at desktop width, a township clerk reads it by village on a 360 × 640 phone; every chart is drawn, the
numbers open under it with one tap, and nothing is wider than the phone.  Screenshots in artifacts/screenshots/."""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from devtools import synthetic
from devtools.processes import Hub
from hub.store import db
from hub.store.models import Household, Node, NodeVillage, Village
from hub.web.app import create_app
from shared.months import months_back
from shared.vocabulary import FULL_LABOUR
from tests.e2e.browser import chromium, screenshot
from tests.hub.cleaning.county_factory import County

pytestmark = pytest.mark.e2e
VILLAGES = [v for v in synthetic.default_villages(4) if v[0] in synthetic.RONGAN_TOWNSHIPS[:3]]
ROWS = synthetic.generate_roster(29, VILLAGES, 12)
HOME, OTHER = synthetic.RONGAN_TOWNSHIPS[0], synthetic.RONGAN_TOWNSHIPS[1]
PASSWORD = "dashboard-pass-1"
PERIOD = "2026-10"
SECTIONS = ("coverage", "anomalies", "income-classes", "income-trend", "untransferred", "stations")


def _visits(data_dir: str) -> None:
    """Twelve months of visits written straight into the hub's tables (a station's pushes are tested elsewhere):
    coverage rising over the year, incomes around the support line, some labourers at work in the period."""
    app = create_app({"DATA_DIR": data_dir}, check_schema=False)
    rnd = random.Random(3)
    with app.app_context(), db.database.connection_context():
        node = Node.create(name="看板测试站", created_at=datetime(2026, 1, 1), enrolled_at=datetime(2026, 1, 2),
                           last_seen_at=datetime(2026, 10, 30))
        for village in Village.select().where(Village.name.in_([v for t, v in VILLAGES if t == HOME][:3])):
            NodeVillage.create(node=node, village=village)
        county = County(ROWS, node, dict(Household.select(Household.number, Household.id).tuples()))
        for index, month in enumerate(months_back(PERIOD, 12)):
            for number in sorted(county.ids):
                if rnd.random() > 0.55 + index * 0.04:
                    continue
                members = [r for r in ROWS if r["household_id"] == number]
                jobs = [(m["id_number"], 1, 2800) for m in members
                        if month == PERIOD and m["labour_ability"] in FULL_LABOUR and rnd.random() < 0.6]
                county.visit(number, month, wage=(rnd.randint(200, 1300) + 25 * index) * len(members),
                             business=rnd.randint(0, 900), transfer=rnd.randint(100, 500), expenses=200, jobs=jobs)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("dashboard-browser")
    hub = Hub(root / "hub")
    hub.set_up(ROWS)
    _visits(str(hub.data_dir))
    hub.cli("clean", "--period", PERIOD)
    hub.cli("add-user", "lead", "--name", "县领导", "--role", "viewer", "--password", PASSWORD)
    hub.cli("add-user", "tang", "--name", "唐干事", "--role", "township", "--township", HOME, "--password", PASSWORD)
    hub.start(workers=1)
    try:
        with chromium() as browser:
            yield {"hub": hub, "browser": browser}
    finally:
        hub.kill()


def _sign_in(world, viewport: dict[str, int], username: str, mobile: bool = False):
    context = world["browser"].new_context(viewport=viewport, locale="zh-CN", has_touch=mobile, is_mobile=mobile)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(world["hub"].url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button")
    page.wait_for_selector("h1")
    return page


def test_the_county_leader_reads_the_month_by_township_on_a_desktop(world):
    page = _sign_in(world, {"width": 1280, "height": 900}, "lead")
    page.click("text=数据看板 >> nth=0")
    page.wait_for_selector("#stations svg")
    assert f"数据看板 · 全县 · {PERIOD}" in page.inner_text("h1")
    for section in SECTIONS:
        assert page.locator(f"#{section} svg.chart").count() >= 1
        assert page.locator(f"#{section} svg.chart").first.bounding_box()["height"] > 40
    assert page.locator("#income-trend svg line[stroke-dasharray]").count() == 2  # the support line, twice
    assert page.locator("#coverage table").is_hidden()
    page.click("#coverage summary")
    assert page.locator("#coverage table").is_visible() and OTHER in page.inner_text("#coverage table")
    screenshot(page, "60-dashboard-county-desktop")
    page.select_option("select[name=township]", OTHER)  # hub.js submits the filter
    page.wait_for_url("**township=*")
    assert f"数据看板 · {OTHER}" in page.inner_text("h1")
    screenshot(page, "61-dashboard-township-desktop")


def test_a_township_clerk_reads_its_villages_on_a_phone(world):
    page = _sign_in(world, {"width": 360, "height": 640}, "tang", mobile=True)
    page.goto(world["hub"].url + "/dashboard/")
    page.wait_for_selector("#stations svg")
    assert f"数据看板 · {HOME}" in page.inner_text("h1") and OTHER not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    for section in SECTIONS:
        box = page.locator(f"#{section} svg.chart").first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["height"] > 40  # on the phone's screen
    page.tap("#untransferred summary")
    table = page.inner_text("#untransferred table")
    assert "监测对象" in table and "合计" in table
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # a wide table scrolls inside its box
    screenshot(page, "62-dashboard-township-phone")

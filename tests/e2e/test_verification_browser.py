"""The verification pages in headless Chromium against the hub under gunicorn: a township user signs in, sees their
township's queue only, answers an anomaly, opens the household's whole story, and is refused another township's."""

from __future__ import annotations

import pytest

from devtools import synthetic
from devtools.processes import Hub
from tests.e2e.browser import chromium, screenshot

pytestmark = pytest.mark.e2e
VILLAGES = synthetic.default_villages(1)[:2]
ROWS = synthetic.generate_roster(43, VILLAGES, 4)
PASSWORD = "township-pass-1"
HOME, OTHER = VILLAGES[0][0], VILLAGES[1][0]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("verification-browser")
    hub = Hub(root / "hub")
    hub.set_up(ROWS)
    hub.cli("clean", "--period", "2026-10")
    hub.cli("add-user", "tang", "--name", "唐干事", "--role", "township", "--township", HOME, "--password", PASSWORD)
    hub.start(workers=1)
    try:
        with chromium() as browser:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            page.set_default_timeout(10_000)
            yield {"hub": hub, "page": page}
    finally:
        hub.kill()


def test_sign_in_answer_from_the_queue_and_read_the_household(world):
    page, url = world["page"], world["hub"].url
    page.goto(url + "/cleaning/anomalies")
    assert "/login" in page.url
    screenshot(page, "30-hub-sign-in")
    page.fill("input[name=username]", "tang")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button")
    page.wait_for_selector("table")
    queue = page.inner_text("table")
    assert HOME in queue and OTHER not in queue
    screenshot(page, "31-queue")
    page.click("table a >> nth=0")
    page.wait_for_selector("#answer-form")
    page.check("#answer-form input[value=unverifiable]")
    page.fill("#answer-form textarea[name=note]", "户主外出务工，电话未接通，下月再核")
    screenshot(page, "32-answer-form")
    page.click("#answer-form button")
    page.wait_for_selector("#anomaly-status")
    assert "已核实" in page.inner_text("#anomaly-status") and "无法核实" in page.inner_text("#anomaly-status")
    assert "唐干事" in page.inner_text("#trail") and "答复了异常：无法核实" in page.inner_text("#trail")
    page.click("text=（全部记录）")
    page.wait_for_selector("#trail")
    assert "走访记录" in page.inner_text("body") and "异常与答复" in page.inner_text("body")
    for row in ROWS:
        assert row["id_number"] not in page.content()
    screenshot(page, "33-household")


def test_another_townships_household_is_refused_with_a_clear_message(world):
    page, url = world["page"], world["hub"].url
    other = next(row["household_id"] for row in ROWS if row["township"] == OTHER)
    reply = page.goto(f"{url}/households/{other}")
    assert reply.status == 403
    assert "不能查看其他乡镇的农户" in page.inner_text("body")

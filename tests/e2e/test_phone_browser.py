"""A township officer's pages on a 360 × 640 phone in headless Chromium against the hub under gunicorn (issue 15):
no page scrolls sideways, the officer answers one anomaly and bulk-answers a filtered set; pages arrive gzip'd;
the public favicon and 404 never lead to the county's sign-in."""

from __future__ import annotations

import pytest

from devtools import synthetic
from devtools.processes import Hub
from tests.e2e.browser import chromium, screenshot

pytestmark = pytest.mark.e2e
VILLAGES = synthetic.default_villages(2)[:4]
ROWS = synthetic.generate_roster(47, VILLAGES, 6)
PASSWORD = "township-pass-1"
HOME = VILLAGES[0][0]
PHONE = {"width": 360, "height": 640}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("phone-browser")
    hub = Hub(root / "hub")
    hub.set_up(ROWS)
    hub.cli("clean", "--period", "2026-10")
    hub.cli("add-user", "tang", "--name", "唐干事", "--role", "township", "--township", HOME, "--password", PASSWORD)
    hub.start(workers=1)
    try:
        with chromium() as browser:
            context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(10_000)
            page.goto(hub.url + "/login")
            page.fill("input[name=username]", "tang")
            page.fill("input[name=password]", PASSWORD)
            page.click("form button")
            page.wait_for_selector("h1")
            yield {"hub": hub, "page": page, "browser": browser}
    finally:
        hub.kill()


def sideways(page) -> int:
    """How far the page scrolls sideways past the phone's 360 px (0 when the document fits).  Not innerWidth: a
    mobile browser zooms out to fit a page that overflows, and its viewport grows with it."""
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)") - PHONE["width"]


def household_of_first_anomaly(page) -> tuple[str, str]:
    page.goto(page.url.split("/cleaning")[0].rstrip("/") + "/cleaning/anomalies")
    link = page.locator("#queue a").first
    return link.get_attribute("href") or "", page.locator("#queue tr >> nth=1 >> td >> nth=2").inner_text()


def test_no_township_page_scrolls_sideways_on_a_phone(world):
    page, url = world["page"], world["hub"].url
    anomaly, household = household_of_first_anomaly(page)
    pages = {"home": "/", "queue": "/cleaning/anomalies", "anomaly": anomaly, "household": f"/households/{household}",
             "spot-checks": "/verify/spot-checks", "postings": "/postings/", "labourers": "/postings/labourers",
             "cleaning": "/cleaning/", "answered": "/cleaning/anomalies?status=answered"}
    for name, path in pages.items():
        reply = page.goto(url + path)
        assert reply is not None and reply.status == 200, path
        screenshot(page, f"60-phone-{name}")
        assert sideways(page) <= 0, f"{path} scrolls sideways by {sideways(page)} px at 360 px"
    page.goto(url + "/")
    assert HOME in page.inner_text("h1") and "待核实的异常" in page.inner_text("body")
    assert all(township not in page.inner_text("h1") for township, _ in VILLAGES[1:] if township != HOME)


def test_a_township_officer_answers_and_bulk_answers_on_a_phone(world):
    page, url = world["page"], world["hub"].url
    anomaly, _ = household_of_first_anomaly(page)
    page.goto(url + anomaly)
    page.check("#answer-form input[value=correct]")
    page.fill("#answer-form textarea[name=note]", "入户核实，情况属实")
    page.click("#answer-form button")
    page.wait_for_selector("#anomaly-status")
    assert "核实无误" in page.inner_text("#anomaly-status")
    page.goto(url + "/cleaning/anomalies?rule=P5")
    total = int(page.locator("#count-open").inner_text())
    assert total > 0
    page.check("#bulk-form input[value=unverifiable]")
    page.fill("#bulk-form textarea[name=note]", "户外出，电话未接通，下月再核")
    screenshot(page, "61-phone-bulk-answer")
    assert sideways(page) <= 0
    page.click("#bulk-form button")
    page.wait_for_selector(".flash")
    assert f"已批量答复 {total} 条异常" in page.inner_text(".flash")
    assert page.locator("#count-open").inner_text() == "0"
    screenshot(page, "62-phone-bulk-answered")


def test_pages_are_compressed_and_the_public_pages_stay_public(world):
    page, url = world["page"], world["hub"].url
    reply = page.goto(url + "/cleaning/anomalies")
    assert reply is not None and reply.headers.get("content-encoding") in ("gzip", "br", "deflate", "zstd")
    public = world["browser"].new_context(viewport=PHONE, locale="zh-CN").new_page()
    icon = public.goto(url + "/favicon.ico")
    assert icon is not None and icon.status == 200 and "/login" not in public.url
    missing = public.goto(url + "/j/" + "0" * 32)
    assert missing is not None and missing.status == 404 and "/login" not in public.url
    public.click("#to-board")
    assert public.url.endswith("/jobs") and "招聘岗位" in public.inner_text("h1")
    screenshot(public, "63-public-404-to-board")

"""Job postings in headless Chromium on a phone-sized screen, against real processes on loopback: county staff
post a job at the hub, its poster's QR code is scanned (decoded from a screenshot), the page opens on the hub and,
from the station's synced copy, on the node; an expired posting says so; interest registered at the station
reaches the county's view after a sync."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import zxingcpp
from PIL import Image

from devtools import synthetic
from devtools.processes import Hub, Station, free_port, stop_group
from tests.e2e.browser import chromium, phone_page, screenshot

pytestmark = pytest.mark.e2e
VILLAGES = synthetic.default_villages(1)[:1]
ROWS = synthetic.generate_roster(41, VILLAGES, 5)
FUTURE = (date.today() + timedelta(days=45)).isoformat()
PAST = (date.today() - timedelta(days=2)).isoformat()
CLERK_PASSWORD = "clerk-pass-1"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("postings-browser")
    hub = Hub(root / "hub")
    hub.set_up(ROWS)
    hub.cli("add-user", "clerk", "--name", "县人社局", "--role", "staff", "--password", CLERK_PASSWORD)
    hub.start(workers=1)
    station = Station(root / "station")
    station.cli("enroll", "--hub", hub.url, "--code", hub.add_node("岗位站", ["/".join(v) for v in VILLAGES]))
    port = free_port()
    web = station.serve(port)
    try:
        with chromium() as browser:
            county = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
            sign_in = county.new_page()
            sign_in.goto(hub.url + "/login")
            sign_in.fill("input[name=username]", "clerk")
            sign_in.fill("input[name=password]", CLERK_PASSWORD)
            sign_in.click("form button")
            sign_in.wait_for_url(hub.url + "/")
            sign_in.close()
            yield {"hub": hub, "station": station, "node_url": f"http://127.0.0.1:{port}", "browser": browser,
                   "page": phone_page(browser), "county": county}
    finally:
        stop_group(web)
        hub.kill()


def post_at_hub(world: dict, title: str, valid_until: str) -> str:
    """County staff fill in the hub's posting form (a desktop-sized page); returns the posting id."""
    page = world["county"].new_page()
    page.goto(world["hub"].url + "/postings/new")
    for name, value in (("employer", "融安县香杉木业有限公司"), ("title", title), ("place", "长安镇工业园"),
                        ("pay", "3600"), ("headcount", "6"), ("contact_name", "覃经理"),
                        ("contact_phone", "0772-8123456"), ("valid_until", valid_until)):
        page.fill(f"input[name={name}]", value)
    page.click("form[action='/postings/new'] button")
    page.wait_for_selector("#sources")
    posting_id = page.url.rstrip("/").rsplit("/", 1)[1]
    page.close()
    return posting_id


def scan_poster(world: dict, posting_id: str) -> str:
    """Open the printable poster and decode its QR code from a screenshot, as a phone's scanner would."""
    page = world["browser"].new_page(viewport={"width": 900, "height": 1400})
    page.goto(f"{world['hub'].url}/j/{posting_id}/poster")
    page.wait_for_selector("img.qr")
    screenshot(page, "20-poster")
    image = Image.open(io.BytesIO(page.locator("img.qr").screenshot()))
    page.close()
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1
    return found[0].text


def test_a_posting_opens_from_its_qr_code_on_the_hub_and_on_the_station(world):
    posting_id = post_at_hub(world, "木工", FUTURE)
    url = scan_poster(world, posting_id)
    assert url == f"{world['hub'].url}/j/{posting_id}"
    page = world["page"]
    page.goto(url)
    assert page.inner_text("#status") == "招聘中" and "木工" in page.inner_text("h1")
    screenshot(page, "21-posting-hub")
    world["station"].cli("sync")
    page.goto(world["node_url"] + url.removeprefix(world["hub"].url))  # the station's Wi-Fi answers the same path
    assert page.inner_text("#status") == "招聘中"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "22-posting-station")


def test_an_expired_posting_is_shown_as_expired(world):
    posting_id = post_at_hub(world, "过期的岗位", PAST)
    world["station"].cli("sync")
    page = world["page"]
    for base in (world["hub"].url, world["node_url"]):
        page.goto(f"{base}/j/{posting_id}")
        assert page.inner_text("#status") == "已过期"
        assert page.locator("#interest-form").count() == 0
    screenshot(page, "23-posting-expired")


def test_interest_at_the_station_reaches_the_county_view_after_a_sync(world):
    posting_id = post_at_hub(world, "叉车司机", FUTURE)
    world["station"].cli("sync")
    page = world["page"]
    page.goto(f"{world['node_url']}/j/{posting_id}")
    person = next(row for row in ROWS if row["phone"])
    page.fill("input[name=name]", person["name"])
    page.fill("input[name=phone]", "1380000")  # too short: a message, nothing saved
    page.fill("input[name=village]", person["village"])
    page.click("#interest-form button")
    assert "手机号码应为11位" in page.inner_text("#error-phone")
    page.fill("input[name=phone]", person["phone"])
    page.click("#interest-form button")
    page.wait_for_selector("#interest-done")
    screenshot(page, "24-interest-done")
    folder = world["station"].data_dir
    written = [*folder.rglob("*"), folder.parent / f"{folder.name}-web.log"]  # the card, and the app's own log
    card = b"".join(path.read_bytes() for path in written if path.is_file())
    assert person["phone"].encode() not in card  # sealed to the hub's key before it was signed (record format 3)
    world["station"].cli("sync")
    county = world["county"].new_page()
    county.goto(f"{world['hub'].url}/postings/{posting_id}")
    text = county.inner_text("body")
    assert person["name"] in text and "报名（1）" in text and person["phone"] not in text
    screenshot(county, "25-county-posting")
    county.close()

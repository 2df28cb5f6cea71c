"""Management in headless Chromium against a real hub on loopback (issue 15): an admin registers a station on the
web, the test scans the enrolment QR code from a screenshot (zxing-cpp, as a phone's scanner would) and a real
station enrols with the code it holds; the station list then says 已同步.  An admin resets a clerk's password; the
clerk signs in with the temporary one and must choose their own first.  Screenshots in artifacts/screenshots/."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlparse

import pytest
import zxingcpp
from PIL import Image

from devtools import synthetic
from devtools.processes import Hub, Station
from tests.e2e.browser import chromium, screenshot

pytestmark = pytest.mark.e2e
VILLAGES = synthetic.default_villages(2)[:2]
ROWS = synthetic.generate_roster(43, VILLAGES, 3)
ADMIN_PASSWORD = "admin-pass-1"
CLERK_PASSWORD = "clerk-pass-1"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("manage-browser")
    hub = Hub(root / "hub")
    hub.set_up(ROWS)
    hub.cli("add-user", "chief", "--name", "县管理员", "--role", "admin", "--password", ADMIN_PASSWORD)
    hub.cli("add-user", "clerk", "--name", "县人社局", "--role", "staff", "--password", CLERK_PASSWORD)
    hub.start(workers=1)
    try:
        with chromium() as browser:
            yield {"hub": hub, "browser": browser, "root": root}
    finally:
        hub.kill()


def signed_in(world: dict, username: str, password: str):
    context = world["browser"].new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(world["hub"].url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button")
    page.wait_for_load_state()
    return page


def scan(page) -> str:
    image = Image.open(io.BytesIO(page.locator("#enrolment-qr").screenshot()))
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert len(found) == 1, "one QR code on the enrolment page"
    return found[0].text


def test_an_admin_registers_a_station_and_its_qr_code_enrols_it(world):
    hub = world["hub"]
    page = signed_in(world, "chief", ADMIN_PASSWORD)
    page.click("nav a[href='/manage/']")
    page.click("#manage-menu a[href='/manage/stations/']")
    page.fill("#register-form input[name=name]", "东岭服务站")
    for township, village in VILLAGES:
        page.locator("#villages details", has_text=township).first.evaluate("details => { details.open = true; }")
        page.check(f"#villages input[data-label='{township}/{village}']")
    screenshot(page, "60-manage-register")
    with page.expect_navigation() as navigation:
        page.click("#register-form button")
    reply = navigation.value
    assert reply is not None and reply.headers["cache-control"] == "no-store"
    code = page.inner_text("#enrolment-code").strip()
    assert code not in page.url
    screenshot(page, "61-manage-enrolment-qr")
    link = urlparse(scan(page))
    assert (link.scheme, link.netloc) == ("fieldsync", "enroll")
    fields = parse_qs(link.query)
    assert fields["hub"] == [hub.url] and fields["code"] == [code]
    station = Station(world["root"] / "station")
    enrolled = station.cli("enroll", "--hub", fields["hub"][0], "--code", fields["code"][0])
    assert enrolled.returncode == 0
    station.cli("sync")
    page.goto(hub.url + "/manage/stations/")
    row = page.locator("tr[data-node='东岭服务站']")
    assert row.locator(".sync-state").inner_text().strip() == "已同步"
    screenshot(page, "62-manage-stations")
    again = station.cli("enroll", "--hub", hub.url, "--code", code, check=False)
    assert again.returncode != 0  # the code worked once
    page.goto(hub.url + "/manage/rules/")
    assert "《广西促进脱贫人口持续增收三年行动方案（2022—2024年）》" in page.inner_text("#rules")
    screenshot(page, "65-manage-rules")


def test_a_reset_password_is_shown_once_and_the_user_must_choose_their_own(world):
    admin = signed_in(world, "chief", ADMIN_PASSWORD)
    admin.goto(world["hub"].url + "/manage/users/")
    admin.fill("tr[data-user='clerk'] .reset-form input[name=why]", "本人忘记密码，电话核实")
    admin.click("tr[data-user='clerk'] .reset-form button")
    temporary = admin.inner_text("#temporary-password").strip()
    screenshot(admin, "63-manage-password-reset")
    clerk = signed_in(world, "clerk", temporary)
    assert clerk.url.endswith("/account/password") and clerk.locator("#must-change").count() == 1
    clerk.goto(world["hub"].url + "/cleaning/anomalies")
    assert clerk.url.endswith("/account/password")
    clerk.fill("input[name=current]", temporary)
    clerk.fill("input[name=password]", "my-own-pass-9")
    clerk.fill("input[name=repeated]", "my-own-pass-9")
    clerk.click("#password-form button")
    clerk.wait_for_url(world["hub"].url + "/")
    screenshot(clerk, "64-manage-own-password")

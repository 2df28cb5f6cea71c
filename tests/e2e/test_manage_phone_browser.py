"""The management pages on a 360×640 phone in headless Chromium (issue 15): stations, county users, station
accounts, API tokens and rule settings — no page is wider than the phone, and every action (each button, link,
field and choice, closed sections opened) can be brought onto the screen and tapped, with no table to swipe
sideways (each row is a card on a phone: table.rows-on-phone).  An admin then does one
thing per page on the phone.  Screenshots in artifacts/screenshots/."""

from __future__ import annotations

import pytest

from devtools import synthetic
from devtools.processes import Hub
from tests.e2e.browser import chromium, screenshot

pytestmark = pytest.mark.e2e
VILLAGES = synthetic.default_villages(2)[:2]
ROWS = synthetic.generate_roster(44, VILLAGES, 2)
PASSWORD = "admin-pass-1"
SCREEN = {"width": 360, "height": 640}
PAGES = {"stations": "/manage/stations/", "users": "/manage/users/", "accounts": "/manage/field-accounts/",
         "tokens": "/manage/tokens/", "rules": "/manage/rules/", "menu": "/manage/"}
# Every control of the page, closed sections opened: those that cannot be brought inside the screen's width.
OUT_OF_REACH = """() => {
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  const lost = [];
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")) {
    if (!el.getClientRects().length) continue;
    el.scrollIntoView({block: "center", inline: "nearest"});
    const box = el.getBoundingClientRect();
    if (box.left < -1 || box.right > window.innerWidth + 1 || box.width < 1 || box.height < 1) {
      lost.push((el.name || el.textContent || el.tagName).trim().slice(0, 40) + " @" + Math.round(box.left) + "-"
                + Math.round(box.right));
    }
  }
  for (const table of document.querySelectorAll("table")) {
    if (table.scrollWidth > table.clientWidth + 1) lost.push("table " + (table.id || "") + " scrolls sideways");
  }
  window.scrollTo(0, 0);
  return lost;
}"""

# Every button and field too small for a finger (WCAG 2.5.5: 44 CSS px), closed sections opened.
TOO_SMALL = """() => {
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  const small = [];
  for (const el of document.querySelectorAll("button, select, input:not([type=hidden]):not([type=checkbox])")) {
    const box = el.getBoundingClientRect();
    if (el.getClientRects().length && box.height < 44) {
      small.push((el.name || el.textContent || el.tagName).trim().slice(0, 40) + " " + Math.round(box.height) + "px");
    }
  }
  return small;
}"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("manage-phone")
    hub = Hub(root / "hub")
    hub.set_up(ROWS)
    village = "/".join(VILLAGES[0])
    hub.cli("add-user", "chief", "--name", "县管理员", "--role", "admin", "--password", PASSWORD)
    hub.cli("add-user", "tang", "--name", "唐建国", "--role", "township", "--township", VILLAGES[0][0],
            "--password", "township-pass-1")
    hub.cli("add-node", "东岭服务站", "--village", village)
    hub.cli("add-node", "西岭服务站", "--village", "/".join(VILLAGES[1]))
    hub.cli("revoke-node", "西岭服务站", "--why", "设备丢失")
    hub.cli("add-field-user", "wang", "--name", "王网格", "--village", village, "--password", "grid-pass-1")
    hub.cli("add-token", "教育局系统")
    hub.start(workers=1)
    try:
        with chromium() as browser:
            context = browser.new_context(viewport=SCREEN, has_touch=True, is_mobile=True, locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(hub.url + "/login")
            page.fill("input[name=username]", "chief")
            page.fill("input[name=password]", PASSWORD)
            page.click("form button")
            page.wait_for_load_state()
            yield {"hub": hub, "page": page}
    finally:
        hub.kill()


@pytest.mark.parametrize("name", list(PAGES))
def test_no_management_page_is_wider_than_the_phone_and_every_action_is_in_reach(world, name):
    page = world["page"]
    page.goto(world["hub"].url + PAGES[name])
    assert page.title() and "登录" not in page.title()
    screenshot(page, f"80-manage-phone-{name}")
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"], "the page scrolls sideways"
    assert page.evaluate(OUT_OF_REACH) == []
    assert page.evaluate(TOO_SMALL) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"], "opened sections too"


def test_an_admin_manages_on_the_phone(world):
    page, url = world["page"], world["hub"].url
    page.goto(url + "/manage/field-accounts/")
    form = page.locator("form", has=page.locator("input[name=username]")).first
    form.locator("input[name=username]").fill("li")
    form.locator("input[name=display_name]").fill("李网格")
    form.locator("input[name=password]").fill("grid-pass-2")
    form.locator("select[name=village]").select_option(index=1)
    with page.expect_navigation():  # the form posts and the page comes back (a loaded machine takes its time)
        form.locator("button").tap()
    assert "李网格" in page.inner_text("body")
    screenshot(page, "81-manage-phone-account-added")
    page.goto(url + "/manage/rules/")
    rule = page.locator("form[action='/manage/rules/p4_min_months']")
    rule.locator("input[name=value]").fill("7")
    rule.locator("input[name=why]").fill("县里决定")
    with page.expect_navigation():
        rule.locator("button").tap()
    assert page.locator("form[action='/manage/rules/p4_min_months'] input[name=value]").input_value() == "7"
    screenshot(page, "82-manage-phone-rule-changed")
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]

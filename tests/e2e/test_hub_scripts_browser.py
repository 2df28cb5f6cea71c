"""The hub's pages in headless Chromium under its real Content-Security-Policy: the /cleaning/ township dropdown
filters when changed (an inline onchange was blocked by the CSP and did nothing), and no page logs a CSP
violation."""

from __future__ import annotations

import pytest

from devtools import synthetic
from devtools.processes import Hub
from tests.e2e.browser import chromium

pytestmark = pytest.mark.e2e
VILLAGES = synthetic.default_villages(1)[:2]
PASSWORD = "county-admin-1"


def test_the_township_dropdown_on_cleaning_filters_under_the_csp(tmp_path):
    hub = Hub(tmp_path / "hub")
    hub.set_up(synthetic.generate_roster(5, VILLAGES, 3))
    hub.cli("clean", "--period", "2026-10")
    hub.cli("add-user", "chief", "--name", "县管理员", "--role", "admin", "--password", PASSWORD)
    hub.start(workers=1)
    try:
        with chromium() as browser:
            page = browser.new_context(locale="zh-CN").new_page()
            page.set_default_timeout(10_000)
            violations = []
            page.on("console", lambda message: violations.append(message.text)
                    if "Content Security Policy" in message.text else None)
            page.goto(hub.url + "/login")
            page.fill("input[name=username]", "chief")
            page.fill("input[name=password]", PASSWORD)
            page.click("form button")
            page.wait_for_load_state()
            page.goto(hub.url + "/cleaning/")
            township = VILLAGES[1][0]
            with page.expect_navigation():
                page.select_option("select[name=township]", township)
            assert "township=" in page.url
            assert page.input_value("select[name=township]") == township
            assert not violations, violations
    finally:
        hub.kill()

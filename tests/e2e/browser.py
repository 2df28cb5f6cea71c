"""Headless Chromium for browser tests: Debian's ``chromium`` driven by Playwright (never a downloaded browser).

Screenshots go to ``artifacts/screenshots/`` (kept as an artefact of the run, not in git).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    found = os.environ.get("FIELDSYNC_CHROMIUM") or shutil.which("chromium")
    if not found:
        raise RuntimeError("Chromium is not installed: run `make browser` (apt-get install chromium) first.")
    return found


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def phone_page(browser: Browser) -> Page:
    """A phone-sized page (360 px wide, touch) that fails fast rather than waiting 30 s on a missing element."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


class Taps:
    """Counts what a person does on the page: each tap, each field typed into, each signature drawn."""

    def __init__(self, page: Page):
        self.page = page
        self.count = 0

    def tap(self, selector: str) -> None:
        self.page.locator(selector).first.click()
        self.count += 1

    def enter(self, selector: str, text: str) -> None:
        self.page.locator(selector).first.fill(text)
        self.count += 1

    def sign(self, selector: str = "#signature-pad") -> None:
        pad = self.page.locator(selector)
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        assert box is not None
        mouse = self.page.mouse
        mouse.move(box["x"] + 20, box["y"] + 40)
        mouse.down()
        for step in range(1, 12):
            mouse.move(box["x"] + 20 + step * 20, box["y"] + 40 + (step % 3) * 25)
        mouse.up()
        self.count += 1


def signed_in_page(browser: Browser, url: str, username: str, password: str,
                   viewport: dict[str, int] | None = None) -> Page:
    """A desktop page (unless ``viewport`` says otherwise) signed in to the hub at ``url`` as ``username``."""
    page = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.set_default_timeout(10_000)
    page.goto(url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button")
    page.wait_for_selector("h1")
    return page

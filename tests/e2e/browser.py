"""Headless Chromium for browser tests: Debian's ``chromium`` driven by Playwright (never a downloaded browser).

Screenshots go to ``artifacts/screenshots/`` (kept as an artefact of the run, not in git).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from devtools.browser import FLAGS, chromium_path, draw_signature

__all__ = ["FLAGS", "chromium_path", "chromium", "phone_page", "screenshot", "Taps"]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}


@contextmanager
def chromium(extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None) -> Iterator[Browser]:
    """Debian's Chromium; ``env`` replaces the browser's environment (e.g. a HOME whose NSS database holds the
    roots it trusts)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=[*FLAGS, *extra_args], env=env)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def script_page(script: Path) -> Iterator[Page]:
    """A blank page in Chromium with ``script`` loaded: a station script's functions tested on their own."""
    with chromium() as browser:
        tab = browser.new_page()
        tab.goto("about:blank")
        tab.add_script_tag(path=str(script))
        yield tab


def phone_page(browser: Browser) -> Page:
    """A phone-sized page (360 px wide, touch) that fails fast rather than waiting 30 s on a missing element."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def sign_in(page: Page, login_url: str, username: str, password: str) -> None:
    """Sign in on the login page at ``login_url`` (the hub's or a station's) and wait for the page it leads to."""
    page.goto(login_url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit], form button")
    page.wait_for_load_state()


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
        draw_signature(self.page, selector)
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

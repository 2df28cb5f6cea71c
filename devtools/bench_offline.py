"""`make bench`: the offline app on a grid member's phone (issue 14) — its first load over 2G, and what the phone
stores per household.

A station seeded with one village of N households (last month's visits signed), served by `fieldsync-node serve`
on loopback; Debian's Chromium at 360×640 with touch signs in as the village's grid member.  Then, over a
throttled 2G link (DevTools' "Regular 2G": 250 kbit/s down, 50 kbit/s up, 300 ms round trip), it taps 离线使用
and waits until the offline app's list is drawn from the phone's own store.  What that first load costs:

- bytes: every response body the page received (CDP ``Network.loadingFinished``) plus every one the service
  worker fetched to keep the app (its own requests, which a page's CDP session neither sees nor throttles);
- time: the page's requests go through Chromium's DevTools network conditions (CDP
  ``Network.emulateNetworkConditions``); the service worker's through the same profile applied to each of its
  responses in turn (a Playwright route that holds each response for the round trip plus its bytes at the link's
  rate, one at a time: one shared link).

Then what the phone holds: ``navigator.storage.estimate()`` (IndexedDB and the app's cache) and the bytes of the
month's list in IndexedDB (its JSON), with N and with 4·N households, and so per household; and one visit queued
with a signature.  The figures go to README's measured table; the machine they run on is shared, so the times
are indicative.

    python -m devtools.bench_offline [--households 50]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools import station as seeding
from devtools import synthetic
from devtools.browser import FLAGS, chromium_path, draw_signature
from devtools.processes import Station, free_port, stop_group
from field_node.store.state import now_text
from shared.months import previous_month

KBIT = 1000 / 8  # bytes per second in one kbit/s
PROFILE = {"offline": False, "latency": 300, "downloadThroughput": 250 * KBIT, "uploadThroughput": 50 * KBIT}
HEADER_BYTES = 300  # a response's status line and headers, roughly, on the wire


@dataclass
class FirstLoad:
    households: int
    page_bytes: int
    worker_bytes: int
    seconds: float
    storage_bytes: int
    bundle_bytes: int
    visit_bytes: int


class SharedLink:
    """The 2G profile for the service worker's own requests: each response held for the round trip and its bytes
    at the link's rate, one after another."""

    def __init__(self) -> None:
        self.bytes = 0

    def route(self, route: Any) -> None:
        if route.request.service_worker is None:
            route.fallback()  # the page's requests: CDP's network conditions throttle them
            return
        sent = len(route.request.post_data_buffer or b"") + HEADER_BYTES
        response = route.fetch()
        body = response.body()
        self.bytes += len(body)
        time.sleep(PROFILE["latency"] / 1000 + sent / PROFILE["uploadThroughput"]
                   + (len(body) + HEADER_BYTES) / PROFILE["downloadThroughput"])
        route.fulfill(response=response, body=body)


def measure(households: int, folder: Path) -> FirstLoad:
    from playwright.sync_api import sync_playwright

    data_dir = folder / f"station-{households}"
    seeding.seed_station(data_dir, synthetic.default_villages(1)[:1], households, [previous_month(now_text()[:7])])
    port = free_port()
    web = Station(data_dir).serve(port)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
            context = browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True,
                                          locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(120_000)
            page.goto(url + "/login")
            page.fill("input[name=username]", "wang")
            page.fill("input[name=password]", seeding.PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#offline-start")
            page_bytes, link = [0], SharedLink()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.on("Network.loadingFinished", lambda event: page_bytes.__setitem__(
                0, page_bytes[0] + int(event["encodedDataLength"])))
            cdp.send("Network.emulateNetworkConditions", PROFILE)
            context.route("**/*", link.route)
            started = time.perf_counter()
            page.click("#offline-start")
            page.wait_for_url("**/offline")
            page.wait_for_selector("button.household-row")
            seconds = time.perf_counter() - started
            context.unroute("**/*")
            cdp.send("Network.emulateNetworkConditions", {**PROFILE, "latency": 0, "downloadThroughput": -1,
                                                          "uploadThroughput": -1})
            stored = stored_bytes(page)
            visit = queued_visit_bytes(page)
            browser.close()
    finally:
        stop_group(web)
    return FirstLoad(households, page_bytes[0], link.bytes, seconds, stored["usage"], stored["bundle"], visit)


def stored_bytes(page: Any) -> dict[str, int]:
    return page.evaluate("""() => Promise.all([navigator.storage.estimate(),
        window.FieldsyncStore.store.get("meta", "bundle")]).then(([estimate, bundle]) =>
        ({usage: estimate.usage, bundle: new Blob([JSON.stringify(bundle)]).size}))""")


def queued_visit_bytes(page: Any) -> int:
    """One unchanged household recorded in person (with a signature) and queued: its bytes in IndexedDB."""
    page.route("**/api/phone/visits", lambda route: route.abort())  # it stays on the phone
    page.locator("button.household-row").first.click()
    page.click("#all-unchanged")
    page.click("input[name=method][value=in_person]")
    page.click("input[name=ack_status][value=confirmed]")
    draw_signature(page)
    page.click("#save")
    page.wait_for_selector("#saved-note")
    return int(page.evaluate("""() => window.FieldsyncStore.store.all("queue").then(queue =>
        new Blob([JSON.stringify(queue[0])]).size)"""))


def report(small: FirstLoad, large: FirstLoad) -> None:
    per_household = (large.storage_bytes - small.storage_bytes) / (large.households - small.households)
    bundle_each = (large.bundle_bytes - small.bundle_bytes) / (large.households - small.households)
    print("offline app, first load over 2G (250 kbit/s down, 50 kbit/s up, 300 ms; shared machine):")
    for load in (small, large):
        print(f"  {load.households:4d} households: {(load.page_bytes + load.worker_bytes) / 1024:6.1f} KiB "
              f"(page {load.page_bytes / 1024:.1f}, service worker {load.worker_bytes / 1024:.1f}) "
              f"in {load.seconds:5.1f} s; phone stores {load.storage_bytes / 1024:.0f} KiB "
              f"(list {load.bundle_bytes / 1024:.0f} KiB)")
    print(f"  per household cached: {per_household / 1024:.2f} KiB stored "
          f"(navigator.storage.estimate), {bundle_each / 1024:.2f} KiB of list JSON")
    print(f"  one visit queued with a signature: {large.visit_bytes / 1024:.1f} KiB")
    print(json.dumps({"small": small.__dict__, "large": large.__dict__}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=50, help="the smaller village (the larger has 4×)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-offline-") as folder:
        small = measure(args.households, Path(folder))
        large = measure(args.households * 4, Path(folder))
    report(small, large)


if __name__ == "__main__":
    main()

"""Debian's Chromium trusts the station with no warning (issue 14): the phone-sized browser trusts only pebble's
root — put into the NSS database of a temporary HOME with certutil, the way a root lands in a phone's trust store —
and reaches the station by its name (``--host-resolver-rules`` stands in for the station LAN's dnsmasq line).

Real processes on loopback: BIND takes the DNS-01 records by RFC 2136 with a TSIG key, pebble issues, the hub's
``fieldsync-hub certificates`` orders, the station's sync installs, ``fieldsync-node serve-tls`` serves.  The
browser opens the station by HTTPS with no interstitial, the page is a secure context, the grid member taps 离线使用
and a service worker is registered.  A browser with an empty trust store is refused (the trust is real).  The hub's
overview is photographed with a failed order (a wrong TSIG key) and with the certificate in force, for
docs/certificates.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from devtools import bind as bind_module
from devtools import pebble as pebble_module
from devtools import synthetic
from devtools.processes import Hub, Station, free_port, stop_group
from tests.e2e.browser import chromium, phone_page, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    not (pebble_module.available() and bind_module.available()) or shutil.which("certutil") is None,
    reason="needs Debian's pebble, bind9 and libnss3-tools (make system-deps)")]

ZONE = "county.test"
STATION_DOMAIN = "stations.county.test"
STATION_NAME = "s1.stations.county.test"  # the first station registered is number 1
VILLAGES = synthetic.default_villages(1)[:1]
ROWS = synthetic.generate_roster(43, VILLAGES, 3)
PASSWORD = "grid-pass-9"
ADMIN_PASSWORD = "county-admin-1"


def trust_store(home: Path, root_pem: str | None) -> Path:
    """A HOME whose NSS database (what Chromium on Linux trusts besides its own roots) holds ``root_pem``."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True, capture_output=True)
    if root_pem is not None:
        root = home / "pebble-root.pem"
        root.write_text(root_pem)
        subprocess.run(["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "pebble test root", "-t", "C,,", "-i",
                        str(root)], check=True, capture_output=True)
    return home


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[dict]:
    """BIND, pebble, a hub (on SQLite or a PostgreSQL schema) and an enrolled station, as processes."""
    root = tmp_path
    bind = bind_module.Bind(root / "bind", ZONE, STATION_DOMAIN)
    pebble = pebble_module.Pebble(root / "pebble", dns_server="")
    hub = Hub(root / "hub", database_url)
    processes: list[subprocess.Popen] = []
    try:
        bind.start()
        pebble.dns_server = bind.address
        pebble.folder.mkdir()
        pebble.start()
        hub.env.update({"FIELDSYNC_STATION_DOMAIN": STATION_DOMAIN,
                        "FIELDSYNC_ACME_DIRECTORY_URL": pebble.directory_url,
                        "FIELDSYNC_ACME_CA_BUNDLE": str(pebble.listener_ca), "FIELDSYNC_DNS_PROVIDER": "rfc2136",
                        "FIELDSYNC_DNS_SERVER": bind.address, "FIELDSYNC_DNS_ZONE": ZONE,
                        "FIELDSYNC_DNS_TSIG_KEY_FILE": str(bind.key_file)})
        hub.set_up(ROWS)
        hub.cli("add-user", "chief", "--name", "县管理员", "--role", "admin", "--password", ADMIN_PASSWORD)
        hub.start(workers=1)
        station = Station(root / "station")
        station.cli("enroll", "--hub", hub.url, "--code", hub.add_node("板榄站", ["/".join(v) for v in VILLAGES]))
        station.cli("sync")  # the station's key and CSR; the hub keeps the CSR
        station.cli("add-user", "wang", "--name", "王网格", "--password", PASSWORD)
        yield {"root": root, "bind": bind, "pebble": pebble, "hub": hub, "station": station, "processes": processes}
    finally:
        for process in processes:
            stop_group(process)
        hub.kill()
        pebble.stop()
        bind.stop()


def photograph_hub(browser, hub: Hub, name: str) -> str:
    """The hub's overview (its stations' certificate state) as the county admin sees it; its stations' text."""
    context = browser.new_context(viewport={"width": 1200, "height": 700}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, hub.url + "/login", "chief", ADMIN_PASSWORD)
    page.wait_for_selector("#stations")
    page.locator("#stations").scroll_into_view_if_needed()
    screenshot(page, name)
    text = page.inner_text("#stations")
    context.close()
    return text


def test_chromium_trusts_the_station_by_its_name_and_gets_a_service_worker(world):
    hub, station, pebble = world["hub"], world["station"], world["pebble"]
    right_key = hub.env["FIELDSYNC_DNS_TSIG_KEY_FILE"]
    hub.env["FIELDSYNC_DNS_TSIG_KEY_FILE"] = str(bind_module.tsig_key(world["root"] / "wrong.key", "fieldsync-hub"))
    assert "失败 1 张" in hub.cli("certificates").stdout
    hub.env["FIELDSYNC_DNS_TSIG_KEY_FILE"] = right_key
    with chromium() as county_browser:
        shown = photograph_hub(county_browser, hub, "certificates-01-hub-wrong-tsig-key")
        assert "不认这把 TSIG 密钥" in shown and "CERTIFICATE_FAILED" not in shown
        assert "新签发 1 张" in hub.cli("certificates").stdout
        shown = photograph_hub(county_browser, hub, "certificates-02-hub-issued")
        assert f"HTTPS 证书 {STATION_NAME}，有效至" in shown and "TSIG" not in shown
    station.cli("sync")  # the certificate comes with the next sync
    port = free_port()
    world["processes"].append(station.serve_tls(port))
    url = f"https://{STATION_NAME}:{port}"
    resolve = (f"--host-resolver-rules=MAP {STATION_NAME} 127.0.0.1",)

    empty_home = trust_store(world["root"] / "home-untrusting", None)
    with chromium(resolve, env={**os.environ, "HOME": str(empty_home)}) as browser:
        page = phone_page(browser)
        with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
            page.goto(url + "/login")  # without pebble's root the same page is refused

    home = trust_store(world["root"] / "home", pebble.root_pem())
    with chromium(resolve, env={**os.environ, "HOME": str(home)}) as browser:
        page = phone_page(browser)
        cdp = page.context.new_cdp_session(page)
        states: list[str] = []
        cdp.on("Security.visibleSecurityStateChanged",
               lambda event: states.append(event["visibleSecurityState"]["securityState"]))
        cdp.send("Security.enable")
        reply = page.goto(url + "/login")  # an interstitial would fail the navigation (net::ERR_CERT_…)
        assert reply is not None and reply.ok and page.url == url + "/login"
        assert page.is_visible("input[name=username]")
        assert page.evaluate("window.isSecureContext") is True
        page.wait_for_function("() => true")  # one round trip: the security events of the load have arrived
        assert states and states[-1] == "secure", states
        sign_in(page, url + "/login", "wang", PASSWORD)
        page.wait_for_selector("ul.households")
        assert page.is_visible("#offline-start") and not page.is_visible("#offline-unsupported")
        page.click("#offline-start")  # 离线使用
        page.wait_for_url("**/offline")
        page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
        scripts = page.evaluate("navigator.serviceWorker.getRegistrations().then(regs => regs.map("
                                "r => (r.active || r.waiting || r.installing).scriptURL))")
        assert scripts == [url + "/sw.js"]
        page.wait_for_selector("button.household-row")
        assert page.evaluate("window.isSecureContext") is True
        screenshot(page, "certificates-03-station-https-offline")

"""The station certificate path end to end against a real ACME CA (pebble) and its DNS (pebble-challtestsrv):
the station makes its key and CSR, the hub orders by DNS-01 and hands the certificate back at sync, the station
serves HTTPS with it, the hub renews at 2/3 of its lifetime, and warns when it is close to expiring or expired.

The HTTPS client trusts pebble's root (read from pebble's management endpoint) and nothing else; every check is
on (hostname included).  Certificates live VALIDITY seconds here so that expiry really happens; nothing is
asserted against the wall clock before it: renewal is made due by lowering the threshold, and the warning is judged at
a chosen moment, so a loaded machine only makes the test slower, never wrong.
"""

from __future__ import annotations

import socket
import ssl
import stat
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from cryptography import x509

from devtools import pebble as pebble_module
from devtools.processes import Station, free_port, run, stop_group
from field_node.store.tls import TlsFiles
from field_node.sync import passes
from hub.certificates import status as certificate_status
from hub.store import db as hub_db

pytestmark = pytest.mark.skipif(not pebble_module.available(), reason="needs Debian's pebble (make system-deps)")

VALIDITY = 60  # seconds: long enough for the commands before the first HTTPS request on a loaded machine
WARN_AT = 0.3  # of the lifetime
DUE_AT_ONCE = "0.001"  # a renewal threshold every certificate has passed


@pytest.fixture
def pebble(tmp_path: Path):
    server = pebble_module.Pebble(tmp_path / "pebble", validity_seconds=VALIDITY)
    server.folder.mkdir()
    server.start()
    yield server
    server.stop()


def hub_env(app, pebble) -> dict[str, str]:
    return {"FIELDSYNC_STATION_DOMAIN": "stations.county.test", "FIELDSYNC_ACME_DIRECTORY_URL": pebble.directory_url,
            "FIELDSYNC_ACME_CA_BUNDLE": str(pebble.listener_ca), "FIELDSYNC_DNS_PROVIDER": "challtestsrv",
            "FIELDSYNC_DNS_API_URL": pebble.dns_api_url}


def hub_cli(app, env: dict[str, str], *args: str) -> str:
    return run("fieldsync-hub", "--data-dir", app.config["DATA_DIR"], "--database-url",
               app.config["DATABASE_URL"], *args, env=env).stdout


def https_get(port: int, domain: str, root_pem: str | None) -> tuple[str, x509.Certificate]:
    """GET /login over TLS to 127.0.0.1 as ``domain`` (SNI and hostname check), trusting only ``root_pem``."""
    context = ssl.create_default_context(cadata=root_pem) if root_pem else ssl.create_default_context()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=domain) as tls:
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        tls.sendall(f"GET /login HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := tls.recv(65536):
            reply += chunk
    return reply.decode("utf-8", "replace").split("\r\n", 1)[0], x509.load_der_x509_certificate(der)


def serve_tls(station_dir: Path, port: int) -> subprocess.Popen:
    """`fieldsync-node serve-tls` for the station's folder, reloading a renewed certificate within 0.2 s."""
    return Station(station_dir, env={"FIELDSYNC_NODE_TLS_RELOAD_SECONDS": "0.2"}).serve_tls(port)


def sync(node) -> list[str]:
    said: list[str] = []
    passes.sync_once(node, said.append)
    return said


def test_issue_hand_over_serve_renew_expire(app, live_hub, enrolled, pebble, client):
    env = hub_env(app, pebble)
    app.config.update(STATION_DOMAIN="stations.county.test")
    files = TlsFiles.of(enrolled.data_dir)
    domain = "s1.stations.county.test"

    said = sync(enrolled)  # the station makes its key and CSR; the hub keeps the CSR
    assert any(domain in line for line in said)
    assert stat.S_IMODE(files.key_path.stat().st_mode) == 0o600
    assert files.current() is None
    assert "HTTPS 证书：还没有" in run("fieldsync-node", "--data-dir", str(enrolled.data_dir), "status").stdout

    assert "新签发 1 张" in hub_cli(app, env, "certificates")
    data_dir = Path(app.config["DATA_DIR"])
    assert stat.S_IMODE((data_dir / "acme-account.key").stat().st_mode) == 0o600
    assert "BEGIN EC PRIVATE KEY" not in "".join(p.read_text(errors="ignore") for p in data_dir.glob("*.json"))

    assert "新签发 0 张" in hub_cli(app, env, "certificates")  # not yet 2/3 of its lifetime
    sync(enrolled)  # the certificate comes at the next sync
    first = files.current()
    assert first is not None and first.subject.rfc4514_string() == f"CN={domain}"
    root = pebble.root_pem()
    port = free_port()
    server = serve_tls(enrolled.data_dir, port)  # served first: the certificate lives only VALIDITY seconds
    try:
        status, served = https_get(port, domain, root)
        assert status == "HTTP/1.1 200 OK" and served.serial_number == first.serial_number
        with pytest.raises(ssl.SSLCertVerificationError):  # the check is real: the system roots do not trust it
            https_get(port, domain, None)
        with pytest.raises(ssl.SSLCertVerificationError):  # and it is for the station's name only
            https_get(port, "s2.stations.county.test", root)
        assert f"HTTPS 证书：{domain}，有效至" in run("fieldsync-node", "--data-dir", str(enrolled.data_dir),
                                                    "status").stdout
        assert f"证书：{domain}，有效至" in hub_cli(app, env, "nodes")

        renewing = {**env, "FIELDSYNC_CERT_RENEW_AT": DUE_AT_ONCE}
        assert "新签发 1 张" in hub_cli(app, renewing, "certificates")  # renewed before expiry, same station key
        sync(enrolled)
        second = files.current()
        assert second is not None and second.not_valid_after_utc > first.not_valid_after_utc
        time.sleep(0.6)  # serve-tls loads the renewed certificate for new connections
        status, served = https_get(port, domain, root)
        assert status == "HTTP/1.1 200 OK" and served.serial_number == second.serial_number
    finally:
        stop_group(server)

    pebble.stop_acme()  # the CA is gone: renewal fails, the hub says so and warns
    app.config.update(CERT_WARN_AT=WARN_AT)
    env.update(FIELDSYNC_CERT_WARN_AT=str(WARN_AT), FIELDSYNC_CERT_RENEW_AT=DUE_AT_ONCE)
    assert "失败 1 张" in hub_cli(app, env, "certificates")
    assert "证书申请失败：CERTIFICATE_FAILED" in hub_cli(app, env, "nodes")
    # Past the warning threshold and before expiry the county is warned: judged at a chosen moment, not by racing
    # the wall clock to the certificate's end.
    before_expiry = second.not_valid_after_utc.replace(tzinfo=None) - timedelta(seconds=1)
    with app.app_context(), hub_db.database.connection_context():
        shown = certificate_status.warnings(WARN_AT, now=before_expiry)
    assert [text for text in shown.values() if "证书即将过期" in text]

    time.sleep(max(0.0, second.not_valid_after_utc.timestamp() + 1 - time.time()))
    assert "证书已过期" in hub_cli(app, env, "nodes")
    page = client.get("/").get_data(as_text=True)
    assert "证书已过期" in page and "CERTIFICATE_FAILED" not in page


@pytest.fixture
def long_pebble(tmp_path: Path):
    server = pebble_module.Pebble(tmp_path / "pebble", validity_seconds=3600)
    server.folder.mkdir()
    server.start()
    yield server
    server.stop()


def test_revoking_a_stolen_station_revokes_its_certificate_at_the_ca(app, live_hub, enrolled, long_pebble, client):
    env = hub_env(app, long_pebble)
    app.config.update(STATION_DOMAIN="stations.county.test")
    sync(enrolled)
    hub_cli(app, env, "certificates")
    sync(enrolled)
    installed = TlsFiles.of(enrolled.data_dir).current()
    assert installed is not None

    said = hub_cli(app, env, "revoke-node", "测试站")
    assert "HTTPS 证书已在证书机构吊销" in said
    serial = format(installed.serial_number, "x")
    answer = requests.get(f"https://127.0.0.1:{long_pebble.management_port}/cert-status-by-serial/{serial}",
                          verify=str(long_pebble.listener_ca), timeout=5)
    assert answer.status_code == 200 and answer.json()["Status"] == "Revoked", answer.text
    assert "证书已吊销（站点已停用）" in hub_cli(app, env, "nodes")
    assert "新签发 0 张" in hub_cli(app, env, "certificates")  # a revoked station is never renewed

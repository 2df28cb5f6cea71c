"""A station certificate issued end to end through a county's own name server: Debian's BIND (named, started here
unprivileged on a free port) is the primary of the zone ``county.test`` and takes the DNS-01 TXT records by RFC 2136
dynamic update signed with a TSIG key; pebble (the ACME CA) checks the records at that same BIND.

First the failures a county meets: a missing key file, a wrong TSIG key and an unreachable server each leave a
clear Chinese message on the hub's overview page and in ``fieldsync-hub nodes`` (no trace, no code on the page);
then the right key: the certificate is issued, the TXT record is gone from the zone afterwards, and the station
serves HTTPS with it to a client that trusts only pebble's root.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools import bind as bind_module
from devtools import pebble as pebble_module
from devtools.processes import free_port, stop_group
from field_node.store.tls import TlsFiles
from tests.field_node.sync.test_certificates_pebble import https_get, hub_cli, serve_tls, sync

pytestmark = pytest.mark.skipif(not (pebble_module.available() and bind_module.available()),
                                reason="needs Debian's pebble and bind9 (make system-deps)")

ZONE = "county.test"
STATION_DOMAIN = "stations.county.test"
RECORD = "_acme-challenge.s1.stations.county.test"


@pytest.fixture
def bind(tmp_path: Path):
    server = bind_module.Bind(tmp_path / "bind", ZONE, STATION_DOMAIN)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pebble(tmp_path: Path, bind):
    server = pebble_module.Pebble(tmp_path / "pebble", dns_server=bind.address)
    server.folder.mkdir()
    server.start()
    yield server
    server.stop()


def rfc2136_env(pebble, dns_server: str, key_file: Path) -> dict[str, str]:
    return {"FIELDSYNC_STATION_DOMAIN": STATION_DOMAIN, "FIELDSYNC_ACME_DIRECTORY_URL": pebble.directory_url,
            "FIELDSYNC_ACME_CA_BUNDLE": str(pebble.listener_ca), "FIELDSYNC_DNS_PROVIDER": "rfc2136",
            "FIELDSYNC_DNS_SERVER": dns_server, "FIELDSYNC_DNS_ZONE": ZONE,
            "FIELDSYNC_DNS_TSIG_KEY_FILE": str(key_file), "FIELDSYNC_DNS_PROPAGATION_SECONDS": "0.5"}


def failure_shown(app, client, env: dict[str, str], cause: str) -> None:
    """One failed order, its cause said in Chinese by `nodes` and on the overview page; no secret anywhere."""
    said = hub_cli(app, env, "certificates")
    assert "失败 1 张" in said and f"测试站（编号 1）：站点证书未能申请：{cause}" in said
    said = hub_cli(app, env, "nodes")
    assert f"原因：站点证书未能申请：{cause}" in said and "Traceback" not in said
    page = client.get("/").get_data(as_text=True)
    assert cause in page and "CERTIFICATE_FAILED" not in page and "Traceback" not in page


def test_issued_through_bind_by_rfc2136_after_a_missing_key_a_wrong_key_and_an_unreachable_server(
        app, live_hub, enrolled, bind, pebble, client, tmp_path):
    app.config.update(STATION_DOMAIN=STATION_DOMAIN)
    secret = bind.key_file.read_text().split('secret "')[1].split('"')[0]
    sync(enrolled)  # the station's CSR reaches the hub

    missing = tmp_path / "missing.key"
    failure_shown(app, client, rfc2136_env(pebble, bind.address, missing),
                  f"读不了 TSIG 密钥文件 {missing}（DNS_TSIG_KEY_FILE）")
    wrong_key = bind_module.tsig_key(tmp_path / "wrong.key", bind.key_name)  # same name, another secret
    failure_shown(app, client, rfc2136_env(pebble, bind.address, wrong_key),
                  f"域名服务器 {bind.address}（DNS_SERVER）不认这把 TSIG 密钥")
    closed = f"127.0.0.1:{free_port()}"
    failure_shown(app, client, rfc2136_env(pebble, closed, bind.key_file), f"无法连接域名服务器 {closed}（DNS_SERVER）")
    assert secret not in hub_cli(app, rfc2136_env(pebble, closed, bind.key_file), "nodes")

    env = rfc2136_env(pebble, bind.address, bind.key_file)
    assert "新签发 1 张" in hub_cli(app, env, "certificates")
    assert bind.txt(RECORD) == []  # the challenge record was removed once the order was done
    said = hub_cli(app, env, "nodes")
    assert "证书：s1.stations.county.test，有效至" in said and "原因：" not in said
    assert "不认这把 TSIG 密钥" not in client.get("/").get_data(as_text=True)

    sync(enrolled)  # handed over at the next sync, served under the station's name, trusted through pebble's root
    installed = TlsFiles.of(enrolled.data_dir).current()
    assert installed is not None
    port = free_port()
    server = serve_tls(enrolled.data_dir, port)
    try:
        status, served = https_get(port, "s1.stations.county.test", pebble.root_pem())
        assert status == "HTTP/1.1 200 OK" and served.serial_number == installed.serial_number
    finally:
        stop_group(server)

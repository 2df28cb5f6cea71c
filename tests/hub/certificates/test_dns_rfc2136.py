"""The RFC 2136 DNS provider against a real BIND (started here unprivileged on a free port, zone ``county.test``,
its TSIG key allowed TXT records under ``stations.county.test`` only): records set and removed, and each way it
goes wrong said in Chinese with a short reason, never with the key's secret."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import bind as bind_module
from hub.certificates.dns import Rfc2136, provider_from_config, read_tsig_key
from shared.errors import ErrorCode, FieldsyncError

pytestmark = pytest.mark.skipif(not bind_module.available(), reason="needs Debian's bind9 (make system-deps)")

RECORD = "_acme-challenge.s7.stations.county.test"


@pytest.fixture(scope="module")
def bind(tmp_path_factory) -> Iterator[bind_module.Bind]:
    server = bind_module.Bind(tmp_path_factory.mktemp("bind"), "county.test", "stations.county.test")
    server.start()
    yield server
    server.stop()


def secret_of(key_file: Path) -> str:
    return read_tsig_key(str(key_file)).secret


def refused(provider: Rfc2136, fqdn: str = RECORD) -> FieldsyncError:
    with pytest.raises(FieldsyncError) as caught:
        provider.set_txt(fqdn, "token")
    error = caught.value
    assert error.code is ErrorCode.CERTIFICATE_FAILED and error.details["step"] == "dns"
    assert provider.key.secret not in error.message + repr(error.details)
    return error


def test_a_record_is_set_and_removed_with_the_right_key(bind):
    provider = Rfc2136(bind.address, "county.test", read_tsig_key(str(bind.key_file)))
    provider.set_txt(RECORD, "first")
    provider.set_txt(RECORD, "second")  # two authorizations of one name: both values stand
    assert sorted(bind.txt(RECORD)) == ["first", "second"]
    provider.clear_txt(RECORD)
    assert bind.txt(RECORD) == []


def test_a_key_file_as_tsig_keygen_writes_it_is_read(bind):
    key = read_tsig_key(str(bind.key_file))
    assert (key.name, key.algorithm) == ("fieldsync-hub", "hmac-sha256") and len(key.secret) == 44


def test_a_wrong_secret_and_an_unknown_key_are_refused_by_the_server(bind, tmp_path):
    same_name = read_tsig_key(str(bind_module.tsig_key(tmp_path / "wrong.key", "fieldsync-hub")))
    error = refused(Rfc2136(bind.address, "county.test", same_name))
    assert error.details["reason"] == "tsig_refused" and "不认这把 TSIG 密钥" in error.message
    other = read_tsig_key(str(bind_module.tsig_key(tmp_path / "other.key", "someone-else")))
    assert refused(Rfc2136(bind.address, "county.test", other)).details["reason"] == "tsig_refused"


def test_a_name_the_key_may_not_change_is_refused(bind):
    provider = Rfc2136(bind.address, "county.test", read_tsig_key(str(bind.key_file)))
    error = refused(provider, "_acme-challenge.www.county.test")  # in the zone, outside the key's update-policy
    assert error.details["reason"] == "refused" and "update-policy" in error.message
    error = refused(provider, "_acme-challenge.s7.stations.elsewhere.test")
    assert error.details["reason"] == "outside_zone" and "DNS_ZONE" in error.message


def test_a_zone_the_server_does_not_hold(bind):
    error = refused(Rfc2136(bind.address, "other.test", read_tsig_key(str(bind.key_file))),
                    "_acme-challenge.s7.other.test")
    assert error.details["reason"] == "not_auth" and "DNS_ZONE" in error.message


def test_an_unreachable_server(bind):
    from devtools.processes import free_port

    address = f"127.0.0.1:{free_port()}"
    error = refused(Rfc2136(address, "county.test", read_tsig_key(str(bind.key_file))))
    assert error.details["reason"] == "unreachable" and f"无法连接域名服务器 {address}" in error.message
    error = refused(Rfc2136("ns1.invalid", "county.test", read_tsig_key(str(bind.key_file))))
    assert error.details["reason"] == "unreachable"


@pytest.mark.parametrize(("content", "reason"), [
    (None, "tsig_key_unreadable"),
    ("secret-only-no-block\n", "tsig_key_malformed"),
    ('key "k" { algorithm hmac-sha256; };\n', "tsig_key_malformed"),
])
def test_a_missing_or_malformed_key_file_is_said_before_any_update(tmp_path, content, reason):
    path = tmp_path / "tsig.key"
    if content is not None:
        path.write_text(content)
    with pytest.raises(FieldsyncError) as caught:
        read_tsig_key(str(path))
    assert caught.value.details["reason"] == reason and "DNS_TSIG_KEY_FILE" in caught.value.message + str(path)


def test_a_bad_secret_in_a_well_formed_file_is_said(bind, tmp_path):
    path = tmp_path / "tsig.key"
    path.write_text('key "fieldsync-hub" { algorithm hmac-sha256; secret "not-base64!"; };\n')
    error = refused(Rfc2136(bind.address, "county.test", read_tsig_key(str(path))))
    assert error.details["reason"] == "tsig_key_malformed"


def config(**overrides: str) -> dict[str, str]:
    return {"DNS_PROVIDER": "rfc2136", "DNS_SERVER": "127.0.0.1:53", "DNS_ZONE": "", "DNS_TSIG_KEY_FILE": "",
            "DNS_API_URL": "", "STATION_DOMAIN": "stations.county.test", **overrides}


def test_settings_choose_and_configure_the_provider(bind):
    provider = provider_from_config(config(DNS_SERVER=bind.address, DNS_TSIG_KEY_FILE=str(bind.key_file)))
    assert isinstance(provider, Rfc2136) and provider.zone == "stations.county.test."  # DNS_ZONE empty
    provider = provider_from_config(config(DNS_SERVER="ns1.county.test", DNS_ZONE="County.Test",
                                           DNS_TSIG_KEY_FILE=str(bind.key_file)))
    assert isinstance(provider, Rfc2136) and (provider.host, provider.port, provider.zone) == (
        "ns1.county.test", 53, "county.test.")
    for settings, said in [(config(DNS_SERVER=""), "DNS_SERVER"), (config(), "DNS_TSIG_KEY_FILE"),
                           (config(DNS_PROVIDER="alidns"), "rfc2136、challtestsrv")]:
        with pytest.raises(FieldsyncError, match=said):
            provider_from_config(settings)

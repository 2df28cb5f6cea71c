"""The certificate endpoint: a signed request, a CSR only for the station's own name and with its own key, the
certificate handed back once issued; the station installs only a certificate for its name and key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from hub.certificates import status
from hub.store.models import StationCertificate
from shared.protocol import CERTIFICATE_PATH
from tests.support import VILLAGES, SimNode

DOMAIN = "stations.county.test"


@pytest.fixture
def node(app, client, county):
    app.config.update(STATION_DOMAIN=DOMAIN)
    return SimNode(app, client, "证书站", VILLAGES[:1])


def csr_for(*names: str, key=None) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def post(node: SimNode, csr: str | None):
    body = json.dumps({"csr": csr}).encode()
    headers = {**node.headers("POST", CERTIFICATE_PATH, body), "Content-Type": "application/json"}
    return node.client.post(CERTIFICATE_PATH, data=body, headers=headers)


def test_the_station_learns_its_name_then_its_csr_waits_for_the_ca(node):
    name = f"s{node.node_id}.{DOMAIN}"
    asked = post(node, None)
    assert asked.status_code == 200 and asked.json == {"state": "wanted", "domain": name, "certificate": None,
                                                       "not_after": None}
    sent = post(node, csr_for(name))
    assert sent.status_code == 200 and sent.json["state"] == "pending"
    assert post(node, None).json["state"] == "pending"


@pytest.mark.parametrize(("names", "key", "reason"), [
    (("s99.stations.county.test",), None, "names"),  # another station's name
    (("{own}", "hub.county.test"), None, "names"),  # one more name than its own
    (("*.stations.county.test",), None, "names"),  # no wildcard
    (("{own}",), rsa.generate_private_key(65537, 1024), "key_type"),  # a weak key
])
def test_a_csr_for_anything_but_the_station_name_and_a_sound_key_is_refused(node, names, key, reason):
    own = f"s{node.node_id}.{DOMAIN}"
    reply = post(node, csr_for(*[n.format(own=own) for n in names], key=key))
    assert reply.status_code == 422 and reply.json["code"] == "CSR_INVALID"
    assert reply.json["details"] == {"reason": reason} and "证书请求不合格" in reply.json["message"]
    assert StationCertificate.select().count() == 0


def test_unreadable_and_unsigned_requests_are_refused(node, client):
    assert post(node, "-----BEGIN CERTIFICATE REQUEST-----\nnonsense\n").json["details"] == {"reason": "unreadable"}
    body = json.dumps({"csr": None}).encode()
    unsigned = client.post(CERTIFICATE_PATH, data=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert post(node, "x" * 9000).json["code"] == "INVALID_FIELDS"  # longer than any CSR


def test_without_a_county_domain_the_endpoint_says_off(app, node):
    app.config.update(STATION_DOMAIN="")
    assert post(node, None).json == {"state": "off", "domain": None, "certificate": None, "not_after": None}


def test_an_issued_certificate_is_handed_back_and_warned_about_near_its_end(app, node):
    name = f"s{node.node_id}.{DOMAIN}"
    post(node, csr_for(name))
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    StationCertificate.update(certificate_pem="CHAIN", not_before=now - timedelta(days=80),
                              not_after=now + timedelta(days=10), issued_at=now).execute()
    reply = post(node, None).json
    assert reply["state"] == "issued" and reply["certificate"] == "CHAIN"
    row = StationCertificate.get()
    assert row.delivered_at is not None
    assert status.due(row, 2 / 3, now) and not status.due(row, 2 / 3, now - timedelta(days=30))
    assert "即将过期" in (status.warning(row, 5 / 6, now) or "")
    assert status.warning(row, 5 / 6, now - timedelta(days=30)) is None
    assert "已过期" in (status.warning(row, 5 / 6, now + timedelta(days=11)) or "")
    post(node, csr_for(name))  # a new key: the old certificate is not handed out for it
    assert post(node, None).json["state"] == "pending"
    assert status.due(StationCertificate.get(), 2 / 3, now - timedelta(days=30))



@pytest.mark.parametrize(("role", "township"), [("staff", None), ("viewer", None), ("township", VILLAGES[0][0])])
def test_a_certificate_failure_names_settings_to_the_admin_only(app, node, role, township):
    """The operator's reason names a setting and a command; a clerk, who can do neither, reads what it means."""
    from tests.conftest import make_user, signed_in

    post(node, csr_for(f"s{node.node_id}.{DOMAIN}"))
    StationCertificate.update(last_error="unreachable", last_error_text="无法连接域名服务器 ns:53（DNS_SERVER）。"
                              ).execute()
    admin_page = node.client.get("/").get_data(as_text=True)
    assert "DNS_SERVER" in admin_page
    clerk_page = signed_in(app, make_user(app, f"clerk-{role}", role, township)).get("/").get_data(as_text=True)
    assert "DNS_SERVER" not in clerk_page and "请告知县级管理员" in clerk_page

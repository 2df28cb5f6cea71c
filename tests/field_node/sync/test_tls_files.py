"""The station's TLS files: its key made here (0600), a certificate installed only for its name and key."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from field_node.store.tls import TlsFiles

NAME = "s1.stations.county.test"


def certificate(csr_pem: str, name: str = NAME, days: float = 90, public_key=None) -> str:
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    ca = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")]))
            .public_key(public_key or csr.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_the_key_stays_private_and_only_a_matching_certificate_is_installed(tmp_path):
    files = TlsFiles.of(tmp_path)
    csr = files.new_csr(NAME)
    assert stat.S_IMODE(files.key_path.stat().st_mode) == 0o600
    assert files.csr_for(NAME) == csr and files.csr_for("s2.stations.county.test") is None
    assert not files.install(certificate(csr, name="s2.stations.county.test"), NAME)  # another name
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert not files.install(certificate(csr, public_key=other), NAME)  # another key
    assert not files.install(certificate(csr, days=-0.5), NAME)  # expired
    assert not files.install("not a certificate", NAME)
    assert files.current() is None
    assert files.install(certificate(csr), NAME)
    assert files.current() is not None


def test_a_new_key_waits_until_its_certificate_comes(tmp_path):
    files = TlsFiles.of(tmp_path)
    first_csr = files.new_csr(NAME)
    assert files.install(certificate(first_csr), NAME)
    key_in_use = files.key_path.read_bytes()
    second_csr = files.new_csr(NAME)
    assert files.key_path.read_bytes() == key_in_use  # the served pair stays whole
    assert files.install(certificate(second_csr), NAME)
    assert files.key_path.read_bytes() != key_in_use

"""A station's certificate request at sync: its one name, its CSR checked, its certificate handed back.

The station makes its key and CSR itself (the key never leaves it); the hub accepts a CSR only for the station's
own name (``s<node id>.<STATION_DOMAIN>``), signed by the key it carries, with an ECDSA P-256 or RSA ≥ 2048 key.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from hub.county.clock import utcnow
from hub.store.models import Node, StationCertificate
from shared.errors import ErrorCode, FieldsyncError

MAX_CSR_CHARS = 8_000


def station_domain(node: Node, county_domain: str) -> str:
    """The station's name: its number, not its village (certificates are public in CT logs)."""
    return f"s{node.id}.{county_domain.strip('.').lower()}"


def _refuse(reason: str) -> FieldsyncError:
    return FieldsyncError(ErrorCode.CSR_INVALID, details={"reason": reason})


def checked_csr(csr_pem: str, domain: str) -> x509.CertificateSigningRequest:
    """The CSR if it is one the hub will send to the CA for ``domain``, else CSR_INVALID saying why."""
    if not isinstance(csr_pem, str) or len(csr_pem) > MAX_CSR_CHARS:
        raise _refuse("size")
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise _refuse("unreadable") from exc
    if not csr.is_signature_valid:
        raise _refuse("signature")
    key = csr.public_key()
    if not ((isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1")
            or (isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048)):
        raise _refuse("key_type")
    if _names(csr) != {domain}:
        raise _refuse("names")
    return csr


def _names(csr: x509.CertificateSigningRequest) -> set[str]:
    names = {str(attr.value).lower() for attr in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)}
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return names | {"<no san>"}
    others = [entry for entry in san if not isinstance(entry, x509.DNSName)]
    return names | {entry.lower() for entry in san.get_values_for_type(x509.DNSName)} | (
        {"<other>"} if others else set())


def exchange(node: Node, csr_pem: str | None, county_domain: str) -> dict[str, Any]:
    """The reply to ``POST /certificate``: take a new CSR if one came, hand back the certificate if there is one."""
    if not county_domain:
        return {"state": "off", "domain": None, "certificate": None, "not_after": None}
    domain = station_domain(node, county_domain)
    row = StationCertificate.get_or_none(StationCertificate.node == node)
    if csr_pem is not None:
        checked_csr(csr_pem, domain)
        row = _store_request(node, row, domain, csr_pem)
    if row is None or row.domain != domain:
        return {"state": "wanted", "domain": domain, "certificate": None, "not_after": None}
    if row.certificate_pem is None or row.issued_at is None or row.not_after is None:
        return {"state": "pending", "domain": domain, "certificate": None, "not_after": None}
    if row.delivered_at is None or row.delivered_at < row.issued_at:
        StationCertificate.update(delivered_at=utcnow()).where(StationCertificate.id == row.id).execute()
    return {"state": "issued", "domain": domain, "certificate": row.certificate_pem,
            "not_after": row.not_after.isoformat() + "Z"}


def _store_request(node: Node, row: StationCertificate | None, domain: str, csr_pem: str) -> StationCertificate:
    """A new CSR (a new key) replaces the old one; the certificate for the old key stays (the station serves it,
    the hub warns by it) until the new one comes, but is no longer handed out."""
    if row is None:
        return StationCertificate.create(node=node, domain=domain, csr_pem=csr_pem, requested_at=utcnow())
    if row.csr_pem != csr_pem:
        fresh = row.domain != domain
        StationCertificate.update(  # issued_at None: the certificate kept is for the old key, not this CSR
            domain=domain, csr_pem=csr_pem, requested_at=utcnow(), last_error=None, last_error_text=None,
            issued_at=None,
            **({"certificate_pem": None, "not_before": None, "not_after": None} if fresh else {}),
        ).where(StationCertificate.id == row.id).execute()
    return StationCertificate.get_by_id(row.id)

"""The station's TLS key, CSR and certificate, in ``<data dir>/tls/`` (docs/certificates.md).

The key is made here and never leaves the station (mode 0600); the hub gets only the CSR.  A certificate from the
hub is installed only if it is for this station's name and this key, and not expired: a wrong one is ignored and
the station keeps serving the one it has.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TLS_DIR = "tls"
KEY_FILE = "station.key"
CSR_FILE = "station.csr"
CERT_FILE = "station.crt"  # the full chain, leaf first


@dataclass
class TlsFiles:
    folder: Path

    @classmethod
    def of(cls, data_dir: Path) -> TlsFiles:
        return cls(data_dir / TLS_DIR)

    @property
    def key_path(self) -> Path:
        return self.folder / KEY_FILE

    @property
    def csr_path(self) -> Path:
        return self.folder / CSR_FILE

    @property
    def cert_path(self) -> Path:
        return self.folder / CERT_FILE

    def csr_for(self, domain: str) -> str | None:
        """The CSR kept for ``domain``, or None (none yet, or one for another name)."""
        if not self.csr_path.exists() or not self.key_path.exists():
            return None
        pem = self.csr_path.read_text(encoding="ascii")
        csr = x509.load_pem_x509_csr(pem.encode("ascii"))
        return pem if _dns_names(csr.extensions) == [domain] else None

    def new_csr(self, domain: str) -> str:
        """A new key (ECDSA P-256, 0600) and a CSR for ``domain`` signed by it; both kept, the key replaced."""
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)]))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
               .sign(key, hashes.SHA256()))
        pem = csr.public_bytes(serialization.Encoding.PEM).decode("ascii")
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The key waits beside the one in use until its certificate comes (``install`` moves it in place).
        _write(self.folder / (KEY_FILE + ".next"), key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), 0o600)
        if not self.key_path.exists():
            os.replace(self.folder / (KEY_FILE + ".next"), self.key_path)
        _write(self.csr_path, pem.encode("ascii"), 0o600)
        return pem

    def _key_for(self, certificate: x509.Certificate) -> Path | None:
        """Which kept key (the one in use, or the next one) the certificate is for."""
        wanted = certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
        for path in (self.key_path, self.folder / (KEY_FILE + ".next")):
            if path.exists():
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
                public = key.public_key().public_bytes(serialization.Encoding.DER,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
                if public == wanted:
                    return path
        return None

    def install(self, chain_pem: str, domain: str) -> bool:
        """Install the hub's certificate if it is for ``domain``, one of this station's keys, and not expired."""
        try:
            leaf = x509.load_pem_x509_certificate(chain_pem.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return False
        key_path = self._key_for(leaf)
        if (key_path is None or _dns_names(leaf.extensions) != [domain]
                or leaf.not_valid_after_utc <= datetime.now(UTC)):
            return False
        if self.cert_path.exists() and self.cert_path.read_text(encoding="ascii") == chain_pem:
            return False
        _write(self.cert_path.with_suffix(".crt.new"), chain_pem.encode("ascii"), 0o600)
        if key_path != self.key_path:
            os.replace(key_path, self.key_path)
        os.replace(self.cert_path.with_suffix(".crt.new"), self.cert_path)
        return True

    def current(self) -> x509.Certificate | None:
        if not self.cert_path.exists():
            return None
        return x509.load_pem_x509_certificate(self.cert_path.read_bytes())


def _dns_names(extensions: x509.Extensions) -> list[str]:
    try:
        return extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
    except x509.ExtensionNotFound:
        return []


def _write(path: Path, content: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.chmod(path, mode)

"""pebble (an ACME test CA) and pebble-challtestsrv (its DNS) as real processes on loopback, for the certificate
tests (Debian packages ``pebble``; `make system-deps` installs it).

pebble serves ACME over HTTPS; its listener's certificate is made here by a throwaway CA that the hub trusts through
ACME_CA_BUNDLE (never a disabled check).  The CA that signs the *stations'* certificates is pebble's own, made anew
at each start; its root is read from pebble's management endpoint.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devtools.processes import free_port, stop_group


def available() -> bool:
    return shutil.which("pebble") is not None and shutil.which("pebble-challtestsrv") is not None


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def write_listener_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a localhost/127.0.0.1 certificate it signed: (ca.pem, cert.pem, key.pem)."""
    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("fieldsync test ACME listener CA"))
          .issuer_name(_name("fieldsync test ACME listener CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
          .not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "listener-ca.pem", folder / "listener.pem", folder / "listener.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(_pem_key(key))
    return paths


@dataclass
class Pebble:
    folder: Path
    validity_seconds: int = 3600
    dns_port: int = field(default_factory=free_port)
    dns_api_port: int = field(default_factory=free_port)
    acme_port: int = field(default_factory=free_port)
    management_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)
    listener_ca: Path | None = None
    dns_server: str = ""  # host:port of the DNS pebble checks TXT records at; empty: its own challtestsrv

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.acme_port}/dir"

    @property
    def dns_api_url(self) -> str:
        return f"http://127.0.0.1:{self.dns_api_port}"

    def _spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        self.processes.append(subprocess.Popen([name, *args], stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True, env={**os.environ, **(env or {})}))

    def start(self) -> None:
        ca, cert, key = write_listener_certificate(self.folder)
        self.listener_ca = ca
        if not self.dns_server:
            self._spawn("pebble-challtestsrv", "-dns01", f"127.0.0.1:{self.dns_port}", "-management",
                        f"127.0.0.1:{self.dns_api_port}", "-http01", "", "-https01", "", "-tlsalpn01", "")
        config = {"pebble": {"listenAddress": f"127.0.0.1:{self.acme_port}",
                             "managementListenAddress": f"127.0.0.1:{self.management_port}",
                             "certificate": str(cert), "privateKey": str(key), "httpPort": 5002, "tlsPort": 5001,
                             "ocspResponderURL": "", "externalAccountBindingRequired": False,
                             "certificateValidityPeriod": self.validity_seconds}}
        config_path = self.folder / "pebble-config.json"
        config_path.write_text(json.dumps(config))
        dns_server = self.dns_server or f"127.0.0.1:{self.dns_port}"
        self._spawn("pebble", "-config", str(config_path), "-dnsserver", dns_server,
                    env={"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "0"})
        self._wait(self.directory_url)

    def _wait(self, url: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes):
                logs = "".join(p.read_text(errors="replace")[-1500:] for p in self.folder.glob("*.log"))
                raise RuntimeError(f"pebble exited:\n{logs}")
            try:
                requests.get(url, verify=str(self.listener_ca), timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"{url} did not answer")

    def root_pem(self) -> str:
        """The root of the CA pebble issues with (made at its start): what a phone trusts, in the test."""
        response = requests.get(f"https://127.0.0.1:{self.management_port}/roots/0", verify=str(self.listener_ca),
                                timeout=5)
        response.raise_for_status()
        return response.text

    def stop_acme(self) -> None:
        """Stop pebble (the CA), leaving its DNS server: renewals then fail."""
        stop_group(self.processes.pop())

    def stop(self) -> None:
        while self.processes:
            stop_group(self.processes.pop())

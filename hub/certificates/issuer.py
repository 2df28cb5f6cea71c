"""The hub's ACME client: its account (key 0600 in the data folder) and one DNS-01 order per station CSR.

Uses the ``acme`` library (certbot's, kept by the EFF): new order for the station's CSR, the TXT record through
the DNS provider, answer, poll, finalize, full chain back.  Only the hub's account key is used here; the station's
key stays on the station (the CSR carries its public half).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import josepy as jose
from acme import challenges, client, errors, messages
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hub.certificates.dns import DnsProvider
from shared.errors import ErrorCode, FieldsyncError

ACCOUNT_KEY = "acme-account.key"
ACCOUNT_FILE = "acme-account.json"
ORDER_SECONDS = 90
KEY_COMPROMISE = 1  # RFC 5280 CRLReason


@dataclass
class Issuer:
    """One ACME CA and the hub's account with it."""

    directory_url: str
    data_dir: Path
    dns: DnsProvider
    ca_bundle: str = ""
    email: str = ""
    propagation_seconds: float = 0.0

    def _account_key(self) -> jose.JWKEC:
        path = self.data_dir / ACCOUNT_KEY
        if not path.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            _write_private(path, pem)
        os.chmod(path, 0o600)  # also a key copied in with a wider mode
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        return jose.JWKEC(key=cast("ec.EllipticCurvePrivateKey", loaded))

    def _client(self) -> client.ClientV2:
        key = self._account_key()
        verify = cast("bool", self.ca_bundle or True)  # requests' `verify`: a CA bundle path, never False
        network = client.ClientNetwork(key, alg=jose.ES256, verify_ssl=verify, user_agent="fieldsync-hub")
        directory = client.ClientV2.get_directory(self.directory_url, network)
        acme = client.ClientV2(directory, network)
        account_path = self.data_dir / ACCOUNT_FILE
        if account_path.exists():
            uri = json.loads(account_path.read_text())["uri"]
            network.account = messages.RegistrationResource(uri=uri, body=messages.Registration())
        else:
            registration = messages.NewRegistration.from_data(email=self.email or None,
                                                               terms_of_service_agreed=True)
            account = acme.new_account(registration)
            _write_private(account_path, json.dumps({"uri": account.uri}).encode())
        return acme

    def issue(self, csr_pem: str) -> str:
        """The full chain (PEM) the CA issues for ``csr_pem``; CERTIFICATE_FAILED saying which step failed."""
        try:
            acme = self._client()
            order = acme.new_order(csr_pem.encode("ascii"))
            key = acme.net.key
            assert key is not None  # _client made the network with the account key
            records: list[str] = []  # every TXT record set, removed whatever happens next
            try:
                bodies = [self._set_record(key, authz, records) for authz in order.authorizations]
                time.sleep(self.propagation_seconds)  # the zone's secondaries catch up before the CA looks
                for body in bodies:
                    acme.answer_challenge(body, body.chall.response(key))
                done = acme.poll_and_finalize(order, datetime.now() + timedelta(seconds=ORDER_SECONDS))
            finally:
                for fqdn in records:
                    self.dns.clear_txt(fqdn)
        except (errors.Error, messages.Error, OSError, ValueError) as exc:
            raise FieldsyncError(ErrorCode.CERTIFICATE_FAILED, "站点证书未能申请：连不上证书机构，或证书机构没有签发"
                                 "（ACME_DIRECTORY_URL；原因见 fieldsync-hub nodes）。下次运行 fieldsync-hub "
                                 "certificates 时会重试。", {"step": "acme", "reason": _reason(exc)}) from exc
        return done.fullchain_pem

    def revoke(self, chain_pem: str) -> None:
        """Have the CA revoke a station's certificate (reason keyCompromise: its card may be in a thief's hands)."""
        try:
            self._client().revoke(x509.load_pem_x509_certificate(chain_pem.encode("ascii")), KEY_COMPROMISE)
        except (errors.Error, messages.Error, OSError, ValueError) as exc:
            raise FieldsyncError(ErrorCode.CERTIFICATE_FAILED, "证书机构没有吊销站点证书：请稍后再运行 "
                                 "fieldsync-hub revoke-node，或到证书机构手动吊销。",
                                 {"step": "revoke", "reason": _reason(exc)}) from exc

    def _set_record(self, key: jose.JWK, authz: messages.AuthorizationResource,
                    records: list[str]) -> messages.ChallengeBody:
        """Set the DNS-01 TXT record of one authorization (its name added to ``records``); the challenge to answer."""
        body = next((c for c in authz.body.challenges if isinstance(c.chall, challenges.DNS01)), None)
        if body is None:
            raise errors.Error("the CA offered no dns-01 challenge")
        chall = cast("challenges.DNS01", body.chall)
        fqdn = chall.validation_domain_name(authz.body.identifier.value)
        self.dns.set_txt(fqdn, chall.validation(key))
        records.append(fqdn)
        return body


def _reason(exc: Exception) -> str:
    """A short reason for the log and `nodes` (an ACME problem's type, or the exception's class)."""
    if isinstance(exc, messages.Error) and exc.typ:
        return str(exc.typ).rsplit(":", 1)[-1]
    return type(exc).__name__


def _write_private(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def issuer_from_config(config: Any) -> Issuer:
    from hub.certificates.dns import provider_from_config

    return Issuer(config["ACME_DIRECTORY_URL"], Path(config["DATA_DIR"]), provider_from_config(config),
                  config["ACME_CA_BUNDLE"], config["ACME_EMAIL"], config["DNS_PROPAGATION_SECONDS"])

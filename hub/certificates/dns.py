"""Where the hub sets the ``_acme-challenge`` TXT records of DNS-01: one small interface, one class per provider.

``DNS_PROVIDER`` names the class:

- ``rfc2136``: RFC 2136 dynamic updates signed with a TSIG key (dnspython), to the county's primary name server
  (BIND, Knot, PowerDNS, Windows DNS …) at ``DNS_SERVER`` for the zone ``DNS_ZONE``; the key is read from
  ``DNS_TSIG_KEY_FILE`` in BIND's format (what ``tsig-keygen`` prints), so the secret stays out of the environment.
- ``challtestsrv``: pebble's challenge test server (its HTTP management API), for tests and rehearsals.

Every failure is a ``CERTIFICATE_FAILED`` with a Chinese message for the county's operator and a short reason for
the log (``details``), never the key's secret.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update
import requests

from shared.errors import ErrorCode, FieldsyncError

TXT_TTL = 60  # seconds: the record lives only for the seconds of an order
DNS_TIMEOUT = 10.0


class DnsProvider(Protocol):
    def set_txt(self, fqdn: str, value: str) -> None: ...

    def clear_txt(self, fqdn: str) -> None: ...


def _dns_failure(message: str, reason: str, **details: Any) -> FieldsyncError:
    return FieldsyncError(ErrorCode.CERTIFICATE_FAILED, f"站点证书未能申请：{message}下次运行 fieldsync-hub "
                          "certificates 时会重试。", {"step": "dns", "reason": reason, **details})


class ChallTestSrv:
    """pebble-challtestsrv's management API: POST /set-txt and /clear-txt with {"host": "<fqdn>.", ...}."""

    def __init__(self, api_url: str, timeout: float = DNS_TIMEOUT):
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    def _post(self, path: str, body: dict[str, str]) -> None:
        try:
            response = requests.post(self.api_url + path, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise _dns_failure("无法连接域名解析服务（DNS_API_URL）。", type(exc).__name__) from exc
        if response.status_code != 200:
            raise _dns_failure("域名解析服务拒绝了设置记录的请求。", "http_status", status=response.status_code)

    def set_txt(self, fqdn: str, value: str) -> None:
        self._post("/set-txt", {"host": _dotted(fqdn), "value": value})

    def clear_txt(self, fqdn: str) -> None:
        self._post("/clear-txt", {"host": _dotted(fqdn)})


def _dotted(fqdn: str) -> str:
    return fqdn if fqdn.endswith(".") else fqdn + "."


@dataclass(frozen=True)
class TsigKey:
    """A TSIG key as BIND writes it: ``key "name" { algorithm hmac-sha256; secret "base64"; };``."""

    name: str
    algorithm: str
    secret: str


_KEY_BLOCK = re.compile(r'key\s+"?(?P<name>[^"\s{]+)"?\s*\{(?P<body>[^}]*)\}', re.IGNORECASE)
_KEY_FIELD = re.compile(r'(?P<field>algorithm|secret)\s+"?(?P<value>[^";\s]+)"?\s*;', re.IGNORECASE)


def read_tsig_key(path: str) -> TsigKey:
    """The first key of a BIND key file; a settings failure in Chinese when it is missing or unreadable."""
    if not path:
        raise _dns_failure("未设置 DNS_TSIG_KEY_FILE（TSIG 密钥文件，tsig-keygen 生成）。", "tsig_key_unset")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _dns_failure(f"读不了 TSIG 密钥文件 {path}（DNS_TSIG_KEY_FILE）。", "tsig_key_unreadable") from exc
    block = _KEY_BLOCK.search(text)
    fields = {m["field"].lower(): m["value"] for m in _KEY_FIELD.finditer(block["body"])} if block else {}
    if block is None or "secret" not in fields:
        raise _dns_failure(f"TSIG 密钥文件 {path}（DNS_TSIG_KEY_FILE）的格式不对：应是 tsig-keygen 生成的文件"
                           "（key \"名称\" { algorithm …; secret \"…\"; };）。", "tsig_key_malformed")
    return TsigKey(block["name"], fields.get("algorithm", "hmac-sha256").lower(), fields["secret"])


class Rfc2136:
    """RFC 2136 dynamic update, TSIG-signed, over TCP to the zone's primary name server."""

    def __init__(self, server: str, zone: str, key: TsigKey, timeout: float = DNS_TIMEOUT):
        host, _, port = server.rpartition(":")
        self.host, self.port = (host, int(port)) if host and port.isdigit() else (server, 53)
        self.server = server
        self.zone = _dotted(zone.strip(".").lower())
        self.key = key
        self.timeout = timeout

    def set_txt(self, fqdn: str, value: str) -> None:
        update = self._update(fqdn)
        update.add(_dotted(fqdn), TXT_TTL, "TXT", f'"{value}"')
        self._send(update)

    def clear_txt(self, fqdn: str) -> None:
        update = self._update(fqdn)
        update.delete(_dotted(fqdn), "TXT")
        self._send(update)

    def _update(self, fqdn: str) -> dns.update.UpdateMessage:
        if not dns.name.from_text(fqdn).is_subdomain(dns.name.from_text(self.zone)):
            raise _dns_failure(f"记录 {fqdn} 不在区域 {self.zone} 内：请检查 DNS_ZONE 与 STATION_DOMAIN。",
                               "outside_zone")
        try:
            keyring = dns.tsigkeyring.from_text({self.key.name: (self.key.algorithm, self.key.secret)})
        except (ValueError, TypeError) as exc:  # bad base64, unknown algorithm
            raise _dns_failure("TSIG 密钥文件里的密钥或算法不对（DNS_TSIG_KEY_FILE）。", "tsig_key_malformed") from exc
        return dns.update.UpdateMessage(self.zone, keyring=keyring)

    def _send(self, update: dns.update.UpdateMessage) -> None:
        where = f"域名服务器 {self.server}（DNS_SERVER）"
        try:
            address = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)[0][4][0]
            reply = dns.query.tcp(update, str(address), timeout=self.timeout, port=self.port)
        except dns.tsig.PeerError as exc:
            raise _dns_failure(f"{where}不认这把 TSIG 密钥：请核对 DNS_TSIG_KEY_FILE 与服务器上的密钥是否同一把。",
                               "tsig_refused", tsig=type(exc).__name__) from exc
        except (dns.exception.Timeout, OSError) as exc:
            raise _dns_failure(f"无法连接{where}。", "unreachable", error=type(exc).__name__) from exc
        except dns.exception.DNSException as exc:
            raise _dns_failure(f"{where}的答复无法识别。", "bad_reply", error=type(exc).__name__) from exc
        code = reply.rcode()
        if code == dns.rcode.NOERROR:
            return
        if code == dns.rcode.NOTAUTH:
            raise _dns_failure(f"{where}不认这把 TSIG 密钥，或不管区域 {self.zone}：请核对 DNS_TSIG_KEY_FILE 与 "
                               "DNS_ZONE。", "not_auth")
        if code == dns.rcode.NOTZONE:
            raise _dns_failure(f"{where}上没有区域 {self.zone}：请核对 DNS_ZONE。", "not_zone")
        raise _dns_failure(f"{where}拒绝了更新（{dns.rcode.to_text(code)}）：请检查服务器是否允许这把密钥更新 "
                           f"{self.zone} 的 TXT 记录（update-policy）。", dns.rcode.to_text(code).lower())


def _challtestsrv(config: Any) -> DnsProvider:
    return ChallTestSrv(config["DNS_API_URL"])


def _rfc2136(config: Any) -> DnsProvider:
    if not config["DNS_SERVER"]:
        raise _dns_failure("未设置 DNS_SERVER（接受动态更新的域名服务器，主机:端口）。", "server_unset")
    zone = config["DNS_ZONE"] or config["STATION_DOMAIN"]
    return Rfc2136(config["DNS_SERVER"], zone, read_tsig_key(config["DNS_TSIG_KEY_FILE"]))


PROVIDERS = {"rfc2136": _rfc2136, "challtestsrv": _challtestsrv}


def provider_from_config(config: Any) -> DnsProvider:
    """The DNS provider the settings name (DNS_PROVIDER and that provider's settings)."""
    kind = config["DNS_PROVIDER"]
    if kind not in PROVIDERS:
        raise FieldsyncError(ErrorCode.CERTIFICATE_FAILED, f"未知的域名解析服务类型“{kind}”：请把 DNS_PROVIDER 设为 "
                             f"{'、'.join(PROVIDERS)} 之一。", {"step": "settings"})
    return PROVIDERS[kind](config)

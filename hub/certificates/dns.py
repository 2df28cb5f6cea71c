"""Where the hub sets the ``_acme-challenge`` TXT records of DNS-01: one small interface, one class per provider.

A county's DNS provider gets a class here with the same two methods; ``DNS_PROVIDER`` names it.  The one shipped
is ``challtestsrv``: pebble's challenge test server (its HTTP management API), for tests and rehearsals.
"""

from __future__ import annotations

from typing import Any, Protocol

import requests

from shared.errors import ErrorCode, FieldsyncError


class DnsProvider(Protocol):
    def set_txt(self, fqdn: str, value: str) -> None: ...

    def clear_txt(self, fqdn: str) -> None: ...


class ChallTestSrv:
    """pebble-challtestsrv's management API: POST /set-txt and /clear-txt with {"host": "<fqdn>.", ...}."""

    def __init__(self, api_url: str, timeout: float = 10.0):
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    def _post(self, path: str, body: dict[str, str]) -> None:
        try:
            response = requests.post(self.api_url + path, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise FieldsyncError(ErrorCode.CERTIFICATE_FAILED, "无法连接域名解析服务（DNS_API_URL），证书未能申请。",
                                 {"step": "dns", "reason": type(exc).__name__}) from exc
        if response.status_code != 200:
            raise FieldsyncError(ErrorCode.CERTIFICATE_FAILED, "域名解析服务拒绝了设置记录的请求，证书未能申请。",
                                 {"step": "dns", "status": response.status_code})

    def set_txt(self, fqdn: str, value: str) -> None:
        self._post("/set-txt", {"host": _dotted(fqdn), "value": value})

    def clear_txt(self, fqdn: str) -> None:
        self._post("/clear-txt", {"host": _dotted(fqdn)})


def _dotted(fqdn: str) -> str:
    return fqdn if fqdn.endswith(".") else fqdn + "."


PROVIDERS = {"challtestsrv": ChallTestSrv}


def provider_from_config(config: Any) -> DnsProvider:
    """The DNS provider the settings name (DNS_PROVIDER, DNS_API_URL)."""
    kind = config["DNS_PROVIDER"]
    if kind not in PROVIDERS:
        raise FieldsyncError(ErrorCode.CERTIFICATE_FAILED, f"未知的域名解析服务类型“{kind}”：请把 DNS_PROVIDER 设为 "
                             f"{'、'.join(PROVIDERS)} 之一。", {"step": "settings"})
    return PROVIDERS[kind](config["DNS_API_URL"])

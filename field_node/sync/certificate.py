"""The station's certificate at sync: ask the hub for its name, send a CSR made here, install what comes back.

Two small signed requests per pass at most; a hub of an earlier release (no endpoint) or a county without station
certificates (``off``) is skipped.  The station's key never leaves ``<data dir>/tls/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from field_node.store.tls import TlsFiles
from field_node.sync.node import Node
from shared.errors import ErrorCode, FieldsyncError

STATES = ("off", "wanted", "pending", "issued")


def _checked(reply: Any) -> dict[str, Any]:
    """A certificate reply the station can act on; anything else is a hub error the pass reports."""
    if (isinstance(reply, dict) and reply.get("state") in STATES
            and (reply["state"] == "off" or isinstance(reply.get("domain"), str))
            and (reply["state"] != "issued" or isinstance(reply.get("certificate"), str))):
        return reply
    raise FieldsyncError(ErrorCode.HUB_UNREACHABLE, "县级平台返回了无法识别的证书答复，本站数据仍安全保存，"
                         "稍后会重试；如一直出现，请联系县级管理员。", {"reply": "certificate"})


def exchange_certificate(node: Node, hub: Any, echo: Callable[[str], None]) -> None:  # hub: client.HubClient
    files = TlsFiles.of(node.data_dir)
    try:
        reply = _checked(hub.certificate(None))
    except FieldsyncError as error:
        if error.code is ErrorCode.NOT_FOUND:
            return
        raise
    if reply["state"] == "off":
        return
    domain = reply["domain"]
    kept = files.csr_for(domain)
    if reply["state"] == "wanted" or kept is None:
        reply = _checked(hub.certificate(kept or files.new_csr(domain)))
        echo(f"证书：已向县级平台申请 {domain} 的证书（密钥只保存在本站）。")
    if reply["state"] == "issued" and files.install(reply["certificate"], domain):
        echo(f"证书：已安装 {domain} 的新证书，有效至 {reply.get('not_after')}。")

"""The node's HTTP client for the hub: signs every request, turns every failure into a FieldsyncError.

Retries across failures belong to the sync loop (they must survive a power cut), not here: a request
either returns the hub's answer or raises.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from field_node.store.db import database
from field_node.store.state import get_state, set_state
from shared import wire
from shared.errors import ErrorCode, FieldsyncError
from shared.protocol import (
    ACCOUNTS_PATH,
    CERTIFICATE_PATH,
    ENROLL_PATH,
    POSTINGS_PATH,
    PUSH_PATH,
    ROSTER_PATH,
    SEQ_MAX,
    STATE_PATH,
    TASKS_PATH,
    reply_problem,
)


def _hub_error(response: requests.Response) -> FieldsyncError:
    try:
        payload = response.json()
        return FieldsyncError(ErrorCode[payload["code"]], payload.get("message"), payload.get("details") or {})
    except (ValueError, KeyError, TypeError):
        return FieldsyncError(ErrorCode.HUB_UNREACHABLE,
                              f"县级平台返回了无法识别的答复（HTTP {response.status_code}），"
                              "数据仍安全保存在本站，稍后会重试。")


def _send(session: requests.Session, method: str, url: str, timeout: float, **kwargs: Any) -> Any:
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise FieldsyncError(ErrorCode.HUB_UNREACHABLE, details={"reason": type(exc).__name__}) from exc
    if response.status_code != 200:
        raise _hub_error(response)
    try:
        return response.json()
    except ValueError as exc:
        raise _hub_error(response) from exc


def _last_counter(value: Any) -> int:
    """The hub's last counter from a REPLAYED_REQUEST, only if it is one the protocol allows."""
    if type(value) is not int or not 0 <= value < SEQ_MAX:
        raise FieldsyncError(ErrorCode.HUB_UNREACHABLE, "县级平台返回的请求计数无法使用，请联系县级管理员。",
                             {"reply": "last_counter"})
    return value


def _session() -> requests.Session:
    session = requests.Session()
    session.headers[wire.PROTOCOL_HEADER] = str(wire.PROTOCOL_VERSION)
    return session


def enroll(hub_url: str, code: str, key: Ed25519PrivateKey, timeout: float) -> dict[str, Any]:
    """Send the public key with the one-time code, signed to prove the node holds the private key."""
    return _send(_session(), "POST", hub_url.rstrip("/") + ENROLL_PATH, timeout, json=wire.enrol_body(code, key))


def _checked(reply: Any, shape: str) -> dict[str, Any]:
    """A push or state reply the node can act on; anything else is an error the sync pass reports and survives."""
    problem = reply_problem(reply, shape)
    if problem is not None:
        raise FieldsyncError(ErrorCode.HUB_UNREACHABLE, "县级平台返回了无法识别的同步答复，本站数据仍安全保存，"
                             "稍后会重试；如一直出现，请联系县级管理员。", {"reply": problem})
    return reply


class HubClient:
    """Signed requests from one enrolled node."""

    def __init__(self, hub_url: str, node_id: int, key: Ed25519PrivateKey, timeout: float):
        self.hub_url = hub_url.rstrip("/")
        self.node_id = node_id
        self.key = key
        self.timeout = timeout
        self.session = _session()

    def _next_counter(self) -> int:
        """Persist the counter before using it, so a restarted node never reuses one."""
        with database.atomic("IMMEDIATE"):
            counter = int(get_state("request_counter", "0")) + 1
            set_state("request_counter", counter)
        return counter

    def _signed(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                retry_counter: bool = True) -> Any:
        counter = self._next_counter()
        auth = wire.authorization_header(self.key, method, path, self.node_id, counter, body)
        request_headers = {"Authorization": auth, **(headers or {})}
        try:
            return _send(self.session, method, self.hub_url + path, self.timeout, data=body or None,
                         headers=request_headers)
        except FieldsyncError as error:
            # The hub has seen a higher counter (this node's data folder was restored from a backup):
            # jump past it once rather than failing forever.
            if error.code is ErrorCode.REPLAYED_REQUEST and retry_counter:
                with database.atomic("IMMEDIATE"):
                    set_state("request_counter", _last_counter(error.details.get("last_counter")))
                return self._signed(method, path, body, headers, retry_counter=False)
            raise

    def push(self, batch: bytes) -> dict[str, Any]:
        return _checked(self._signed("POST", PUSH_PATH, batch, {"Content-Type": wire.BATCH_CONTENT_TYPE}), "push")

    def state(self) -> dict[str, Any]:
        return _checked(self._signed("GET", STATE_PATH), "state")

    def roster_page(self, cursor: str) -> dict[str, Any]:
        return self._signed("GET", f"{ROSTER_PATH}?cursor={cursor}&format=2")  # persons by key (docs/records.md)

    def accounts(self) -> list[dict[str, Any]]:
        return self._signed("GET", ACCOUNTS_PATH)["accounts"]

    def postings_page(self, cursor: int) -> dict[str, Any]:
        return self._signed("GET", f"{POSTINGS_PATH}?cursor={cursor}")

    def certificate(self, csr_pem: str | None) -> Any:
        body = json.dumps({"csr": csr_pem}).encode()
        return self._signed("POST", CERTIFICATE_PATH, body, {"Content-Type": "application/json"})

    def tasks_page(self, cursor: int) -> dict[str, Any]:
        return self._signed("GET", f"{TASKS_PATH}?cursor={cursor}")

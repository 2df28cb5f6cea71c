"""Grid members' phones working offline (issue 14): their offline sessions and the visits they bring back.

An offline session starts when a signed-in grid member taps 离线使用 at the station: the phone gets a random
token (the station keeps its SHA-256 only) that lasts ``OFFLINE_DAYS``.  A visit made on the phone carries the id
the phone gave it; ``store_once`` signs it and writes that id in the same transaction, so whatever the phone
resends (a reply lost on flaky Wi-Fi, a second tab, a reload mid-upload) the station stores it once.  The only
writer of ``phone_device`` and ``phone_visit``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from field_node.store.db import database
from field_node.store.models import PENDING, REJECTED, Account, PhoneDevice, PhoneVisit, Record
from field_node.store.state import now_text
from shared.errors import ErrorCode, FieldsyncError
from shared.rows import tuples

ON_PHONE, AT_STATION, AT_HUB, REFUSED = "phone", "station", "hub", "rejected"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def start(username: str, days: int) -> tuple[str, str]:
    """A new offline session for ``username``: (token, expiry time)."""
    token = secrets.token_urlsafe(32)
    expires = _stamp(datetime.now(UTC) + timedelta(days=days))
    PhoneDevice.create(token_sha256=_digest(token), username=username, created_at=now_text(), expires_at=expires)
    return token, expires


def account_of(token: str) -> Account:
    """The active account of a valid offline session; OFFLINE_SESSION_INVALID otherwise."""
    device = PhoneDevice.get_or_none(PhoneDevice.token_sha256 == _digest(token)) if token else None
    account = Account.get_or_none(Account.username == device.username) if device else None
    if device is None or account is None or not account.active or device.expires_at <= now_text():
        raise FieldsyncError(ErrorCode.OFFLINE_SESSION_INVALID)
    return account


def end_all(username: str) -> None:
    """Sign-out: every offline session of the account ends."""
    PhoneDevice.delete().where(PhoneDevice.username == username).execute()


def stored(client_id: str) -> int | None:
    found = PhoneVisit.get_or_none(PhoneVisit.client_id == client_id)
    return found.seq if found else None


def store_once(client_id: str, username: str, save: Callable[[], tuple[list[Any], list[Any]]]
               ) -> tuple[int | None, list[Any]]:
    """Run ``save`` (signing the visit) unless the phone's visit ``client_id`` is stored already; the id is
    written in the same transaction as the record.  Returns (sequence number, problems)."""
    with database.atomic("IMMEDIATE"):
        already = stored(client_id)
        if already is not None:
            return already, []
        saved, problems = save()
        if problems:
            return None, problems
        PhoneVisit.create(client_id=client_id, username=username, seq=saved[0].seq, received_at=now_text())
        return saved[0].seq, []


def states(client_ids: list[str]) -> dict[str, str]:
    """Where each of the phone's visits is: at the station (waiting for sync), at the hub, or refused by it;
    ids the station does not hold are left out (still only on the phone)."""
    rows = tuples(PhoneVisit.select(PhoneVisit.client_id, Record.status)
                  .join(Record, on=(Record.seq == PhoneVisit.seq))
                  .where(PhoneVisit.client_id.in_(client_ids[:500])))
    return {client_id: state_of(status) for client_id, status in rows}


def state_of(record_status: str) -> str:
    """Where a record of the station is, in the phone's words: at the station, at the hub, or refused by it."""
    return {PENDING: AT_STATION, REJECTED: REFUSED}.get(record_status, AT_HUB)

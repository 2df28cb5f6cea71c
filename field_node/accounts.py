"""Station accounts on the node: created here by the station admin or pulled from the hub, and sign-in.

The Pi has no real-time clock, so a lock that seems to last longer than the lockout period (the clock jumped
back) counts as expired rather than locking a grid member out for years.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from field_node.db import database
from field_node.models import Account
from field_node.store import now_text
from shared.accounts import ROLES, check_new_account, hash_password, password_matches, spend_like_a_check
from shared.errors import ErrorCode, FieldsyncError

__all__ = ["ROLES", "apply_hub_accounts", "create_account", "is_locked", "sign_in"]
HUB, NODE = "hub", "node"


def create_account(username: str, display_name: str, password: str, role: str = "member",
                   villages: list[str] | None = None) -> Account:
    """Add an account made at this station; a FieldsyncError says in Chinese what to change.  ``villages``
    (乡镇/村) scopes a member to those villages' households; None: every village of the station."""
    username = check_new_account(username, display_name, password, role)
    with database.atomic("IMMEDIATE"):
        if Account.get_or_none(Account.username == username):
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, "用户名已被使用。", {"username": ["用户名已被使用。"]})
        return Account.create(username=username, display_name=display_name.strip(), role=role, origin=NODE,
                              password_hash=hash_password(password), created_at=now_text(),
                              villages=village_list(villages))


def village_list(villages: list[str] | None) -> str | None:
    """The ``villages`` column: a JSON list, or NULL for every village of the station."""
    return None if villages is None else json.dumps(sorted(villages), ensure_ascii=False)


def apply_hub_accounts(documents: list[dict[str, Any]]) -> int:
    """Make the hub's accounts for this station's villages the node's: add, update, and disable those the hub
    no longer lists.  The county's account wins over a station-made one with the same user name."""
    listed = {document["username"] for document in documents}
    with database.atomic("IMMEDIATE"):
        for document in documents:
            villages = village_list(document.get("villages"))
            row = {**document, "villages": villages}
            (Account.insert(**row, origin=HUB, created_at=now_text())
             .on_conflict(conflict_target=[Account.username],
                          update={Account.display_name: document["display_name"],
                                  Account.password_hash: document["password_hash"], Account.role: document["role"],
                                  Account.active: document["active"], Account.origin: HUB,
                                  Account.villages: villages})
             .execute())
        (Account.update(active=False)
         .where(Account.origin == HUB, Account.username.not_in(listed or {""})).execute())
    return len(documents)


def sign_in(username: str, password: str, attempts: int, lockout_seconds: float,
            clock: Callable[[], float] = time.time) -> Account | None:
    """The account if the password is right and it is not locked; counts failures and locks after ``attempts``."""
    account = Account.get_or_none(Account.username == username.strip().lower())
    if account is None or not account.active:
        spend_like_a_check(password)
        return None
    now = clock()
    if is_locked(account, lockout_seconds, now):
        return None
    if password_matches(account.password_hash, password):
        Account.update(failed_logins=0, locked_until=None).where(Account.username == account.username).execute()
        return account
    failures = account.failed_logins + 1
    locked = now + lockout_seconds if failures >= attempts else None
    Account.update(failed_logins=0 if locked else failures, locked_until=locked).where(
        Account.username == account.username).execute()
    return None


def is_locked(account: Account, lockout_seconds: float, now: float) -> bool:
    until = account.locked_until
    return until is not None and now < until <= now + lockout_seconds


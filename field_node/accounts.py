"""Station accounts on the node: created here by the station admin or pulled from the hub, and sign-in.

Lockouts are per (user name, phone address) and survive the Pi's clock jumping back (shared/accounts.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from field_node.store.db import database, first_row
from field_node.store.models import Account, SignInFailure
from field_node.store.state import now_text
from shared.accounts import ROLES, Lockouts, check_new_account, hash_password
from shared.accounts import session_token as shared_session_token
from shared.errors import ErrorCode, FieldsyncError

__all__ = ["ROLES", "apply_hub_accounts", "create_account", "end_sessions", "is_locked", "session_token", "sign_in"]
HUB, NODE = "hub", "node"


def account(username: str) -> Account | None:
    """The account ``username`` (a fixed statement: the session check reads it on every request)."""
    return first_row(Account, "SELECT * FROM account WHERE username = ?", username)


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
            clock: Callable[[], float] = time.time, *, address: str = "local") -> Account | None:
    """The account if the password is right and the name not locked for ``address`` (shared/accounts.py)."""
    lockouts = Lockouts(SignInFailure, attempts, lockout_seconds, clock)
    return lockouts.sign_in(lambda name: Account.get_or_none(Account.username == name), username, password,
                            address, lambda: database.atomic("IMMEDIATE"))


def is_locked(username: str, address: str, lockout_seconds: float, now: float) -> bool:
    return Lockouts(SignInFailure, 0, lockout_seconds, lambda: now).is_locked(username, address)


def session_token(account: Account) -> str:
    """What the session cookie holds for ``account`` (shared/accounts.py: sign-out, a password or role change
    end every session)."""
    return shared_session_token(account.username, account.session_epoch, account.password_hash, account.role)


def end_sessions(username: str) -> None:
    """Sign-out: every session cookie issued to ``username`` stops working, on every phone."""
    with database.atomic("IMMEDIATE"):
        Account.update(session_epoch=Account.session_epoch + 1).where(Account.username == username).execute()

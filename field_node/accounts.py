"""Station accounts: who may sign in at the node, with hashed passwords and a lockout after failures.

Accounts come from the station admin (``fieldsync-node add-user`` or the accounts page) or, later, from the
hub at sync.  The Pi has no real-time clock, so a lock that seems to last longer than the lockout period
(the clock jumped back) counts as expired rather than locking a grid member out for years.
"""

from __future__ import annotations

import re
import time

from werkzeug.security import check_password_hash, generate_password_hash

from field_node.db import database
from field_node.models import Account
from field_node.store import now_text
from shared.errors import ErrorCode, FieldsyncError

ROLES = {"member": "网格员", "admin": "站点管理员"}
USERNAME = re.compile(r"^[a-z0-9_.-]{2,40}$")
MIN_PASSWORD = 6
# PBKDF2 rather than scrypt: scrypt's 32 MB working set would double the station process's memory.
PASSWORD_METHOD = "pbkdf2:sha256:200000"


def create_account(username: str, display_name: str, password: str, role: str = "member",
                   origin: str = "node") -> Account:
    """Add an account; a FieldsyncError says in Chinese what to change."""
    username = username.strip().lower()
    problems = {}
    if not USERNAME.match(username):
        problems["username"] = ["用户名为 2–40 个小写字母、数字或 _ . -。"]
    if not display_name.strip() or len(display_name) > 50:
        problems["display_name"] = ["请填写姓名（最多 50 个字）。"]
    if len(password) < MIN_PASSWORD:
        problems["password"] = [f"密码至少 {MIN_PASSWORD} 位。"]
    if role not in ROLES:
        problems["role"] = ["角色只能是网格员或站点管理员。"]
    if problems:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "账户信息不完整。", problems)
    with database.atomic("IMMEDIATE"):
        if Account.get_or_none(Account.username == username):
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, "用户名已被使用。", {"username": ["用户名已被使用。"]})
        return Account.create(username=username, display_name=display_name.strip(), role=role, origin=origin,
                              password_hash=generate_password_hash(password, PASSWORD_METHOD),
                              created_at=now_text())


def sign_in(username: str, password: str, attempts: int, lockout_seconds: float,
            clock=time.time) -> Account | None:
    """The account if the password is right and it is not locked; counts failures and locks after ``attempts``."""
    account = Account.get_or_none(Account.username == username.strip().lower())
    if account is None or not account.active:
        check_password_hash(_DUMMY_HASH, password)  # same cost whether or not the account exists
        return None
    now = clock()
    if is_locked(account, lockout_seconds, now):
        return None
    if check_password_hash(account.password_hash, password):
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


_DUMMY_HASH = generate_password_hash("fieldsync", PASSWORD_METHOD)

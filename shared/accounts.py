"""Station accounts, shared by hub and node: who may sign in to a station app, and how passwords are kept.

The county creates accounts for a village's grid members at the hub; every station serving that village pulls
them at sync (``GET /api/v1/accounts``) with the password *hash*, so a grid member can sign in at the station
with no network.  A station admin can also add accounts on the node itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any

from marshmallow import fields
from peewee import Case
from werkzeug.security import check_password_hash, generate_password_hash

from shared.errors import ErrorCode, FieldsyncError
from shared.schemas import StrictSchema, Text, listing, nested

ROLES = {"member": "网格员", "admin": "站点管理员"}
USERNAME = re.compile(r"^[a-z0-9_.-]{2,40}$")
MIN_PASSWORD = 8
# Refused whatever their length: the passwords a guessing script tries first (lower-cased before the check).
COMMON_PASSWORDS = frozenset({
    "12345678", "123456789", "1234567890", "87654321", "11111111", "00000000", "88888888", "66666666",
    "12341234", "11223344", "123123123", "1qaz2wsx", "qwertyui", "qwerty123", "password", "password1",
    "passw0rd", "admin123", "admin1234", "administrator", "abc12345", "abcd1234", "a1234567", "iloveyou",
    "woaini1314", "5201314520", "fieldsync", "fieldsync1", "changeme", "welcome1", "letmein1",
})
# PBKDF2 rather than scrypt: scrypt's 32 MB working set would double the station process's memory.
PASSWORD_METHOD = "pbkdf2:sha256:200000"


def hash_password(password: str) -> str:
    return generate_password_hash(password, PASSWORD_METHOD)


def password_matches(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


@cache
def _dummy_hash() -> str:
    return hash_password("fieldsync-no-such-account")


def spend_like_a_check(password: str) -> bool:
    """Cost what a real password check costs, for a user name that does not exist: the answer's timing must not
    tell which names do.  The dummy hash is made on first use, not at import (every command would pay for it).
    Always False."""
    password_matches(_dummy_hash(), password)
    return False


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, in Chinese, or None: the one policy of hub and station, CLI and web."""
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 位。"
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 3:
        return "这个密码太常见、太容易被猜中，请换一个（例如几个词加数字）。"
    return None


def check_new_account(username: str, display_name: str, password: str, role: str) -> str:
    """The normalised user name; a FieldsyncError (INVALID_FIELDS) says in Chinese what to change."""
    username = username.strip().lower()
    problems = {}
    if not USERNAME.match(username):
        problems["username"] = ["用户名为 2–40 个小写字母、数字或 _ . -。"]
    if not display_name.strip() or len(display_name) > 50:
        problems["display_name"] = ["请填写姓名（最多 50 个字）。"]
    if problem := password_problem(password):
        problems["password"] = [problem]
    if role not in ROLES:
        problems["role"] = ["角色只能是网格员或站点管理员。"]
    if problems:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "账户信息不完整。", problems)
    return username


def session_token(key: str, epoch: int, password_hash: str, *scope: object) -> str:
    """The id Flask-Login keeps in the (signed) session cookie: the account, its session epoch and a fingerprint
    of its password hash and role.  Sign-out raises the epoch; a password or role change alters the fingerprint:
    either way every cookie issued before no longer loads the account (the check is on the server, per request)."""
    material = "\x1f".join([password_hash, *map(str, scope)]).encode()
    return f"{key}:{epoch}:{hashlib.sha256(material).hexdigest()[:24]}"


def session_key(token: str) -> str | None:
    """The account key a session token names (None for a malformed one, e.g. a cookie from before epochs)."""
    parts = token.split(":")
    return parts[0] if len(parts) == 3 and parts[0] else None


def same_token(expected: str, presented: str) -> bool:
    return hmac.compare_digest(expected.encode(), presented.encode())


class Lockouts:
    """Wrong passwords counted per (typed user name, client address), on hub and station alike.

    Five in a row from one address lock that name *for that address* only, so a stranger cannot lock the county
    out; names that do not exist are counted and locked the same way, so a lockout tells nothing about which names
    exist.  ``model`` is a peewee model with the columns of ``sign_in_failure``.  The Pi has no real-time clock: a
    lock that seems to last longer than the lockout period (the clock jumped back) counts as expired.
    """

    def __init__(self, model: Any, attempts: int, lockout_seconds: float, clock: Callable[[], float] = time.time):
        self.model, self.attempts, self.lockout_seconds, self.clock = model, attempts, lockout_seconds, clock

    def _row(self, username: str, address: str) -> Any:
        return self.model.get_or_none(self.model.username == username, self.model.address == address)

    def is_locked(self, username: str, address: str) -> bool:
        row = self._row(username, address)
        until = row.locked_until if row else None
        now = self.clock()
        return until is not None and now < until <= now + self.lockout_seconds

    def clear(self, username: str, address: str) -> None:
        self.model.delete().where(self.model.username == username, self.model.address == address).execute()

    def fail(self, username: str, address: str) -> None:
        """Count a wrong password (one upsert, so concurrent guesses each count) and lock at ``attempts``.
        A count not added to for a lockout period starts again, and an old lock is over."""
        now, model = self.clock(), self.model
        stale = ~model.updated_at.between(now - self.lockout_seconds, now + self.lockout_seconds)
        (model.insert(username=username, address=address, failures=1, locked_until=None, updated_at=now)
         .on_conflict(conflict_target=[model.username, model.address],
                      update={model.failures: Case(None, [(stale, 1)], model.failures + 1), model.updated_at: now})
         .execute())
        (model.update(failures=0, locked_until=now + self.lockout_seconds)
         .where(model.username == username, model.address == address, model.failures >= self.attempts).execute())
        self._forget_stale(now)

    def _forget_stale(self, now: float) -> None:
        cutoff = now - self.lockout_seconds
        self.model.delete().where(self.model.updated_at < cutoff,
                                  self.model.locked_until.is_null() | (self.model.locked_until < now)).execute()

    def sign_in(self, find: Callable[[str], Any], username: str, password: str, address: str,
                transaction: Callable[[], AbstractContextManager[Any]] = nullcontext) -> Any:
        """The account ``find`` returns for the typed name if it is active, the password right and the name not
        locked for ``address``.  The password hash is always worked out (against a dummy hash for a missing or
        disabled account), before the lock is looked at: every refusal costs the same time.  The hash work is
        done outside ``transaction`` (the write lock is held for the bookkeeping only, not for PBKDF2)."""
        name = username.strip().lower()
        account = find(name)
        usable = account is not None and account.active
        right = password_matches(account.password_hash, password) if usable else spend_like_a_check(password)
        with transaction():
            if self.is_locked(name, address):
                return None
            if right:
                self.clear(name, address)
                return account
            self.fail(name, address)
            return None


class AccountDocumentSchema(StrictSchema):
    username = Text(required=True, pattern=USERNAME.pattern)
    display_name = Text(required=True, max_length=50)
    password_hash = Text(required=True, max_length=300)
    role = Text(required=True, choices=ROLES)
    active = fields.Boolean(required=True)
    villages = listing(Text(max_length=100), metadata={
        "description": "the villages (乡镇/村) the account works in; a member sees only their households"})


class AccountListSchema(StrictSchema):
    accounts = listing(nested(AccountDocumentSchema), required=True)


def account_document(username: str, display_name: str, password_hash: str, role: str, active: bool,
                     villages: list[str] | None = None) -> dict[str, Any]:
    document = {"username": username, "display_name": display_name, "password_hash": password_hash, "role": role,
                "active": active}
    if villages is not None:
        document["villages"] = villages
    return document

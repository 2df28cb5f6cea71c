"""Station accounts, shared by hub and node: who may sign in to a station app, and how passwords are kept.

The county creates accounts for a village's grid members at the hub; every station serving that village pulls
them at sync (``GET /api/v1/accounts``) with the password *hash*, so a grid member can sign in at the station
with no network.  A station admin can also add accounts on the node itself.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from marshmallow import fields
from werkzeug.security import check_password_hash, generate_password_hash

from shared.errors import ErrorCode, FieldsyncError
from shared.schemas import StrictSchema, Text, listing, nested

ROLES = {"member": "网格员", "admin": "站点管理员"}
USERNAME = re.compile(r"^[a-z0-9_.-]{2,40}$")
MIN_PASSWORD = 6
# PBKDF2 rather than scrypt: scrypt's 32 MB working set would double the station process's memory.
PASSWORD_METHOD = "pbkdf2:sha256:200000"


def hash_password(password: str) -> str:
    return generate_password_hash(password, PASSWORD_METHOD)


def password_matches(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


@cache
def _dummy_hash() -> str:
    return hash_password("fieldsync-no-such-account")


def spend_like_a_check(password: str) -> None:
    """Cost what a real password check costs, for a user name that does not exist: the answer's timing must not
    tell which names do.  The dummy hash is made on first use, not at import (every command would pay for it)."""
    password_matches(_dummy_hash(), password)


def check_new_account(username: str, display_name: str, password: str, role: str) -> str:
    """The normalised user name; a FieldsyncError (INVALID_FIELDS) says in Chinese what to change."""
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
    return username


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

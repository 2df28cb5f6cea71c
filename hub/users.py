"""County users, their roles, and API tokens for other county systems (issue 6, DOMAIN.md §7 and §9).

Roles:

- ``admin`` — county administrator: everything, including users, tokens and settings;
- ``staff`` — county staff: every township; answers, reopens answers, corrects identity fields and membership;
- ``township`` — township staff, scoped to one township: its queue, its households, corrections except identity
  fields and membership;
- ``viewer`` — reads, changes nothing.

A ``Principal`` is whoever makes a request: a signed-in user or an API token, scoped the same way.  Every
permission question goes through it, so a page and the read API refuse alike.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.db import write_transaction
from hub.models import ApiToken, CountyUser, Township
from hub.nodes import utcnow
from shared.accounts import USERNAME, hash_password, password_matches, spend_like_a_check
from shared.errors import ErrorCode, FieldsyncError

ROLES = {"admin": "县级管理员", "staff": "县级工作人员", "township": "乡镇工作人员", "viewer": "只读用户"}
COUNTY_ROLES = ("admin", "staff")
IDENTITY_FIELDS = ("name", "id_number", "gender", "birth_date")
MEMBERSHIP_FIELDS = ("household", "status")  # which household a person belongs to, and whether still a member
MIN_PASSWORD = 8
TOKEN_PREFIX = "fst_"


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "token"
    name: str
    role: str
    township_id: int | None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def county_wide(self) -> bool:
        return self.role != "township"

    def can_see(self, township_id: int | None) -> bool:
        return self.county_wide or township_id == self.township_id

    def can_answer(self, township_id: int | None) -> bool:
        return self.role in COUNTY_ROLES or (self.role == "township" and township_id == self.township_id)

    def can_correct(self, township_id: int | None, fields: set[str] | tuple[str, ...] = ()) -> bool:
        """Edits by level (限级修改): identity fields and membership only at county level."""
        if self.role in COUNTY_ROLES:
            return True
        return self.can_answer(township_id) and not set(fields) & {*IDENTITY_FIELDS, *MEMBERSHIP_FIELDS}

    @property
    def can_reopen(self) -> bool:
        return self.role in COUNTY_ROLES

    @property
    def can_manage(self) -> bool:
        return self.role == "admin"

    @property
    def can_write_county(self) -> bool:
        """County-level changes: postings, spot checks, settings."""
        return self.role in COUNTY_ROLES


def principal_of(user: CountyUser | ApiToken, kind: str) -> Principal:
    return Principal(kind, user.username if kind == "user" else user.name, user.role, user.township_id)


def _scope(role: str, township: str | None) -> int | None:
    if role not in ROLES:
        choices = "、".join(f"{key}（{label}）" for key, label in ROLES.items())
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"角色只能是：{choices}。")
    if role != "township":
        return None
    found = Township.get_or_none(Township.name == (township or "").strip())
    if found is None:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "乡镇工作人员必须指定一个本县的乡镇（--township）。")
    return found.id


def create_user(username: str, display_name: str, password: str, role: str, township: str | None = None
                ) -> CountyUser:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "用户名为 2–40 个小写字母、数字或 _ . -。")
    if len(password) < MIN_PASSWORD:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"密码至少 {MIN_PASSWORD} 位。")
    township_id = _scope(role, township)
    with write_transaction():
        if CountyUser.get_or_none(CountyUser.username == username):
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, "用户名已被使用。")
        return CountyUser.create(username=username, display_name=display_name.strip() or username,
                                 password_hash=hash_password(password), role=role, township=township_id,
                                 created_at=utcnow())


def set_role(username: str, role: str, township: str | None = None) -> tuple[CountyUser, dict, dict]:
    """Change a user's role; returns the user with the role before and after (for the audit log)."""
    user = CountyUser.get_or_none(CountyUser.username == username.strip().lower())
    if user is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"没有用户“{username}”。")
    township_id = _scope(role, township)
    before = {"role": user.role, "township_id": user.township_id}
    with write_transaction():
        CountyUser.update(role=role, township=township_id).where(CountyUser.id == user.id).execute()
    return CountyUser.get_by_id(user.id), before, {"role": role, "township_id": township_id}


def sign_in(username: str, password: str, attempts: int, lockout_minutes: float) -> CountyUser | None:
    """The user if the password is right and the account not locked; locks after ``attempts`` failures."""
    user = CountyUser.get_or_none(CountyUser.username == username.strip().lower())
    if user is None or not user.active:
        spend_like_a_check(password)
        return None
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        return None
    if password_matches(user.password_hash, password):
        CountyUser.update(failed_logins=0, locked_until=None).where(CountyUser.id == user.id).execute()
        return user
    failures = user.failed_logins + 1
    locked: datetime | None = now + timedelta(minutes=lockout_minutes) if failures >= attempts else None
    CountyUser.update(failed_logins=0 if locked else failures, locked_until=locked).where(
        CountyUser.id == user.id).execute()
    return None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, role: str, township: str | None = None) -> tuple[ApiToken, str]:
    """A new token for another county system; the token itself is returned once and never stored."""
    township_id = _scope(role, township)
    if role == "admin":
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "API 令牌不能是管理员角色。")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction():
        if ApiToken.get_or_none(ApiToken.name == name):
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, "令牌名称已被使用。")
        row = ApiToken.create(name=name, token_hash=token_hash(token), role=role, township=township_id,
                              created_at=utcnow())
    return row, token


def token_principal(token: str) -> Principal | None:
    row = ApiToken.get_or_none(ApiToken.token_hash == token_hash(token), ApiToken.active == True)  # noqa: E712
    return principal_of(row, "token") if row else None


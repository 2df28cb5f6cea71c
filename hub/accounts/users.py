"""County users, their roles, and API tokens for other county systems (issue 6, DOMAIN.md §7 and §9).

Roles:

- ``admin`` — county administrator: everything, including users, tokens and settings;
- ``staff`` — county staff: every township; answers, reopens answers, corrects identity fields and membership;
- ``township`` — township staff, scoped to one township: its queue, its households, corrections except identity
  fields and membership;
- ``viewer`` — reads, changes nothing.

A ``Principal`` is whoever makes a request: a signed-in user or an API token, scoped the same way.  Every
permission question goes through it, so a page and the read API refuse alike.

Every change here writes its own audit entry (``actor`` and, where the change needs one, ``why``), so the command
line and the management pages (hub/web/manage/) cannot differ in what they record.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from hub import audit
from hub.county.clock import utcnow
from hub.store.db import write_transaction
from hub.store.models import ApiToken, CountyUser, SignInFailure, Township
from shared.accounts import USERNAME, Lockouts, hash_password, password_matches, password_problem
from shared.accounts import session_token as shared_session_token
from shared.errors import ErrorCode, FieldsyncError

ROLES = {"admin": "县级管理员", "staff": "县级工作人员", "township": "乡镇工作人员", "viewer": "只读用户"}
COUNTY_ROLES = ("admin", "staff")
IDENTITY_FIELDS = ("name", "id_number", "gender", "birth_date")
MEMBERSHIP_FIELDS = ("household", "status")  # which household a person belongs to, and whether still a member
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
    def can_write_county(self) -> bool:
        """County-level changes: postings, spot checks, settings, grid members' station accounts."""
        return self.role in COUNTY_ROLES

    @property
    def can_administer(self) -> bool:
        """The county administrator's work: county users, read-API tokens, stations (register, revoke, release)."""
        return self.role == "admin"


def principal_of(user: CountyUser | ApiToken, kind: str) -> Principal:
    name = user.username if isinstance(user, CountyUser) else user.name  # kind "user" is a CountyUser
    return Principal(kind, name, user.role, user.township_id)


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


def reason(why: str) -> str:
    """The reason a change is recorded with; refused when blank."""
    if not why.strip():
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请写明原因（会记入审计日志）。", {"why": ["请写明原因。"]})
    return why.strip()


def create_user(username: str, display_name: str, password: str, role: str, township: str | None = None, *,
                actor: str) -> CountyUser:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "用户名为 2–40 个小写字母、数字或 _ . -。")
    if problem := password_problem(password):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, problem, {"password": [problem]})
    township_id = _scope(role, township)
    with write_transaction():
        if CountyUser.get_or_none(CountyUser.username == username):
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, "用户名已被使用。")
        user = CountyUser.create(username=username, display_name=display_name.strip() or username,
                                 password_hash=hash_password(password), role=role, township=township_id,
                                 created_at=utcnow())
        audit.record(actor, "user.create", f"user:{username}", None, {"role": role, "township": township},
                     "新建用户")
    return user


def _keep_an_admin(user: CountyUser) -> None:
    """Refuse to demote or disable the county's last active administrator (nobody could manage users after)."""
    others = CountyUser.select().where(CountyUser.role == "admin", CountyUser.active == True,  # noqa: E712
                                       CountyUser.id != user.id)
    if user.role == "admin" and user.active and not others.exists():
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"“{user.username}”是本县唯一的县级管理员：请先添加或指定另一名"
                             "管理员，再修改或停用这个账户。")


def set_role(username: str, role: str, township: str | None = None, *, actor: str, why: str) -> CountyUser:
    """Change a user's role or township (audited with before, after and why); the user's sessions end."""
    user = _user(username)
    township_id = _scope(role, township)
    why = reason(why)
    if role != "admin":
        _keep_an_admin(user)
    before = {"role": user.role, "township_id": user.township_id}
    with write_transaction():
        CountyUser.update(role=role, township=township_id).where(CountyUser.id == user.id).execute()
        audit.record(actor, "role.change", f"user:{user.username}", before,
                     {"role": role, "township_id": township_id}, why)
    return CountyUser.get_by_id(user.id)


def sign_in(username: str, password: str, attempts: int, lockout_minutes: float, address: str
            ) -> CountyUser | None:
    """The user if active, the password right and the name not locked for ``address`` (shared/accounts.py)."""
    lockouts = Lockouts(SignInFailure, attempts, lockout_minutes * 60)
    return lockouts.sign_in(lambda name: CountyUser.get_or_none(CountyUser.username == name), username, password,
                            address, write_transaction)


def session_token(user: CountyUser) -> str:
    """What the session cookie holds for ``user``: sign-out, disabling, a password or role change end it."""
    return shared_session_token(str(user.id), user.session_epoch, user.password_hash, user.role, user.township_id,
                                user.active)


def end_sessions(user_id: int) -> None:
    """Every session cookie issued to the user stops working (sign-out ends the sessions on every device)."""
    with write_transaction():
        CountyUser.update(session_epoch=CountyUser.session_epoch + 1).where(CountyUser.id == user_id).execute()


def _user(username: str) -> CountyUser:
    user = CountyUser.get_or_none(CountyUser.username == username.strip().lower())
    if user is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"没有用户“{username}”：请核对用户名（add-user 时所起）。")
    return user


def disable_user(username: str, *, actor: str, why: str) -> CountyUser:
    """Disable a county user: no more sign-in, and every open session ends at its next request."""
    user = _user(username)
    why = reason(why)
    _keep_an_admin(user)
    with write_transaction():
        CountyUser.update(active=False, session_epoch=CountyUser.session_epoch + 1).where(
            CountyUser.id == user.id).execute()
        audit.record(actor, "user.disable", f"user:{user.username}", {"active": True}, {"active": False}, why)
    return CountyUser.get_by_id(user.id)


def reset_password(username: str, *, actor: str, why: str) -> tuple[CountyUser, str]:
    """Give a user a generated temporary password, returned once (never stored, never logged): every session of
    theirs ends, and at their next sign-in they must choose their own before any page opens."""
    user = _user(username)
    why = reason(why)
    temporary = "-".join(secrets.token_hex(2) for _ in range(3))
    with write_transaction():
        CountyUser.update(password_hash=hash_password(temporary), must_change_password=True,
                          session_epoch=CountyUser.session_epoch + 1).where(CountyUser.id == user.id).execute()
        audit.record(actor, "user.password_reset", f"user:{user.username}", None, {"must_change_password": True},
                     why)
    return CountyUser.get_by_id(user.id), temporary


def change_own_password(user_id: int, current: str, password: str, repeated: str) -> CountyUser:
    """A signed-in user sets their own password (after a reset, before any other page), giving the one they have
    (a session left open on a shared computer cannot take the account over); other sessions end."""
    user = CountyUser.get_by_id(user_id)
    if not password_matches(user.password_hash, current):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "当前密码不对（重置后即管理员给您的临时密码）。",
                             {"current": ["当前密码不对。"]})
    if password != repeated:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "两次输入的密码不一致。",
                             {"repeated": ["两次输入的密码不一致。"]})
    if problem := password_problem(password):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, problem, {"password": [problem]})
    if password == current:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "新密码不能与当前密码相同。", {"password": ["请换一个密码。"]})
    with write_transaction():
        CountyUser.update(password_hash=hash_password(password), must_change_password=False,
                          session_epoch=CountyUser.session_epoch + 1).where(CountyUser.id == user_id).execute()
        audit.record(f"user:{user.username}", "user.password_change", f"user:{user.username}", None, None,
                     "本人修改密码")
    return CountyUser.get_by_id(user_id)


def revoke_token(name: str, *, actor: str, why: str) -> ApiToken:
    """Revoke a read-API token: its next request is refused."""
    row = ApiToken.get_or_none(ApiToken.name == name)
    if row is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND_LOCAL, f"没有名为“{name}”的 API 令牌：请核对名称。")
    why = reason(why)
    with write_transaction():
        ApiToken.update(active=False).where(ApiToken.id == row.id).execute()
        audit.record(actor, "token.revoke", f"token:{row.name}", {"active": True}, {"active": False}, why)
    return ApiToken.get_by_id(row.id)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, role: str, township: str | None = None, *, actor: str) -> tuple[ApiToken, str]:
    """A new token for another county system; the token itself is returned once and never stored."""
    name = name.strip()
    if not name:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请填写令牌名称（使用它的系统，例如“县统计局”）。",
                             {"name": ["请填写令牌名称。"]})
    township_id = _scope(role, township)
    if role == "admin":
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "API 令牌不能是管理员角色。")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction():
        if ApiToken.get_or_none(ApiToken.name == name):
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, "令牌名称已被使用。")
        row = ApiToken.create(name=name, token_hash=token_hash(token), role=role, township=township_id,
                              created_at=utcnow())
        audit.record(actor, "token.create", f"token:{row.name}", None, {"role": role, "township": township},
                     "新建 API 令牌")
    return row, token


def token_principal(token: str) -> Principal | None:
    row = ApiToken.get_or_none(ApiToken.token_hash == token_hash(token), ApiToken.active == True)  # noqa: E712
    return principal_of(row, "token") if row else None


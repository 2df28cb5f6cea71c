"""County users: add, change role or township (with the reason), disable, reset the password.

A reset gives a generated temporary password, shown once to the administrator on a page no cache keeps; every
session of the user ends, and at the next sign-in the user must choose their own password before any other page
opens (hub/web/auth.py).  Why this rather than "the user sets a new one by themselves": the hub sends no mail or SMS,
so a user who forgot their password has no other way back in than through someone who can vouch for them, and the
administrator who hands over the temporary password never learns the one the user then chooses.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from peewee import JOIN

from hub.accounts import users
from hub.store.models import CountyUser, Township
from hub.web.manage.forms import actor, field, refused, require_admin
from shared.errors import ErrorCode, FieldsyncError

bp = Blueprint("manage_users", __name__, url_prefix="/manage/users")
TEMPLATE = "manage/users.html"


def _context() -> dict[str, Any]:
    query = CountyUser.select(CountyUser, Township).join(Township, JOIN.LEFT_OUTER).order_by(CountyUser.username)
    return {"users": list(query), "townships": [t.name for t in Township.select().order_by(Township.position)]}


@bp.route("/")
def listing() -> str:
    require_admin("管理县级用户")
    return render_template(TEMPLATE, error=None, **_context())


@bp.route("/add", methods=["POST"])
def add() -> Any:
    require_admin("添加县级用户")
    try:
        users.create_user(field("username"), field("display_name"), field("password"), field("role"),
                          field("township") or None, actor=actor())
    except FieldsyncError as error:
        return refused(TEMPLATE, error, **_context())
    return redirect(url_for("manage_users.listing"))


def _user(user_id: int) -> CountyUser:
    user = CountyUser.get_or_none(CountyUser.id == user_id)
    if user is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND, "没有这个用户，请从用户列表重新进入。")
    return user


@bp.route("/<int:user_id>/role", methods=["POST"])
def role(user_id: int) -> Any:
    require_admin("修改用户角色", f"user:{user_id}")
    try:
        users.set_role(_user(user_id).username, field("role"), field("township") or None, actor=actor(),
                       why=field("why"))
    except FieldsyncError as error:
        return refused(TEMPLATE, error, **_context())
    return redirect(url_for("manage_users.listing"))


@bp.route("/<int:user_id>/disable", methods=["POST"])
def disable(user_id: int) -> Any:
    require_admin("停用县级用户", f"user:{user_id}")
    try:
        users.disable_user(_user(user_id).username, actor=actor(), why=field("why"))
    except FieldsyncError as error:
        return refused(TEMPLATE, error, **_context())
    return redirect(url_for("manage_users.listing"))


@bp.route("/<int:user_id>/reset", methods=["POST"])
def reset(user_id: int) -> Any:
    require_admin("重置用户密码", f"user:{user_id}")
    try:
        user, temporary = users.reset_password(_user(user_id).username, actor=actor(), why=field("why"))
    except FieldsyncError as error:
        return refused(TEMPLATE, error, **_context())
    return render_template("manage/password_reset.html", user=user, temporary=temporary)

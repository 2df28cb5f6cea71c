"""Read-API tokens for other county systems: create (the token shown once; only its hash is kept), revoke."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from peewee import JOIN

from hub.accounts import users
from hub.store.models import ApiToken, Township
from hub.web.manage.forms import actor, field, refused, require_admin
from shared.errors import ErrorCode, FieldsyncError

bp = Blueprint("manage_tokens", __name__, url_prefix="/manage/tokens")
TEMPLATE = "manage/tokens.html"
TOKEN_ROLES = ("staff", "township", "viewer")


def _context() -> dict[str, Any]:
    query = ApiToken.select(ApiToken, Township).join(Township, JOIN.LEFT_OUTER).order_by(ApiToken.name)
    return {"tokens": list(query), "token_roles": {key: users.ROLES[key] for key in TOKEN_ROLES},
            "townships": [t.name for t in Township.select().order_by(Township.position)]}


@bp.route("/")
def listing() -> str:
    require_admin("管理 API 令牌")
    return render_template(TEMPLATE, error=None, **_context())


@bp.route("/add", methods=["POST"])
def add() -> Any:
    require_admin("新建 API 令牌")
    try:
        row, token = users.create_token(field("name"), field("role"), field("township") or None, actor=actor())
    except FieldsyncError as error:
        return refused(TEMPLATE, error, **_context())
    return render_template("manage/token_created.html", row=row, token=token)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int) -> Any:
    require_admin("吊销 API 令牌", f"token:{token_id}")
    row = ApiToken.get_or_none(ApiToken.id == token_id)
    if row is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND, "没有这个令牌，请从列表重新进入。")
    try:
        users.revoke_token(row.name, actor=actor(), why=field("why"))
    except FieldsyncError as error:
        return refused(TEMPLATE, error, **_context())
    return redirect(url_for("manage_tokens.listing"))

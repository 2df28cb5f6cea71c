"""Station accounts: grid members (and station admins) made at the county for a village; disabling one.  Every
station serving the village pulls the change at its next sync (hub/accounts/field_accounts.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from hub.accounts import field_accounts
from hub.store.models import FieldAccount, Township, Village
from hub.sync import nodes
from hub.web.manage.forms import actor, field, refused, require_county
from shared.errors import ErrorCode, FieldsyncError

bp = Blueprint("manage_accounts", __name__, url_prefix="/manage/field-accounts")
TEMPLATE = "manage/accounts.html"
ROLES = {"member": "网格员", "admin": "站点管理员"}


def _context() -> dict[str, Any]:
    query = (FieldAccount.select(FieldAccount, Village, Township).join(Village).join(Township)
             .order_by(Township.position, Village.name, FieldAccount.username))
    villages = Village.select(Village, Township).join(Township).order_by(Township.position, Village.name)
    return {"accounts": list(query), "villages": [v.label for v in villages], "roles": ROLES}


@bp.route("/")
def listing() -> str:
    require_county("管理站点账户")
    return render_template(TEMPLATE, error=None, **_context())


@bp.route("/add", methods=["POST"])
def add() -> Any:
    require_county("添加站点账户")
    try:
        field_accounts.create(field("username"), field("display_name"), field("password"),
                              nodes.find_village(field("village")), field("role") or "member", actor=actor())
    except FieldsyncError as error:
        return refused(TEMPLATE, error, **_context())
    return redirect(url_for("manage_accounts.listing"))


@bp.route("/<int:account_id>/disable", methods=["POST"])
def disable(account_id: int) -> Any:
    require_county("停用站点账户", f"field_account:{account_id}")
    account = FieldAccount.get_or_none(FieldAccount.id == account_id)
    if account is None:
        raise FieldsyncError(ErrorCode.NOT_FOUND, "没有这个站点账户，请从列表重新进入。")
    field_accounts.disable(account.username, actor=actor(), why=field("why") or "停用站点账户")
    return redirect(url_for("manage_accounts.listing"))

"""The station admin's page: the accounts that may sign in here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from field_node import accounts
from field_node.models import Account
from field_node.web import auth
from shared.errors import FieldsyncError

bp = Blueprint("accounts", __name__)
auth.require_sign_in(bp, admin=True)


def _page(errors: dict[str, Any], values: dict[str, str], status: int = 200) -> Any:
    listed = Account.select().order_by(Account.role, Account.username)
    return render_template("accounts.html", accounts=listed, roles=accounts.ROLES, errors=errors,
                           values=values), status


@bp.route("/accounts")
def listing() -> Any:
    return _page({}, {})


@bp.route("/accounts", methods=["POST"])
def create() -> Any:
    values = {key: request.form.get(key, "") for key in ("username", "display_name", "role")}
    try:
        accounts.create_account(values["username"], values["display_name"], request.form.get("password", ""),
                                values["role"] or "member")
    except FieldsyncError as error:
        return _page({k: "；".join(v) for k, v in error.details.items()}, values, 422)
    return redirect(url_for("accounts.listing"))

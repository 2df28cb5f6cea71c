"""The station admin's page: the accounts that may sign in here."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from field_node import accounts
from field_node.store.models import Account
from field_node.web import auth, scope
from shared.accounts import check_new_account
from shared.errors import FieldsyncError, field_messages

bp = Blueprint("accounts", __name__)
auth.require_sign_in(bp, admin=True)


def _page(errors: dict[str, Any], values: dict[str, str], status: int = 200) -> Any:
    listed = list(Account.select().order_by(Account.role, Account.username))
    scopes = {a.username: None if a.role == "admin" or a.villages is None else json.loads(a.villages) for a in listed}
    return render_template("accounts.html", accounts=listed, roles=accounts.ROLES, errors=errors,
                           values=values, villages=scope.station_villages(), scopes=scopes,
                           chosen=set(request.form.getlist("villages"))), status


@bp.route("/accounts")
def listing() -> Any:
    return _page({}, {})


@bp.route("/accounts", methods=["POST"])
def create() -> Any:
    values = {key: request.form.get(key, "") for key in ("username", "display_name", "role")}
    role = values["role"] or "member"
    villages = _chosen_villages(role)
    problems: dict[str, list[str]] = {}
    if villages == []:
        problems["villages"] = [_("Choose the villages this grid member works in.")]
    try:
        if problems:
            check_new_account(values["username"], values["display_name"], request.form.get("password", ""), role)
        else:
            accounts.create_account(values["username"], values["display_name"], request.form.get("password", ""),
                                    role, villages)
    except FieldsyncError as error:
        problems.update(error.details)
    if problems:
        return _page(field_messages(problems), values, 422)
    return redirect(url_for("accounts.listing"))


def _chosen_villages(role: str) -> list[str] | None:
    """A member's villages as ticked (the only one, for a one-village station); None for an admin (all)."""
    served = scope.station_villages()
    if role == "admin" or not served:
        return None
    if len(served) == 1:
        return served
    return [village for village in request.form.getlist("villages") if village in served]

"""/account/password: a signed-in user chooses their own password; after an administrator's reset, the only page
that opens until they have (hub/web/auth.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from hub.accounts import users
from hub.store.models import CountyUser
from hub.web import auth
from shared.errors import FieldsyncError

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/password", methods=["GET", "POST"])
def password() -> Any:
    forced = bool(getattr(current_user, "must_change_password", False))
    if request.method == "GET":
        return render_template("manage/password.html", error=None, forced=forced)
    try:
        user = users.change_own_password(current_user.id, request.form.get("current", ""),
                                         request.form.get("password", ""), request.form.get("repeated", ""))
    except FieldsyncError as error:
        return render_template("manage/password.html", error=error.message, forced=forced), error.code.http_status
    login_user(auth.HubUser(CountyUser.get_by_id(user.id)))  # this session goes on; every other one ended
    return redirect(url_for("pages.overview"))

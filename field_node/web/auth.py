"""Sign-in at the station: each grid member with their own account, so every record says who made it."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from field_node import accounts
from field_node.outbox import phones
from field_node.store.models import Account
from field_node.web import scope
from shared import web_security
from shared.accounts import same_token, session_key

bp = Blueprint("auth", __name__)


class StationUser(UserMixin):
    """The signed-in account, as Flask-Login wants it."""

    def __init__(self, account: Account):
        self.username = account.username
        self.display_name = account.display_name
        self.role = account.role
        self.session_token = accounts.session_token(account)
        self.villages = scope.account_villages(account)  # read with the session check: one query a request

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def init_login(login: LoginManager) -> None:
    login.login_view = "auth.sign_in"
    login.login_message = None

    @login.user_loader
    def _load(token: str) -> StationUser | None:
        """The account of a session still valid: not signed out, password and role unchanged, active."""
        username = session_key(token)
        account = accounts.account(username) if username else None
        if account is None or not account.active or not same_token(accounts.session_token(account), token):
            return None
        return StationUser(account)


@bp.route("/login", methods=["GET", "POST"])
def sign_in() -> Any:
    if request.method == "GET":
        return render_template("login.html", error=None, username="")
    settings = current_app.config["NODE"].settings
    username = request.form.get("username", "")
    account = accounts.sign_in(username, request.form.get("password", ""), settings["LOGIN_ATTEMPTS"],
                               settings["LOCKOUT_MINUTES"] * 60, address=request.remote_addr or "")
    if account is None:
        error = _("Wrong user name or password, or the account is locked after too many tries "
                  "(wait %(minutes)d minutes or ask the station admin).", minutes=int(settings["LOCKOUT_MINUTES"]))
        return render_template("login.html", error=error, username=username), 401
    login_user(StationUser(account))
    return redirect(web_security.safe_next(request.args.get("next"), url_for("households.coverage")))


@bp.route("/logout", methods=["POST"])
def sign_out() -> Any:
    if current_user.is_authenticated:
        accounts.end_sessions(current_user.username)
        phones.end_all(current_user.username)
    logout_user()
    if request.form.get("phone_checked"):  # the page asked first about visits still only on the phone (issue 14)
        response = redirect(url_for("auth.sign_in"))
        response.headers["Clear-Site-Data"] = '"cache", "storage"'  # the phone's offline copy goes too
        return response
    # Posted without that question (no JavaScript): clearing the site's storage would delete visits not yet
    # uploaded.  The login page says they are kept; with JavaScript it drops the rest of the phone's copy.
    response = redirect(url_for("auth.sign_in", kept=1))
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


def require_sign_in(blueprint: Blueprint, *, admin: bool = False) -> None:
    """Every page of ``blueprint`` needs a signed-in account (and the admin role when ``admin``)."""

    @blueprint.before_request
    def _check() -> Any:
        if not current_user.is_authenticated:
            return cast(Any, current_app).login_manager.unauthorized()  # flask_login sets it on the app
        if admin and not current_user.is_admin:
            abort(403)
        return None

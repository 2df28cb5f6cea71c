"""Sign-in for county users, API tokens, and the one gate every request passes (issue 6).

Every page needs a signed-in user, except the public job pages, the node-signed sync API, /metrics and the
sign-in page itself; the read API takes ``Authorization: Bearer <token>`` (or a signed-in session).  A refusal is a
clear 403 in Chinese, and the attempt goes into the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from hub import audit
from hub.accounts import users
from hub.store.models import CountyUser
from shared import web_security
from shared.accounts import same_token, session_key
from shared.errors import ErrorCode, FieldsyncError

bp = Blueprint("auth", __name__)
# Blueprints (and endpoints) anyone may reach: jobs for job-seekers, sync for nodes (signed), metrics for monitoring.
PUBLIC_BLUEPRINTS = {"jobs", "sync", "metrics", "api-docs"}
PUBLIC_ENDPOINTS = {"auth.sign_in", "static"}
# What a user whose password an administrator reset may open before choosing their own (hub/web/manage/password.py).
CHANGE_PASSWORD = "account.password"
WHILE_CHANGING = {CHANGE_PASSWORD, "auth.sign_out"}
READ_API_PREFIX = "/api/v1/read/"


class HubUser(UserMixin):
    def __init__(self, user: CountyUser):
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name
        self.principal = users.principal_of(user, "user")
        self.session_token = users.session_token(user)
        self.must_change_password = bool(user.must_change_password)

    def get_id(self) -> str:
        return self.session_token


def init_app(app: Flask) -> None:
    login = LoginManager(app)
    login.login_view = "auth.sign_in"
    login.login_message = "请先登录。"

    @login.user_loader
    def _load(token: str) -> HubUser | None:
        """The user of a session still valid: not signed out, not disabled, password and role unchanged."""
        key = session_key(token) or ""
        user = CountyUser.get_or_none(CountyUser.id == int(key)) if key.isdigit() else None
        if user is None or not user.active or not same_token(users.session_token(user), token):
            return None
        return HubUser(user)

    @app.before_request
    def _gate() -> Any:
        g.principal = None
        g.pop("_login_user", None)  # the user of this request, not one cached by an enclosing app context
        if request.blueprint in PUBLIC_BLUEPRINTS or request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if request.path.startswith(READ_API_PREFIX):
            signed_in = current_user.is_authenticated and not current_user.must_change_password
            g.principal = _token_principal() or (current_user.principal if signed_in else None)
            if g.principal is None:
                raise FieldsyncError(ErrorCode.UNAUTHENTICATED, "需要 API 令牌：Authorization: Bearer <令牌>。")
            return None
        if not current_user.is_authenticated:
            return login.unauthorized()
        g.principal = current_user.principal
        if current_user.must_change_password and request.endpoint not in WHILE_CHANGING:
            return redirect(url_for(CHANGE_PASSWORD))
        return None

    @app.context_processor
    def _principal() -> dict[str, Any]:
        return {"principal": g.get("principal"), "roles": users.ROLES}


def _token_principal() -> users.Principal | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return users.token_principal(header.removeprefix("Bearer ").strip())


def principal() -> users.Principal:
    found = g.get("principal")
    if found is None:
        raise FieldsyncError(ErrorCode.UNAUTHENTICATED, "请先登录。")
    return found


def require(allowed: bool, what: str, subject: str = "") -> None:
    """Refuse with a 403 (and an audit entry) unless ``allowed``."""
    if allowed:
        return
    who = principal()
    audit.record(who.actor, "access.denied", subject or request.path, None, None, what)
    raise FieldsyncError(ErrorCode.FORBIDDEN, f"您的角色（{users.ROLES[who.role]}）不能{what}。",
                         {"role": who.role})


@bp.route("/login", methods=["GET", "POST"])
def sign_in() -> Any:
    if request.method == "GET":
        return render_template("login.html", error=None, username="")
    username = request.form.get("username", "")
    user = users.sign_in(username, request.form.get("password", ""), current_app.config["LOGIN_ATTEMPTS"],
                         current_app.config["LOCKOUT_MINUTES"], request.remote_addr or "")
    if user is None:
        return render_template("login.html", username=username, error=(
            f"用户名或密码不对，或连续输错 {current_app.config['LOGIN_ATTEMPTS']} 次后账户已被锁定"
            f"（{current_app.config['LOCKOUT_MINUTES']:g} 分钟后再试，或联系县级管理员）。")), 401
    login_user(HubUser(user))
    return redirect(web_security.safe_next(request.args.get("next"), url_for("pages.overview")))


@bp.route("/logout", methods=["POST"])
def sign_out() -> Any:
    if current_user.is_authenticated:
        users.end_sessions(current_user.id)
    logout_user()
    return redirect(url_for("auth.sign_in"))

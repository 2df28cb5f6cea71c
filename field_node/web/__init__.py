"""The station app: the web pages grid members use on their phones over the station's Wi-Fi.

``create_app`` opens the node's data folder (binding its database), then registers sign-in, the month's
coverage, households and the visit form, the sync page and the accounts page.  Each request opens the
database connection it needs and closes it in teardown.  Pages are Simplified Chinese by default, through
the Flask-Babel catalogue in ``translations/``; ``?lang=en`` switches to English for maintainers.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, render_template, request
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from field_node.store.db import database
from field_node.store.state import get_state
from field_node.sync import node as node_module
from field_node.web import (
    accounts_views,
    auth,
    compression,
    households,
    jobs,
    offline,
    rate_limits,
    sync_views,
    tasks_views,
    visit_views,
)
from shared import jobs_web, web_errors, web_security
from shared.errors import ErrorCode, FieldsyncError

log = logging.getLogger("fieldsync.station")
LANGUAGES = ("zh", "en")
SECRET_FILE = "web.secret"


def create_app(test_config: dict[str, Any] | None = None, data_dir: str | Path | None = None) -> Flask:
    app = Flask(__name__)
    opened = node_module.open_node(data_dir or (test_config or {}).get("DATA_DIR"))
    app.config.update(
        NODE=opened,
        SECRET_KEY=web_security.secret_key(opened.data_dir / SECRET_FILE),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        WTF_CSRF_TIME_LIMIT=None,  # the session bounds it; a form left open on a phone must still submit
        BABEL_DEFAULT_LOCALE="zh",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.config.update(test_config or {})
    web_security.use_sessions(app)  # Secure cookie flag whenever the station app is reached over HTTPS
    web_security.trust_proxies(app, opened.settings["PROXY_HOPS"])
    Babel(app, locale_selector=_locale)
    csrf = CSRFProtect(app)
    login = LoginManager(app)
    auth.init_login(login)
    for module in (auth, households, visit_views, sync_views, accounts_views, jobs, tasks_views):
        app.register_blueprint(module.bp)
    offline.init_app(app, csrf)
    limiter = rate_limits.StationLimits()  # per address: remote_addr, after the trusted proxies (trust_proxies)
    app.register_blueprint(jobs_web.blueprint(jobs.NodeBoard, limiter,
                                              lambda: opened.settings["INTEREST_RATE_LIMIT"]))
    web_security.limit_sign_in(app, limiter, "auth.sign_in", lambda: opened.settings["LOGIN_RATE_LIMIT"])
    _init_database(app)
    _init_errors(app)
    compression.init_app(app)  # the month's list on a phone over a weak Wi-Fi: gzip'd
    web_security.init_app(app, web_security.STATION_POLICY, cacheable_blueprints=frozenset({"jobs"}))
    app.jinja_env.globals["get_locale"] = get_locale
    zone = ZoneInfo(opened.settings["TIME_ZONE"])
    app.jinja_env.filters["local_time"] = lambda text: local_time(text, zone)
    app.context_processor(lambda: {"station_name": get_state("node_name") or _("Station (not enrolled)")})
    return app


def local_time(text: str | None, zone: ZoneInfo) -> str:
    """A stored UTC time (2026-12-01T07:07:06Z) as the county reads it (2026-12-01 15:07); other text unchanged."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text or "")
    if moment.tzinfo is None:
        return str(text)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _locale() -> str:
    asked = request.args.get("lang") or request.cookies.get("lang")
    return asked if asked in LANGUAGES else "zh"


def _init_database(app: Flask) -> None:
    @app.before_request
    def _connect() -> None:
        if request.endpoint != "static":
            database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(_: BaseException | None) -> None:
        if not database.is_closed():
            database.close()

    @app.after_request
    def _remember_language(response):  # Flask's hook signature
        if request.args.get("lang") in LANGUAGES:
            response.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax")
        return response


def _init_errors(app: Flask) -> None:
    """Every failure answers as on the hub (shared/web_errors.py): ``{code, message, details}`` for API and JSON
    callers (the offline app's fetches), else the error page with its Chinese message and the error's status;
    anything unexpected, the 500 page."""
    web_errors.init_app(app, _error_page, log, _internal)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return web_errors.error_response(FieldsyncError(ErrorCode.FORM_EXPIRED, _(
            "The form had expired. Go back, reload the page and submit again; what you typed is kept in the draft.")),
            _error_page)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        messages = {403: _("Only the station admin may open this page."),
                    404: _("This page does not exist. Go back to this month's list."),
                    405: _("This address does not accept that kind of request."),
                    413: _("What was sent is too large (is the signature picture very big?). Try again."),
                    429: _("Too many submissions from this phone. Wait a few minutes and try again.")}
        message = messages.get(error.code or 400, _("The request could not be read."))
        return web_errors.error_response(web_errors.http_error(error, message), _error_page)


def _error_page(error: FieldsyncError) -> str:
    return render_template("error.html", **web_errors.page_words(error))


def _internal() -> FieldsyncError:
    return FieldsyncError(ErrorCode.INTERNAL, _("Something went wrong on the station. Nothing saved was lost; try "
                                                "again, and tell the station admin if it happens again."))

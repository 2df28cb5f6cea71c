"""The hub's application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect

from hub.jobs import queue as job_queue
from hub.settings import ENV_PREFIX, HUB_SETTINGS
from hub.store import db, ratelimit
from hub.web import (
    api,
    auth,
    city,
    dashboard,
    disclosure,
    errors,
    exports,
    imports,
    manage,
    metrics,
    pages,
    read_api,
    region,
    upward,
    wording,
)
from hub.web import cleaning as cleaning_views
from hub.web import postings as posting_views
from hub.web import verification as verification_views
from hub.web.board import HubBoard
from hub.web.schemas import ErrorSchema
from shared import jobs_web, settings, web_security
from shared.protocol import API_PREFIX
from shared.wire import PROTOCOL_VERSION

SECRET_FILE = "hub.secret"


class HubApi(Api):
    """flask-smorest's Api documenting our one error shape instead of its own."""

    ERROR_SCHEMA = ErrorSchema


def create_app(test_config: dict[str, Any] | None = None, *, check_schema: bool = True) -> Flask:
    """Build the hub.  ``check_schema`` refuses to start on a database that needs `fieldsync-hub migrate`."""
    app = Flask(__name__)
    app.config.from_mapping(settings.load(HUB_SETTINGS, ENV_PREFIX))
    app.config.update(
        API_TITLE="fieldsync hub",
        API_VERSION=str(PROTOCOL_VERSION),
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_REQUEST_BYTES"]
    if not app.config.get("SECRET_KEY"):  # sessions carry the CSRF token of county and public forms
        app.config["SECRET_KEY"] = web_security.secret_key(Path(app.config["DATA_DIR"]) / SECRET_FILE)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", WTF_CSRF_TIME_LIMIT=None,
                      PERMANENT_SESSION_LIFETIME=8 * 3600)
    web_security.use_sessions(app)  # the Secure flag per SECURE_COOKIES (auto: whenever served over HTTPS)
    web_security.trust_proxies(app, app.config["PROXY_HOPS"])
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own, unless an app sets another
    app.json.ensure_ascii = False
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    db.init_app(app)
    if check_schema:
        db.ensure_current()
    job_queue.init_app(app)
    app.before_request(imports.allow_large_upload)  # before CSRF protection reads the form
    smorest = HubApi(app, spec_kwargs={"components": {"securitySchemes": {
        "nodeSignature": {"type": "apiKey", "in": "header", "name": "Authorization",
                          "description": "Fieldsync node=<id>,counter=<n>,signature=<base64url> (docs/protocol.md)"},
        "apiToken": {"type": "http", "scheme": "bearer",
                     "description": "a county system's token from `fieldsync-hub add-token`, scoped like a user"}}}})
    smorest.register_blueprint(api.blp)
    csrf = CSRFProtect(app)
    csrf.exempt(api.blp)  # the sync API is signed by each node's key, not a browser session
    limiter = Limiter(get_remote_address, app=app, default_limits=[],
                      storage_uri=app.config["RATELIMIT_STORAGE_URI"] or ratelimit.DEFAULT_URI)
    api.limit_enrolment(app, limiter)
    app.register_blueprint(jobs_web.blueprint(HubBoard, limiter, lambda: app.config["INTEREST_RATE_LIMIT"]))
    app.register_blueprint(posting_views.bp)
    smorest.register_blueprint(read_api.blp)
    auth.init_app(app)
    app.register_blueprint(auth.bp)
    web_security.limit_sign_in(app, limiter, "auth.sign_in", lambda: app.config["LOGIN_RATE_LIMIT"])
    app.register_blueprint(verification_views.bp)
    app.register_blueprint(disclosure.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(cleaning_views.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(city.bp)
    app.register_blueprint(upward.bp)
    app.register_blueprint(region.bp)
    manage.init_app(app)
    wording.init_app(app)
    Compress(app)  # neither waitress nor gunicorn compresses; pages of 10,000 rows shrink tenfold
    errors.init_app(app)  # after flask-smorest, so our error shape wins
    web_security.init_app(app, cacheable_blueprints=frozenset({"jobs"}))
    return app

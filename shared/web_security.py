"""Security headers on every reply of the hub and of the station app."""

from __future__ import annotations

import logging
import os
import secrets
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from werkzeug.middleware.proxy_fix import ProxyFix

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: over HTTPS Flask-WTF refuses a form whose Referer is missing (its SSL-strict
    # check), so with no-referrer no form could be sent to the station's serve-tls or a hub behind TLS; no other
    # site ever gets a Referer.
    "Referrer-Policy": "same-origin",
}
# The hub's pages use inline styles only and load nothing from elsewhere.
HUB_POLICY = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
              "frame-ancestors 'none'; form-action 'self'")
# The station app: its own stylesheet and script files only, nothing inline, nothing from elsewhere.
STATION_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"


def init_app(app: Flask, policy: str = HUB_POLICY, cacheable_blueprints: frozenset[str] = frozenset()) -> None:
    """Security headers on every reply, and ``Cache-Control: no-store`` on every one but static files and the
    public pages of ``cacheable_blueprints``: pages and replies carry personal data, which no browser cache,
    shared computer's history or proxy may keep (a form posted to a public page echoes what was typed: no-store)."""
    headers = {**BASE_HEADERS, "Content-Security-Policy": policy}

    @app.after_request
    def _secure(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        public = request.method == "GET" and request.blueprint in cacheable_blueprints
        if request.endpoint != "static" and not public:
            response.headers["Cache-Control"] = "no-store"
        return response


def trust_proxies(app: Flask, hops: int) -> None:
    """Take the client's address and scheme from exactly ``hops`` reverse proxies (X-Forwarded-For/-Proto), and
    from nothing when 0: a header a client sends itself must never pick its rate-limit bucket."""
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose Secure flag follows SECURE_COOKIES: ``auto`` sets it whenever the request came
    over HTTPS (directly, or as a trusted proxy reports), so the hub behind TLS never sends a session in clear."""

    def get_cookie_secure(self, app: Flask) -> bool:
        mode = app.config.get("SECURE_COOKIES", "auto")
        if mode in (True, "on"):
            return True
        if mode == "auto":
            return request.is_secure
        return False


def use_sessions(app: Flask) -> None:
    app.session_interface = SessionInterface()


def secret_key(path: Path) -> str:
    """A session key made once and kept in ``path``, readable by its owner only (mode 0600)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


class RateLimiter(Protocol):
    """What a rate limiter offers these helpers: Flask-Limiter's ``Limiter`` on the hub; the station's own
    (field_node/web/rate_limits.py), which spares a Pi the memory of Flask-Limiter's imports."""

    def limit(self, limit_value: Callable[[], str], *, methods: list[str] | None = None) -> Any: ...


def limit_sign_in(app: Flask, limiter: RateLimiter, endpoint: str, rate: Callable[[], str]) -> None:
    """Rate-limit sign-in attempts per address (on top of the per-account lockout): guessing many accounts
    from one address is slowed as well as guessing one account from many."""
    view = cast("Callable[..., ResponseReturnValue]", app.view_functions[endpoint])  # every sign-in view is sync
    app.view_functions[endpoint] = limiter.limit(rate, methods=["POST"])(view)


def safe_next(target: str | None, default: str) -> str:
    """Where to go after sign-in: only a path on this site, never another site (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return default


def log_unexpected(log: logging.Logger, error: BaseException) -> None:
    """Log where a request failed, never the exception text: driver messages can quote a row's values."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("event=internal_error type=%s path=%s\n%s", type(error).__name__, request.path, frames)

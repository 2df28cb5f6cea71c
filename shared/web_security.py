"""Security headers on every reply of the hub and of the station app."""

from __future__ import annotations

from flask import Flask, Response

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# The hub's pages use inline styles only and load nothing from elsewhere.
HUB_POLICY = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
              "frame-ancestors 'none'; form-action 'self'")
# The station app: its own stylesheet and script files only, nothing inline, nothing from elsewhere.
STATION_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"


def init_app(app: Flask, policy: str = HUB_POLICY) -> None:
    headers = {**BASE_HEADERS, "Content-Security-Policy": policy}

    @app.after_request
    def _secure(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

"""One error shape for the hub and the station app: a FieldsyncError becomes JSON ``{code, message, details}`` for
API and JSON requests, and the app's own HTML error page for pages, always with the error's HTTP status.  An
unexpected exception is logged without its text and answered as the app's INTERNAL error: never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, jsonify, request

from shared import web_security
from shared.errors import FieldsyncError

Page = Callable[[FieldsyncError], str]  # renders the app's error page for one error


def wants_page() -> bool:
    """A page request: not under /api/, from a client that accepts HTML (a browser, not a script or a fetch)."""
    return not request.path.startswith("/api/") and request.accept_mimetypes.accept_html


def error_response(error: FieldsyncError, page: Page) -> Response:
    if wants_page():
        return Response(page(error), status=error.code.http_status, mimetype="text/html")
    response = jsonify(error.to_dict())
    response.status_code = error.code.http_status
    return response


def init_app(app: Flask, page: Page, log: logging.Logger, internal: Callable[[], FieldsyncError]) -> None:
    """Answer FieldsyncErrors and unexpected exceptions in the one shape; ``internal`` is what a person is told
    when something unexpected failed (the app's INTERNAL error and its words)."""

    def _unexpected(exc: Exception) -> Response:
        web_security.log_unexpected(log, exc)
        return error_response(internal(), page)

    app.register_error_handler(FieldsyncError, lambda error: error_response(error, page))
    app.register_error_handler(Exception, _unexpected)

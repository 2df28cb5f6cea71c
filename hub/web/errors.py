"""One JSON error shape for every failure: ``{code, message, details}``, never a stack trace (shared/web_errors.py,
the same on the station app); here the hub's page and its HTTP error codes."""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from shared import web_errors
from shared.errors import ErrorCode, FieldsyncError

log = logging.getLogger("fieldsync.hub")

_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    422: ErrorCode.INVALID_FIELDS,
    429: ErrorCode.TOO_MANY_REQUESTS,
}


def _page(error: FieldsyncError) -> str:
    return render_template("error.html", error=error)


def _from_http(exc: HTTPException) -> Response:
    code = _HTTP_CODES.get(exc.code or 500, ErrorCode.BAD_REQUEST)
    details = {}
    data = getattr(exc, "data", None)  # webargs/flask-smorest put field errors here
    if isinstance(data, dict) and "messages" in data:
        details = {"fields": data["messages"]}
    return web_errors.error_response(FieldsyncError(code, details=details), _page)


def init_app(app: Flask) -> None:
    web_errors.init_app(app, _page, log, lambda: FieldsyncError(ErrorCode.INTERNAL))
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(CSRFError, lambda _: web_errors.error_response(FieldsyncError(ErrorCode.FORM_EXPIRED),
                                                                              _page))

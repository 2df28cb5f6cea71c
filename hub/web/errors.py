"""One JSON error shape for every failure: ``{code, message, details}``, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from shared import web_security
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


def error_response(error: FieldsyncError) -> Response:
    if not request.path.startswith("/api/") and request.accept_mimetypes.accept_html:
        page = render_template("error.html", error=error)
        return Response(page, status=error.code.http_status, mimetype="text/html")
    response = jsonify(error.to_dict())
    response.status_code = error.code.http_status
    return response


def _from_http(exc: HTTPException) -> Response:
    code = _HTTP_CODES.get(exc.code or 500, ErrorCode.BAD_REQUEST)
    details = {}
    data = getattr(exc, "data", None)  # webargs/flask-smorest put field errors here
    if isinstance(data, dict) and "messages" in data:
        details = {"fields": data["messages"]}
    return error_response(FieldsyncError(code, details=details))


def _from_unexpected(exc: Exception) -> Response:
    web_security.log_unexpected(log, exc)
    return error_response(FieldsyncError(ErrorCode.INTERNAL))


def init_app(app: Flask) -> None:
    app.register_error_handler(FieldsyncError, error_response)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(Exception, _from_unexpected)

"""One JSON error shape for every failure: ``{code, message, details}``, never a stack trace (shared/web_errors.py,
the same on the station app); here the hub's page."""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from shared import web_errors
from shared.errors import ErrorCode, FieldsyncError

log = logging.getLogger("fieldsync.hub")


def _page(error: FieldsyncError) -> str:
    return render_template("error.html", **web_errors.page_words(error))


def _from_http(exc: HTTPException) -> Response:
    return web_errors.error_response(web_errors.http_error(exc), _page)


def init_app(app: Flask) -> None:
    web_errors.init_app(app, _page, log, lambda: FieldsyncError(ErrorCode.INTERNAL))
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(CSRFError, lambda _: web_errors.error_response(FieldsyncError(ErrorCode.FORM_EXPIRED),
                                                                              _page))

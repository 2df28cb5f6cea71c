"""One error shape for the hub and the station app: a FieldsyncError — or an HTTP error Flask raised (404, 405,
413, an expired form …) — becomes JSON ``{code, message, details}`` for API and JSON requests, and the app's own
HTML error page for pages, always with the error's HTTP status.  An unexpected exception is logged without its
text and answered as the app's INTERNAL error: never a stack trace.

The page says what happened and what to do in Chinese; for support it shows only a short number (the code's
place in ``ErrorCode``, stable because codes are only ever appended; docs/errors.md lists them), never the code's
English name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from shared import web_security
from shared.errors import ErrorCode, FieldsyncError

Page = Callable[[FieldsyncError], str]  # renders the app's error page for one error

HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    422: ErrorCode.INVALID_FIELDS,
    429: ErrorCode.TOO_MANY_REQUESTS,
}

# The page's heading by HTTP status: what happened, in a person's words.
TITLES = {
    400: "没有提交成功",
    401: "需要重新登记或登录",
    403: "没有权限",
    404: "找不到这个页面",
    405: "不能这样打开这个地址",
    409: "与已有的内容冲突",
    413: "提交的内容太大",
    422: "内容不符合要求",
    426: "软件需要升级",
    429: "操作太频繁",
    500: "出错了",
    503: "暂时无法使用",
}


def support_number(code: ErrorCode) -> int:
    """The code's stable number for support (its place in ErrorCode, from 1): what the page shows, not its name."""
    return list(ErrorCode).index(code) + 1


def page_words(error: FieldsyncError) -> dict[str, Any]:
    """What an error page shows: a heading, the message (which says what to do) and the support number."""
    status = error.code.http_status
    return {"status": status, "title": TITLES.get(status, "没有完成"), "message": error.message,
            "number": support_number(error.code)}


def wants_page() -> bool:
    """A page request: not under /api/, from a client that accepts HTML (a browser, not a script or a fetch)."""
    return not request.path.startswith("/api/") and request.accept_mimetypes.accept_html


def error_response(error: FieldsyncError, page: Page) -> Response:
    if wants_page():
        return Response(page(error), status=error.code.http_status, mimetype="text/html")
    response = jsonify(error.to_dict())
    response.status_code = error.code.http_status
    return response


def http_error(exc: HTTPException, message: str | None = None) -> FieldsyncError:
    """An HTTP error Flask raised as the FieldsyncError of its status (with the fields webargs found wrong)."""
    code = HTTP_CODES.get(exc.code or 500, ErrorCode.BAD_REQUEST)
    data = getattr(exc, "data", None)  # webargs/flask-smorest put field errors here
    details = {"fields": data["messages"]} if isinstance(data, dict) and "messages" in data else {}
    return FieldsyncError(code, message, details)


def init_app(app: Flask, page: Page, log: logging.Logger, internal: Callable[[], FieldsyncError]) -> None:
    """Answer FieldsyncErrors and unexpected exceptions in the one shape; ``internal`` is what a person is told
    when something unexpected failed (the app's INTERNAL error and its words)."""

    def _unexpected(exc: Exception) -> Response:
        web_security.log_unexpected(log, exc)
        return error_response(internal(), page)

    app.register_error_handler(FieldsyncError, lambda error: error_response(error, page))
    app.register_error_handler(Exception, _unexpected)

"""The hub's error pages say what happened and what to do in Chinese, with a number for support and never the
code's English name; JSON callers get ``{code, message, details}`` for the same failures (shared/web_errors.py)."""

from __future__ import annotations

import pytest

from shared.errors import ErrorCode
from shared.web_errors import support_number
from tests.conftest import make_user, signed_in

HTML = {"Accept": "text/html,application/xhtml+xml"}
JSON = {"Accept": "application/json"}


def _township(app):
    return signed_in(app, make_user(app, "tang", "township", "板榄镇"))


@pytest.mark.parametrize(("path", "code", "title"), [
    ("/no-such-page", ErrorCode.NOT_FOUND, "找不到这个页面"),
    ("/manage/users/", ErrorCode.FORBIDDEN, "没有权限"),
])
def test_an_error_page_has_a_chinese_heading_the_message_and_a_support_number(app, path, code, title):
    reply = _township(app).get(path, headers=HTML)
    page = reply.get_data(as_text=True)
    assert reply.status_code == code.http_status and reply.mimetype == "text/html"
    assert f"<h1>{title}</h1>" in page and f"问题编号 {support_number(code)}" in page
    assert code.name not in page and "错误代码" not in page


@pytest.mark.parametrize(("method", "path", "code"), [
    ("GET", "/no-such-page", ErrorCode.NOT_FOUND),
    ("GET", "/manage/users/", ErrorCode.FORBIDDEN),
    ("DELETE", "/manage/users/", ErrorCode.METHOD_NOT_ALLOWED),
])
def test_the_same_failures_answer_a_json_caller_in_the_one_shape(app, method, path, code):
    reply = _township(app).open(path, method=method, headers=JSON)
    assert reply.status_code == code.http_status and reply.mimetype == "application/json"
    assert set(reply.get_json()) == {"code", "message", "details"} and reply.get_json()["code"] == code.name


def test_an_expired_form_says_so_in_chinese_and_names_no_code(app):
    app.config["WTF_CSRF_ENABLED"] = True
    reply = _township(app).post("/account/password", data={}, headers=HTML)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and "表单已过期" in page and "FORM_EXPIRED" not in page
    assert f"问题编号 {support_number(ErrorCode.FORM_EXPIRED)}" in page


def test_support_numbers_are_the_codes_places_counted_from_one():
    assert [support_number(code) for code in ErrorCode] == list(range(1, len(ErrorCode) + 1))
    assert support_number(ErrorCode.NOT_FOUND) == 5 and support_number(ErrorCode.FORBIDDEN) == 17

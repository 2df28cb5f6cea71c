"""One error shape on the station app, as on the hub (shared/web_errors.py): a FieldsyncError raised in a view
answers JSON ``{code, message, details}`` to API/JSON requests and the Chinese error page (no raw code) to pages,
with the error's status; anything unexpected answers a Chinese 500 page without a stack trace."""

from __future__ import annotations

import pytest

from shared.errors import ErrorCode, FieldsyncError
from shared.web_errors import support_number

SECRET = "110101199001011234"  # what an exception's text may quote; it never reaches the reply
HTML = {"Accept": "text/html,application/xhtml+xml"}
JSON = {"Accept": "application/json"}


def _refuse() -> str:
    raise FieldsyncError(ErrorCode.POSTING_OUTSIDE_SCOPE, details={"township": ["不在本站点范围内"]})


def _fail() -> str:
    raise RuntimeError(f"database said {SECRET}")


@pytest.fixture
def client(station):
    app = station["app"]
    app.add_url_rule("/refuse", view_func=_refuse)
    app.add_url_rule("/api/refuse", view_func=_refuse, endpoint="api_refuse")
    app.add_url_rule("/fail", view_func=_fail)
    app.add_url_rule("/api/fail", view_func=_fail, endpoint="api_fail")
    return app.test_client()


def test_a_fieldsync_error_in_a_page_shows_the_error_page_with_its_status(client):
    reply = client.get("/refuse", headers=HTML)
    page = reply.get_data(as_text=True)
    assert reply.status_code == ErrorCode.POSTING_OUTSIDE_SCOPE.http_status == 422
    assert reply.mimetype == "text/html"
    assert ErrorCode.POSTING_OUTSIDE_SCOPE.default_message in page
    assert "POSTING_OUTSIDE_SCOPE" not in page and 'lang="zh-CN"' in page


@pytest.mark.parametrize(("path", "headers"), [("/refuse", JSON), ("/api/refuse", HTML)])
def test_a_fieldsync_error_for_json_or_the_api_answers_the_hubs_json_shape(client, path, headers):
    reply = client.get(path, headers=headers)
    assert reply.status_code == 422
    assert reply.get_json() == {"code": "POSTING_OUTSIDE_SCOPE",
                                "message": ErrorCode.POSTING_OUTSIDE_SCOPE.default_message,
                                "details": {"township": ["不在本站点范围内"]}}


def test_an_unexpected_error_shows_a_chinese_500_page_without_a_trace(client):
    reply = client.get("/fail", headers=HTML)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 500 and reply.mimetype == "text/html"
    assert "站点出了点问题" in page
    assert SECRET not in page and "Traceback" not in page and "RuntimeError" not in page and "INTERNAL" not in page


def test_an_unexpected_error_for_the_api_answers_internal_in_json(client):
    reply = client.get("/api/fail", headers=JSON)
    assert reply.status_code == 500
    body = reply.get_json()
    assert body["code"] == "INTERNAL" and "站点出了点问题" in body["message"] and SECRET not in str(body)


def test_the_error_page_says_what_to_do_and_gives_a_number_for_support_not_the_codes_name(client):
    page = client.get("/refuse", headers=HTML).get_data(as_text=True)
    number = support_number(ErrorCode.POSTING_OUTSIDE_SCOPE)
    assert f"请告诉站点管理员问题编号 {number}。" in page and "出错了" in page


@pytest.mark.parametrize(("method", "path", "status", "code", "words"), [
    ("GET", "/api/no-such-thing", 404, "NOT_FOUND", "没有这个页面"),
    ("GET", "/no-such-page", 404, "NOT_FOUND", "没有这个页面"),
    ("DELETE", "/login", 405, "METHOD_NOT_ALLOWED", "不支持这种请求方式"),
])
def test_http_errors_answer_json_callers_with_the_one_shape(client, method, path, status, code, words):
    reply = client.open(path, method=method, headers=JSON)
    assert reply.status_code == status and reply.mimetype == "application/json"
    body = reply.get_json()
    assert body["code"] == code and words in body["message"] and body["details"] == {}
    page = client.open(path, method=method, headers=HTML)
    expected = "application/json" if path.startswith("/api/") else "text/html"  # the API answers JSON always
    assert page.status_code == status and page.mimetype == expected
    assert expected == "application/json" or (words in page.get_data(as_text=True)
                                               and code not in page.get_data(as_text=True))


def test_an_expired_form_answers_a_json_caller_with_form_expired(station):
    station["app"].config["WTF_CSRF_ENABLED"] = True
    reply = station["app"].test_client().post("/login", data={"username": "wang"}, headers=JSON)
    assert reply.status_code == 400 and reply.get_json()["code"] == "FORM_EXPIRED"
    assert "草稿" in reply.get_json()["message"]

"""One error shape on the station app, as on the hub (shared/web_errors.py): a FieldsyncError raised in a view
answers JSON ``{code, message, details}`` to API/JSON requests and the Chinese error page (no raw code) to pages,
with the error's status; anything unexpected answers a Chinese 500 page without a stack trace."""

from __future__ import annotations

import pytest

from shared.errors import ErrorCode, FieldsyncError

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

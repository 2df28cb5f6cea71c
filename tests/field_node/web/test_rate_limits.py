"""The station's own rate limits (field_node/web/rate_limits.py, in place of Flask-Limiter): sign-in and 我想报名
per phone address, the limit strings of LOGIN_RATE_LIMIT and INTEREST_RATE_LIMIT, a moving window."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import TooManyRequests

from field_node.web import create_app
from field_node.web.rate_limits import StationLimits, parse


def test_limit_strings_read_as_flask_limiter_wrote_them():
    assert parse("10/minute;100/hour") == ((10, 60.0), (100, 3600.0))
    assert parse("5 per minute, 30 per 2 hours") == ((5, 60.0), (30, 7200.0))
    assert parse("3/Day") == ((3, 86400.0),)
    with pytest.raises(ValueError):
        parse("ten a minute")


def test_a_used_up_limit_refuses_until_the_window_has_moved_on():
    now = [1000.0]
    limits = StationLimits(clock=lambda: now[0])
    for _ in range(3):
        limits.hit("sign-in", "10.0.0.2", "3/minute;5/hour")
    with pytest.raises(TooManyRequests):
        limits.hit("sign-in", "10.0.0.2", "3/minute;5/hour")
    limits.hit("sign-in", "10.0.0.3", "3/minute;5/hour")  # another phone has its own count
    limits.hit("interest", "10.0.0.2", "3/minute;5/hour")  # and another view
    now[0] += 61
    limits.hit("sign-in", "10.0.0.2", "3/minute;5/hour")
    limits.hit("sign-in", "10.0.0.2", "3/minute;5/hour")
    with pytest.raises(TooManyRequests):  # the hour's five are used up now
        limits.hit("sign-in", "10.0.0.2", "3/minute;5/hour")


def test_sign_in_and_interest_answer_429_in_chinese_once_a_phone_used_its_attempts(station, monkeypatch):
    monkeypatch.setenv("FIELDSYNC_NODE_LOGIN_RATE_LIMIT", "3/minute")
    monkeypatch.setenv("FIELDSYNC_NODE_INTEREST_RATE_LIMIT", "2/hour")
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, data_dir=station["node"].data_dir)
    client = app.test_client()
    for _ in range(3):
        assert client.post("/login", data={"username": "wang", "password": "wrong"}).status_code == 401
    refused = client.post("/login", data={"username": "wang", "password": "wrong"}, headers={"Accept": "text/html"})
    assert refused.status_code == 429 and "请过几分钟再试" in refused.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # only the attempts (POST) count
    posting = "0" * 32
    answers = [client.post(f"/j/{posting}/interest", data={"name": "韦", "phone": "13877001234"}).status_code
               for _ in range(3)]
    assert answers[:2] != [429, 429] and answers[2] == 429

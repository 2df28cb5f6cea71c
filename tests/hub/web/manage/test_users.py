"""County users on the management page: add, change role or township with a reason, disable, reset the password
(a temporary one shown once, sessions end, the user must choose their own at the next sign-in) — each audited."""

from __future__ import annotations

import re

from hub.audit import entries_about
from hub.store.models import CountyUser, Township
from tests.conftest import ADMIN_PASSWORD, make_user, signed_in
from tests.security.privacy_data import TOWNSHIP_A


def _actions(username: str) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.why) for e in reversed(entries_about(f"user:{username}"))]


def test_an_admin_adds_a_township_user_and_a_wrong_form_is_refused_in_chinese(client, hub_db):
    bad = client.post("/manage/users/add", data={"username": "li", "display_name": "李", "role": "township",
                                                 "township": "", "password": "long-enough-1"})
    assert bad.status_code == 400 and "必须指定一个本县的乡镇" in bad.get_data(as_text=True)
    weak = client.post("/manage/users/add", data={"username": "li", "display_name": "李", "role": "viewer",
                                                  "password": "123"})
    assert weak.status_code == 400 and "密码至少" in weak.get_data(as_text=True)
    assert client.post("/manage/users/add", data={"username": "li", "display_name": "李乡镇", "role": "township",
                                                  "township": TOWNSHIP_A, "password": "long-enough-1"}
                       ).status_code == 302
    user = CountyUser.get(CountyUser.username == "li")
    assert (user.role, user.township_id) == ("township", Township.get(Township.name == TOWNSHIP_A).id)
    assert _actions("li") == [("user:admin", "user.create", "新建用户")]
    page = client.get("/manage/users/").get_data(as_text=True)
    assert "李乡镇" in page and TOWNSHIP_A in page and "乡镇工作人员" in page


def test_a_role_change_needs_a_reason_and_ends_the_users_sessions(app, client, hub_db):
    user_id = make_user(app, "wang", "viewer")
    session = signed_in(app, user_id)
    assert session.get("/").status_code == 200
    unexplained = client.post(f"/manage/users/{user_id}/role", data={"role": "staff", "why": ""})
    assert unexplained.status_code == 400 and "原因" in unexplained.get_data(as_text=True)
    assert CountyUser.get_by_id(user_id).role == "viewer"
    assert client.post(f"/manage/users/{user_id}/role", data={"role": "staff", "why": "调入县局"}).status_code == 302
    assert CountyUser.get_by_id(user_id).role == "staff"
    assert session.get("/").status_code == 302  # signed out: the session carried the old role
    assert _actions("wang") == [("user:admin", "role.change", "调入县局")]


def test_disabling_a_user_ends_their_sessions_and_is_audited(app, client, hub_db):
    user_id = make_user(app, "zhao", "staff")
    session = signed_in(app, user_id)
    assert client.post(f"/manage/users/{user_id}/disable", data={"why": "调离"}).status_code == 302
    assert not CountyUser.get_by_id(user_id).active and session.get("/").status_code == 302
    assert "已停用" in client.get("/manage/users/").get_data(as_text=True)
    assert _actions("zhao") == [("user:admin", "user.disable", "调离")]


def test_a_reset_shows_a_temporary_password_once_and_the_user_must_choose_their_own(app, client, anonymous,
                                                                                     hub_db):
    user_id = make_user(app, "qin", "staff")
    old_session = signed_in(app, user_id)
    reply = client.post(f"/manage/users/{user_id}/reset", data={"why": "本人忘记密码，电话核实"})
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    temporary = re.search(r'id="temporary-password"[^>]*>([^<]+)<', reply.get_data(as_text=True))[1]
    assert old_session.get("/").status_code == 302  # every session of theirs ended
    assert temporary not in " ".join(f"{e.before_json}{e.after_json}{e.why}" for e in entries_about("user:qin"))
    assert anonymous.post("/login", data={"username": "qin", "password": ADMIN_PASSWORD}).status_code == 401
    signed = anonymous.post("/login", data={"username": "qin", "password": temporary})
    assert signed.status_code == 302
    for path in ("/", "/cleaning/anomalies", "/manage/rules/"):
        blocked = anonymous.get(path)
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/account/password")
    assert anonymous.get("/api/v1/read/households").status_code == 401  # nor the read API by the session
    page = anonymous.get("/account/password").get_data(as_text=True)
    assert "请先设置您自己的新密码" in page
    same = anonymous.post("/account/password", data={"current": temporary, "password": temporary,
                                                      "repeated": temporary})
    assert same.status_code == 400 and "不能与当前密码相同" in same.get_data(as_text=True)
    wrong = anonymous.post("/account/password", data={"current": "guess-1234", "password": "my-own-pass-9",
                                                       "repeated": "my-own-pass-9"})
    assert wrong.status_code == 400 and "当前密码不对" in wrong.get_data(as_text=True)
    done = anonymous.post("/account/password", data={"current": temporary, "password": "my-own-pass-9",
                                                      "repeated": "my-own-pass-9"})
    assert done.status_code == 302 and anonymous.get("/").status_code == 200
    assert not CountyUser.get_by_id(user_id).must_change_password
    assert [a for _, a, _ in _actions("qin")] == ["user.password_reset", "user.password_change"]
    assert _actions("qin")[0][:2] == ("user:admin", "user.password_reset")


def test_the_last_administrator_cannot_be_demoted_or_disabled(app, client, hub_db):
    me = CountyUser.get(CountyUser.username == "admin").id
    demoted = client.post(f"/manage/users/{me}/role", data={"role": "staff", "why": "误操作"})
    assert demoted.status_code == 400 and "唯一的县级管理员" in demoted.get_data(as_text=True)
    disabled = client.post(f"/manage/users/{me}/disable", data={"why": "误操作"})
    assert disabled.status_code == 400 and CountyUser.get_by_id(me).active
    make_user(app, "deputy", "admin")
    assert client.post(f"/manage/users/{me}/role", data={"role": "staff", "why": "交接"}).status_code == 302
    assert CountyUser.get_by_id(me).role == "staff"

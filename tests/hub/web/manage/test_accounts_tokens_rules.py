"""Station accounts, read-API tokens and the rule settings on the management pages: each change through the domain
function the CLI uses, audited under the signed-in user; bad values refused in Chinese."""

from __future__ import annotations

import re

from hub.audit import entries_about
from hub.county.parameters import PARAMETERS, parameters
from hub.store.models import ApiToken, FieldAccount
from tests.support import VILLAGES

VILLAGE = "/".join(VILLAGES[0])


def test_a_grid_member_account_is_added_for_a_village_and_disabled(client, county):
    weak = client.post("/manage/field-accounts/add", data={"username": "wei", "display_name": "韦网格",
                                                           "village": VILLAGE, "password": "1"})
    assert weak.status_code == 400 and "账户信息不完整" in weak.get_data(as_text=True)
    nowhere = client.post("/manage/field-accounts/add", data={"username": "wei", "display_name": "韦网格",
                                                              "village": "没有/这个村", "password": "grid-pass-1"})
    assert nowhere.status_code == 404 and "没有村“没有/这个村”" in nowhere.get_data(as_text=True)
    assert client.post("/manage/field-accounts/add", data={"username": "wei", "display_name": "韦网格",
                                                           "village": VILLAGE, "role": "member",
                                                           "password": "grid-pass-1"}).status_code == 302
    account = FieldAccount.get(FieldAccount.username == "wei")
    assert account.village.label == VILLAGE and account.active
    page = client.get("/manage/field-accounts/").get_data(as_text=True)
    assert "韦网格" in page and VILLAGE in page and "网格员" in page
    assert client.post(f"/manage/field-accounts/{account.id}/disable", data={"why": "离职"}).status_code == 302
    assert not FieldAccount.get_by_id(account.id).active
    actions = [(e.actor, e.action, e.why) for e in reversed(entries_about("field_account:wei"))]
    assert actions == [("user:admin", "field_account.create", "新建站点账户"),
                       ("user:admin", "field_account.disable", "离职")]


def test_a_token_is_shown_once_works_on_the_read_api_and_stops_when_revoked(app, client, anonymous, county):
    created = client.post("/manage/tokens/add", data={"name": "县统计局", "role": "viewer", "township": ""})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="token"[^>]*>([^<]+)<', created.get_data(as_text=True))[1]
    assert token not in client.get("/manage/tokens/").get_data(as_text=True)
    bearer = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/v1/read/households", headers=bearer).status_code == 200
    row = ApiToken.get(ApiToken.name == "县统计局")
    assert token not in str(row.__data__)
    admin_token = client.post("/manage/tokens/add", data={"name": "全权", "role": "admin"})
    assert admin_token.status_code == 400 and ApiToken.select().count() == 1
    assert client.post(f"/manage/tokens/{row.id}/revoke", data={"why": ""}).status_code == 400
    assert client.post(f"/manage/tokens/{row.id}/revoke", data={"why": "系统停用"}).status_code == 302
    assert anonymous.get("/api/v1/read/households", headers=bearer).status_code == 401
    assert "已吊销" in client.get("/manage/tokens/").get_data(as_text=True)
    actions = [(e.actor, e.action) for e in reversed(entries_about("token:县统计局"))]
    assert actions == [("user:admin", "token.create"), ("user:admin", "token.revoke")]


def _visible_text(page: str) -> str:
    body = page.split("<body>", 1)[1]
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S))


def test_the_rule_settings_show_every_parameter_in_chinese_with_its_unit_and_source(client, hub_db):
    page = client.get("/manage/rules/").get_data(as_text=True)
    text = _visible_text(page)
    for name, parameter in PARAMETERS.items():
        assert parameter.label in text and parameter.unit in text and name not in text
        for source in parameter.sources:
            assert source in text
            assert source.startswith("《") or source.startswith("数据质量核查")
    assert "§" not in text and not re.search(r"\b00\d\b", text)  # documents by name, not by seed number


def test_a_rule_setting_changes_with_a_reason_and_bad_values_are_refused_in_chinese(client, hub_db):
    path = "/manage/rules/p1_min_income"
    for value, said in (("一万", "应填整数"), ("10000.5", "应填整数"), ("-5", "应在 1 到 1000000"), ("", "应填整数")):
        reply = client.post(path, data={"value": value, "why": "2027年标准"})
        assert reply.status_code == 400 and said in reply.get_data(as_text=True), value
    unexplained = client.post(path, data={"value": "11000", "why": " "})
    assert unexplained.status_code == 400 and "原因" in unexplained.get_data(as_text=True)
    assert parameters()["p1_min_income"] == 10_000
    assert client.post(path, data={"value": "11,000", "why": "2027年监测标准"}).status_code == 302
    assert parameters()["p1_min_income"] == 11_000
    assert client.post("/manage/rules/p3_min_growth", data={"value": "0.15", "why": "县里调整"}).status_code == 302
    assert parameters()["p3_min_growth"] == 0.15
    [entry] = entries_about("setting:p1_min_income")
    assert (entry.actor, entry.action, entry.before, entry.after, entry.why) == (
        "user:admin", "setting.change", 10_000, 11_000, "2027年监测标准")
    assert client.post("/manage/rules/no_such", data={"value": "1", "why": "x"}).status_code == 404

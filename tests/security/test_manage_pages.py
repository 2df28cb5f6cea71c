"""Who may open and use each management page (issue 15), walked per role over every management route of the
url_map: a refused page or action is a Chinese 403 with an audit entry and changes nothing; every form needs its
CSRF token; the menu offers each role the pages it may use."""

from __future__ import annotations

import re

import pytest

from hub.audit import entries
from hub.store.models import ApiToken, AuditLog, CountyUser, FieldAccount, Node
from hub.sync import nodes
from tests.conftest import make_user, signed_in
from tests.security.privacy_data import TOWNSHIP_A
from tests.support import VILLAGES

ALL = {"admin", "staff", "township", "viewer"}
COUNTY = {"admin", "staff"}
# endpoint -> the roles that may use it; every management endpoint must be here.
MAY: dict[str, set[str]] = {
    "manage.index": ALL, "account.password": ALL, "manage_rules.listing": ALL,
    "manage_stations.listing": {"admin", "staff", "viewer"}, "manage_stations.register": {"admin"},
    "manage_stations.revoke": {"admin"}, "manage_stations.new_code": {"admin"}, "manage_stations.release": {"admin"},
    "manage_users.listing": {"admin"}, "manage_users.add": {"admin"}, "manage_users.role": {"admin"},
    "manage_users.disable": {"admin"}, "manage_users.reset": {"admin"},
    "manage_accounts.listing": COUNTY, "manage_accounts.add": COUNTY, "manage_accounts.disable": COUNTY,
    "manage_tokens.listing": {"admin"}, "manage_tokens.add": {"admin"}, "manage_tokens.revoke": {"admin"},
    "manage_rules.change": COUNTY,
}
MENU = {"站点": {"admin", "staff", "viewer"}, "县级用户": {"admin"}, "站点账户": COUNTY, "API 令牌": {"admin"},
        "规则参数": ALL}


@pytest.fixture
def world(app, county):
    """One of everything to act on, and a signed-in client per role."""
    node, _ = nodes.register("受保护的站", [nodes.find_village("/".join(VILLAGES[0]))], 24, actor="test")
    from hub.accounts import field_accounts, users

    account = field_accounts.create("wei", "韦网格", "grid-pass-1", nodes.find_village("/".join(VILLAGES[0])),
                                    actor="test")
    token, _ = users.create_token("统计局", "viewer", actor="test")
    target = make_user(app, "target", "viewer")
    clients = {role: signed_in(app, make_user(app, f"u-{role}", role, TOWNSHIP_A if role == "township" else None))
               for role in ALL}
    values = {"node_id": node.id, "user_id": target, "account_id": account.id, "token_id": token.id,
              "name": "p1_min_income"}
    return {"clients": clients, "values": values}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in {"manage", "manage_stations", "manage_users", "manage_accounts",
                                           "manage_tokens", "manage_rules", "account"}:
            yield rule


def _path(rule, values) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values[name]), path)
    return path


def _state() -> tuple:
    return (sorted((n.name, n.revoked_at is None) for n in Node.select()),
            sorted((u.username, u.role, u.active, u.password_hash) for u in CountyUser.select()),
            sorted((a.username, a.active) for a in FieldAccount.select()),
            sorted((t.name, t.active) for t in ApiToken.select()))


def test_every_management_route_refuses_each_role_it_is_not_for_with_an_audited_chinese_403(app, world):
    endpoints = {rule.endpoint for rule in _routes(app)}
    assert endpoints == set(MAY), "classify the new management routes in MAY"
    form = {"why": "试一试", "name": "新站", "villages": [], "username": "x1", "display_name": "某",
            "password": "long-enough-1", "role": "admin", "value": "1", "village": "/".join(VILLAGES[0])}
    checked = 0
    for rule in _routes(app):
        for role in sorted(ALL - MAY[rule.endpoint]):
            before, denied = _state(), AuditLog.select().where(AuditLog.action == "access.denied").count()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                reply = world["clients"][role].open(_path(rule, world["values"]), method=method, data=form)
                text = reply.get_data(as_text=True)
                assert reply.status_code == 403, f"{role} {method} {rule.rule}: {reply.status_code}"
                assert "您的角色" in text and "不能" in text
                checked += 1
            assert _state() == before, f"{role} {rule.rule} changed something"
            assert AuditLog.select().where(AuditLog.action == "access.denied").count() > denied
    assert checked > 30
    assert entries()[0].actor.startswith("user:u-")


def test_each_role_opens_the_management_pages_it_may_use(app, world):
    for rule in _routes(app):
        if "GET" not in rule.methods:
            continue
        for role in sorted(MAY[rule.endpoint]):
            reply = world["clients"][role].get(_path(rule, world["values"]))
            assert reply.status_code == 200, f"{role} GET {rule.rule}: {reply.status_code}"


def test_the_menu_offers_each_role_the_pages_it_may_use(world):
    for role, client in world["clients"].items():
        assert 'href="/manage/"' in client.get("/").get_data(as_text=True)
        menu = client.get("/manage/").get_data(as_text=True).split('id="manage-menu"')[1].split("</ul>")[0]
        for label, roles in MENU.items():
            assert (f">{label}</a>" in menu) == (role in roles), (role, label)
    staff_rules = world["clients"]["staff"].get("/manage/rules/").get_data(as_text=True)
    viewer_rules = world["clients"]["viewer"].get("/manage/rules/").get_data(as_text=True)
    assert 'class="rule-form"' in staff_rules and 'class="rule-form"' not in viewer_rules


def test_every_management_form_needs_its_csrf_token(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    admin = world["clients"]["admin"]
    form = {"why": "试一试", "name": "新站", "villages": [str(nodes.find_village("/".join(VILLAGES[1])).id)],
            "username": "x1", "display_name": "某", "password": "long-enough-1", "role": "viewer", "value": "2",
            "village": "/".join(VILLAGES[0])}
    before = _state()
    posts = [rule for rule in _routes(app) if "POST" in rule.methods]
    for rule in posts:
        reply = admin.post(_path(rule, world["values"]), data=form)
        assert reply.status_code == 400, rule.rule
        assert "表单已过期" in reply.get_data(as_text=True)
    assert _state() == before and len(posts) >= 12
    page = admin.get("/manage/users/").get_data(as_text=True)
    assert page.count('name="csrf_token"') == page.count("<form")

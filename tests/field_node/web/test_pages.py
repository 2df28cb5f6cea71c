"""The station app's pages through Flask's test client: sign-in, coverage, search, household, privacy."""

from __future__ import annotations

import re

from devtools.station import PASSWORD
from field_node.roster.search import search_keys
from field_node.store.state import now_text
from shared.idnumber import mask


def household_numbers(html: str) -> list[str]:
    return re.findall(r'href="/h/(\d+)"', html)


def test_every_page_needs_sign_in(station):
    client = station["app"].test_client()
    number = station["rows"][0]["household_id"]
    for path in ("/", f"/h/{number}", f"/h/{number}/visit", "/sync", "/accounts"):
        reply = client.get(path)
        assert reply.status_code == 302 and reply.location.startswith("/login"), path


def test_pages_are_chinese_by_default_and_english_on_request(member_client):
    page = member_client.get("/").get_data(as_text=True)
    assert "未走访" in page and "搜索" in page and 'lang="zh-CN"' in page
    english = member_client.get("/?lang=en").get_data(as_text=True)
    assert "not yet" in english and "未走访" not in english
    assert "not yet" in member_client.get("/").get_data(as_text=True)  # the choice is remembered


def test_wrong_passwords_lock_the_account_for_that_phone_only(station):
    client = station["app"].test_client()
    for _ in range(5):
        reply = client.post("/login", data={"username": "wang", "password": "wrong"})
        assert reply.status_code == 401 and "用户名或密码不对" in reply.get_data(as_text=True)
    assert client.post("/login", data={"username": "wang", "password": PASSWORD}).status_code == 401
    own_phone = station["app"].test_client()
    own_phone.environ_base["REMOTE_ADDR"] = "192.168.4.23"
    assert own_phone.post("/login", data={"username": "wang", "password": PASSWORD}).status_code == 302


def test_sign_in_never_redirects_to_another_site(station):
    client = station["app"].test_client()
    reply = client.post("/login?next=//evil.example/x", data={"username": "wang", "password": PASSWORD})
    assert reply.location == "/"


def test_coverage_lists_every_household_not_yet_visited_this_month(member_client, station):
    page = member_client.get("/").get_data(as_text=True)
    assert re.search(r'id="count-not_yet">16<', page)
    assert re.search(r'id="count-visited">0<', page)
    assert sorted(household_numbers(page)) == sorted({row["household_id"] for row in station["rows"]})


def test_search_by_household_number_name_and_pinyin_initials(member_client, station):
    row = station["rows"][3]
    initials = search_keys(row["name"]).split()[1]
    for query in (row["household_id"], row["name"], initials, initials.upper()):
        found = household_numbers(member_client.post("/", data={"q": query}).get_data(as_text=True))
        assert row["household_id"] in found, query
    assert household_numbers(member_client.post("/", data={"q": "qqqqqq"}).get_data(as_text=True)) == []


def test_household_page_shows_no_id_number_and_charts_income(member_client, station):
    number = station["rows"][0]["household_id"]
    page = member_client.get(f"/h/{number}").get_data(as_text=True)
    members = [row for row in station["rows"] if row["household_id"] == number]
    for member in members:
        assert member["id_number"] not in page and mask(member["id_number"]) not in page  # nor the masked form
        assert member["birth_date"] not in page  # age, never the birth date (DOMAIN.md §9)
        assert member["name"] in page
        assert member["phone"] == "" or member["phone"] not in page
    assert page.count("<rect ") == 2  # two months of visits seeded
    assert "近十二个月纯收入" in page


def test_accounts_page_is_for_the_station_admin_only(member_client, station):
    assert member_client.get("/accounts").status_code == 403
    admin = station["app"].test_client()
    admin.post("/login", data={"username": "admin", "password": PASSWORD})
    reply = admin.post("/accounts", data={"username": "li", "display_name": "李网格", "password": "123",
                                          "role": "member"})
    assert reply.status_code == 422 and "密码至少" in reply.get_data(as_text=True)
    reply = admin.post("/accounts", data={"username": "li", "display_name": "李网格", "password": "secret-1",
                                          "role": "member", "villages": "/".join(station["rows"][0][key]
                                                                             for key in ("township", "village"))})
    assert reply.status_code == 302
    assert member_client.post("/logout").status_code == 302
    fresh = station["app"].test_client()
    assert fresh.post("/login", data={"username": "li", "password": "secret-1"}).status_code == 302


def test_unknown_pages_get_a_chinese_page_not_a_trace(member_client):
    reply = member_client.get("/h/nope", headers={"Accept": "text/html,application/xhtml+xml"})  # a browser
    assert reply.status_code == 404 and "没有这个页面" in reply.get_data(as_text=True)
    assert member_client.get("/h/nope").get_json()["code"] == "NOT_FOUND"  # a script or a fetch: the JSON shape
    assert member_client.get(f"/?month={now_text()[:4]}-13").status_code == 404


def test_security_headers_forbid_inline_script_and_framing(member_client):
    reply = member_client.get("/")
    policy = reply.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert reply.headers["X-Frame-Options"] == "DENY"

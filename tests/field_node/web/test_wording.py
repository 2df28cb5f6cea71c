"""Every station page walked as a grid member and as the station admin (issue 15), as the hub's pages are per
role: no raw key, dict or English code on any screen a grid member sees.  The station is planted with what a
month leaves: visits, a verification task, a posting of its own, a record the hub refused with field details."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from devtools.station import PASSWORD
from field_node import tasks
from field_node.outbox import records
from field_node.store.db import database
from field_node.store.models import Member, Posting
from field_node.store.state import now_text
from field_node.web.visit_form import is_labourer
from tests.hub.web.test_wording import untranslated, visible

# JSON, scripts, files and pictures: not pages a person reads.
SKIPPED = {"static", "jobs.static", "jobs.qr", "jobs.favicon", "offline.service_worker", "offline.manifest"}
ROLES = {"wang": "网格员", "admin": "站点管理员"}
USER_NAMES = re.compile(r"(?<![A-Za-z])(?:wang|admin)(?![A-Za-z])")  # what a person types to sign in: shown as is


def words(html: str) -> list[tuple[str, str]]:
    """The untranslated identifiers of a page, its accounts' user names aside."""
    return untranslated(USER_NAMES.sub("", visible(html)))


def _sign_in(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def month(station) -> dict:
    """The seeded station with a task from the county, a posting of its own and a record the hub refused."""
    app = station["app"]
    number = station["rows"][0]["household_id"]
    with database.connection_context():
        tasks.apply_task_page({"tasks": [{"id": 1, "household": number, "question": "请核实本户十月的务工收入",
                                          "open": True}], "cursor": 1})
        records.apply_push_reply({"accepted": [], "duplicates": [], "hwm": 0, "rejected": [
            {"seq": 1, "final": True, "code": "RECORD_INVALID",
             "message": "记录内容不符合要求，已拒收；请更正后重新录入。",
             "details": {"fields": {"wage": ["工资收入不能为负数。"]}}}]}, 1, 1)
        labourer = next(m for m in Member.select() if is_labourer(m, now_text()[:7]))
    posted = _sign_in(app, "admin").post("/postings/new", data={
        "kind": "gig", "employer": "东岭村砂糖橘合作社", "title": "砂糖橘采摘", "place": "东岭村果园", "pay": "130",
        "pay_unit": "day", "headcount": "8", "contact_name": "韦队长", "contact_phone": "13877001234",
        "valid_until": (date.today() + timedelta(days=30)).isoformat()})
    assert posted.status_code == 302, posted.get_data(as_text=True)[:500]
    with database.connection_context():
        posting = Posting.get().posting_id
    return {"number": [number, labourer.household_id], "member_id": [str(labourer.id)], "posting_id": [posting],
            "labourer_household": labourer.household_id}


def paths(app, month: dict) -> Iterator[tuple[str, str]]:
    """Every GET page of the station's url_map, once per planted value of its arguments."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint == "station_postings.recommend":
            yield rule.endpoint, f"/h/{month['labourer_household']}/recommend/{month['member_id'][0]}"
            continue
        missing = set(rule.arguments) - set(month)
        assert not missing, f"{rule.rule}: give the walk values for {missing}"
        if not rule.arguments:
            yield rule.endpoint, rule.rule
            continue
        (name,) = rule.arguments
        for value in month[name]:
            yield rule.endpoint, re.sub(rf"<(?:[a-z]+:)?{name}>", value, rule.rule)


def test_no_station_page_shows_an_untranslated_identifier_to_a_grid_member_or_the_admin(station, month):
    app = station["app"]
    shown: dict[str, set[str]] = {}
    for username, role in ROLES.items():
        client = _sign_in(app, username)
        for endpoint, path in paths(app, month):
            reply = client.get(path)
            if reply.status_code != 200 or reply.mimetype != "text/html":
                continue
            shown.setdefault(endpoint, set()).add(username)
            found = words(reply.get_data(as_text=True))
            assert not found, f"{path} as {username} ({role}) shows {sorted(set(found))[:8]}"
    walked = {endpoint for endpoint, _ in paths(app, month)}
    assert walked - set(shown) == set(), "every page was seen by at least one role"
    assert shown["accounts.listing"] == {"admin"} and shown["households.coverage"] == set(ROLES)
    assert shown["sync.page"] == set(ROLES) and shown["tasks.listing"] == set(ROLES)
    admin = _sign_in(app, "admin")
    assert "记录内容不符合要求" in admin.get("/sync").get_data(as_text=True)  # the planted refusal was walked
    assert "请核实本户十月的务工收入" in admin.get("/tasks").get_data(as_text=True)
    assert "砂糖橘采摘" in admin.get("/postings").get_data(as_text=True)


def test_the_sign_in_and_public_pages_speak_chinese_to_a_stranger(station, month):
    app = station["app"]
    stranger = app.test_client()
    for path in ("/login", "/jobs", f"/j/{month['posting_id'][0]}", f"/j/{month['posting_id'][0]}/poster",
                 "/no-such-page"):
        reply = stranger.get(path, headers={"Accept": "text/html,application/xhtml+xml"})  # as a browser asks
        assert reply.mimetype == "text/html", path
        found = words(reply.get_data(as_text=True))
        assert not found, f"{path} shows {sorted(set(found))[:8]}"


def test_the_detector_sees_what_the_station_could_leak():
    assert untranslated("拒收原因：RECORD_INVALID {'fields': {'wage': ['x']}}")
    assert untranslated("方式：in_person") and not untranslated("入户走访 · 工资收入 1200 元")

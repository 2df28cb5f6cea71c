"""Hub pages as an attacker inside the county would use them (issue 12, items 1, 2 and 4): a township user of
大将镇 walks every route of the url_map against 板榄镇's people; a county user's pages never show what rebuilds a
masked ID number; the full number only through an audited reveal; anonymous interest moves no county figure."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from hub.audit import entries_about
from hub.store.models import Interest, Person
from shared.idnumber import mask
from tests.conftest import make_user, signed_in
from tests.security.privacy_data import FULL_ID, STRANGER, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_B, County, plant

REFUSED = {"refuse": {403, 404}, "node": {400, 401, 403}}


@pytest.fixture
def county(app, hub_db, tmp_path) -> County:
    return plant(tmp_path)


def township_a(app) -> Callable[[], Any]:
    user = make_user(app, "dajiang", "township", TOWNSHIP_A)
    return lambda: signed_in(app, user)  # a fresh client per request: /logout must not sign the walk out


# Every endpoint of the hub: how to fill its URL with B's data, and whether a township user of A must be refused
# outright ("refuse": 403 or 404; "node": the node-signed sync API) or may get a page that shows nothing of B
# ("page").  A new route fails the walk until it is
# added here.
def _b(county: County) -> dict[str, Any]:
    return {"anomaly_id": county.b_anomaly.id, "number": county.b_household.number,
            "person_id": county.b_person.id, "visit_id": 1, "posting_id": county.county_posting,
            "interest_id": county.b_interest.id, "filename": "x.css", "job_id": county.b_job,
            "township": TOWNSHIP_B, "fmt": "xlsx", "table": "labour",
            "node_id": 1, "user_id": 1, "account_id": 1, "token_id": 1, "name": "p1_min_income"}


def _filled(rule: str, arguments: Any, values: dict[str, Any]) -> str:
    """A url_map rule with each of its arguments replaced by the planted value of that name."""
    for name in arguments:
        rule = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values[name]), rule)
    return rule


ROUTES: dict[str, str] = {
    "pages.overview": "page", "cleaning.runs": "page", "cleaning.anomalies": "page", "cleaning.anomaly": "refuse",
    "cleaning.answer_filtered": "page",  # a township user answers its own township's filter only
    "verify.answer": "refuse", "verify.reopen": "refuse", "verify.send": "refuse", "verify.household": "refuse",
    "verify.correct_person": "refuse", "verify.correct_visit": "refuse", "verify.spot_checks": "page",
    "disclosure.reveal": "refuse", "postings.listing": "page", "postings.detail": "page",
    "postings.decision": "refuse", "postings.confirm_interest": "refuse", "postings.change_status": "refuse",
    "postings.import_list": "refuse", "postings.labourers": "page", "postings.labourer": "refuse",
    "postings.record_support": "refuse",
    "postings.new": "page", "dashboard.board": "page", "dashboard.data": "page",
    # Long work (issue 15): runs and imports are county staff's; a township downloads its own list only.
    "cleaning.start_run": "refuse", "cleaning.job_state": "page", "imports.index": "refuse",
    "imports.upload": "refuse", "imports.record": "refuse", "imports.state": "refuse", "exports.index": "page",
    "exports.anomaly_list": "refuse", "exports.county_table": "refuse",
    # A download the worker built is its asker's alone (b_job is nobody's download: refused).
    "exports.job": "refuse", "exports.job_state": "refuse", "exports.fetch": "refuse",
    # Issue 17: the city's page of its counties' reports (county-wide roles only).
    "city.summary": "refuse",
    # The county's page of its own reporting up (county-wide roles only).
    "upward.state": "refuse",
    "region.summary": "refuse",  # the region's page, the city's one level up (county-wide roles only)
    # Management (issue 15; every role's access in tests/security/test_manage_pages.py): a township user may read
    # the rule settings and change its own password, nothing else.
    "manage.index": "page", "manage_rules.listing": "page", "account.password": "page",
    "manage_rules.change": "refuse", "manage_stations.listing": "refuse", "manage_stations.register": "refuse",
    "manage_stations.revoke": "refuse", "manage_stations.new_code": "refuse", "manage_stations.release": "refuse",
    "manage_users.listing": "refuse",
    "manage_users.add": "refuse", "manage_users.role": "refuse", "manage_users.disable": "refuse",
    "manage_users.reset": "refuse", "manage_accounts.listing": "refuse", "manage_accounts.add": "refuse",
    "manage_accounts.disable": "refuse", "manage_tokens.listing": "refuse", "manage_tokens.add": "refuse",
    "manage_tokens.revoke": "refuse",
    "read.Households": "page", "read.Visits": "page", "read.Anomalies": "page", "read.Answers": "page",
    # Signed by a node's key: a browser session gets nowhere.
    "sync.Accounts": "node", "sync.Enroll": "node", "sync.Postings": "node", "sync.Push": "node",
    "sync.Roster": "node", "sync.State": "node", "sync.Tasks": "node", "sync.Certificate": "node",
    # Public: job pages, sign-in, static files, the API description, monitoring.
    "jobs.job": "page", "jobs.interest": "page", "jobs.poster": "page", "jobs.qr": "page", "jobs.listing": "page",
    "jobs.static": "page", "jobs.favicon": "page", "auth.sign_in": "page", "auth.sign_out": "page",
    "metrics.metrics": "page", "api-docs.openapi_json": "page", "static": "page",
}
B_QUERIES = ["", f"?township={TOWNSHIP_B}", f"?township={TOWNSHIP_B}&village={VILLAGE_B[1]}"]
POST_FORM = {"why": "核实", "answer": "correct", "note": "x", "question": "x", "household": "", "decision": "approved",
             "status": "filled", "name": "某某", "phone": "13800000000", "village": "东岭1村", "id_number": ""}


def test_a_township_user_sees_no_person_of_another_township_on_any_route(app, county):
    client = township_a(app)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set(), "classify the new routes in ROUTES (what they show, to whom)"
    values = _b(county)
    checked = 0
    for rule in app.url_map.iter_rules():
        path = _filled(rule.rule, rule.arguments, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for query in B_QUERIES if method == "GET" else [""]:
                reply = client().open(path + query, method=method, data=POST_FORM if method == "POST" else None)
                text = reply.get_data(as_text=True)
                shown = sorted(marker for marker in county.markers if marker in text)
                assert not shown, f"{method} {path}{query} shows people of {TOWNSHIP_B}: {shown[:5]}"
                assert not FULL_ID.search(text), f"{method} {path}{query} shows a full ID number"
                if ROUTES[rule.endpoint] in REFUSED:
                    assert reply.status_code in REFUSED[ROUTES[rule.endpoint]], \
                        f"{method} {path}{query} answered {reply.status_code}"
                assert reply.status_code < 500, f"{method} {path}{query}: {reply.status_code}"
                checked += 1
    assert checked > 60
    assert Interest.get_by_id(county.b_interest.id).confirmed_at is None  # no POST of the walk changed B


# What may be kept by a browser or a proxy: static files and the public job pages (a GET shows the job only).
CACHEABLE = {"static", "jobs.static", "jobs.favicon", "jobs.qr", "jobs.job", "jobs.listing", "jobs.poster"}


def test_every_reply_a_county_admin_gets_is_kept_by_no_browser_or_proxy(app, county):
    """The walk again as the county's admin, who sees every person: every reply of every route and method but
    static files and the public job pages carries ``Cache-Control: no-store`` (downloads and the dashboard's JSON
    included), shows no full ID number and no birth date (the audited reveal aside: DOMAIN.md §9), and leaves no
    export file on disk once fetched."""
    from hub.jobs import downloads, queue, records
    from hub.store.models import CountyUser, Job

    queue.queue(app).immediate = True  # a download asked for on the walk is built at once, as the worker would
    admin = make_user(app, "county-admin", "admin")
    values = {**_b(county), "fmt": "csv"}  # downloads as text, read like the pages
    births = {r["birth_date"] for r in county.rows if r["birth_date"]} | {r["id_number"][6:14] for r in county.rows}

    def check(method: str, path: str, reply: Any, endpoint: str) -> None:
        assert reply.headers.get("Cache-Control") == "no-store", f"{method} {path}: {reply.status_code}"
        if endpoint != "disclosure.reveal":
            text = reply.get_data(as_text=True)
            assert not FULL_ID.search(text), f"{method} {path} shows a full ID number"
            shown = [birth for birth in births if birth in text]
            assert not shown, f"{method} {path} shows birth dates beside masked numbers: {shown[:3]}"

    checked = 0
    for rule in app.url_map.iter_rules():
        path = _filled(rule.rule, rule.arguments, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            reply = signed_in(app, admin).open(path, method=method, data=POST_FORM if method == "POST" else None)
            if rule.endpoint in CACHEABLE and method == "GET":
                continue
            check(method, path, reply, rule.endpoint)
            checked += 1
    with app.app_context():
        asked = [job.id for job in Job.select().where(Job.kind == records.EXPORT)]  # the admin's: none other asked
        # The walk posted every management form, a password reset of the admin itself among them.
        CountyUser.update(must_change_password=False).where(CountyUser.id == admin).execute()
    fetched = 0
    for job_id in asked:  # the files the walk's downloads built, fetched as the admin's browser would
        path = f"/exports/jobs/{job_id}/file"
        reply = signed_in(app, admin).get(path)
        check("GET", path, reply, "exports.fetch")
        fetched += reply.mimetype == "text/csv" and reply.status_code == 200
    assert checked > 60 and fetched == len(asked) == 2  # a township's anomaly list and a county table
    with app.app_context():
        left = [path for path in downloads.root(app).rglob("*") if path.is_file()]
    assert left == []


def test_the_labourer_pages_keep_a_township_user_to_its_township(app, county):
    client = township_a(app)
    asked = client().get(f"/postings/labourers?township={TOWNSHIP_B}")
    assert asked.status_code == 403 and "不能" in asked.get_data(as_text=True)
    own = client().get("/postings/labourers").get_data(as_text=True)
    assert TOWNSHIP_A in own and county.b_person.name not in own
    assert client().get(f"/postings/labourers/{county.b_person.id}").status_code == 403
    assert any(e.action == "access.denied" for e in entries_about(f"labourer:{county.b_person.id}"))


def test_applicants_of_a_county_posting_are_shown_to_their_own_township_only(app, county):
    b_user = make_user(app, "banlan", "township", TOWNSHIP_B)
    page = signed_in(app, b_user).get(f"/postings/{county.county_posting}").get_data(as_text=True)
    assert county.b_person.name in page and mask(county.b_person.id_number) in page
    client = township_a(app)
    other = client().get(f"/postings/{county.county_posting}").get_data(as_text=True)
    assert county.b_person.name not in other and "还没有人报名" in other
    board = client().get(f"/postings/{county.b_posting}").get_data(as_text=True)
    assert STRANGER not in board


def _hidden_digits(id_number: str) -> str:
    return id_number[6:14]


def test_no_page_shows_a_birth_date_beside_a_masked_number(app, client, county):
    page = client.get(f"/households/{county.b_household.number}").get_data(as_text=True)
    members = Person.select().where(Person.household == county.b_household.id)
    for person in members:
        assert mask(person.id_number) in page and person.name in page
        assert person.birth_date not in page and _hidden_digits(person.id_number) not in page
    assert "岁" in page and "出生日期</th>" not in page.split('id="members"')[1].split("</table>")[0]


def test_the_duplicate_person_anomaly_names_both_people_and_shows_no_birth_date(app, client, county):
    assert county.i3_anomaly is not None
    page = client.get(f"/cleaning/anomalies/{county.i3_anomaly.id}").get_data(as_text=True)
    for twin in county.twins:
        assert mask(twin["id_number"]) in page and twin["name"] in page
        assert twin["birth_date"] not in page and _hidden_digits(twin["id_number"]) not in page
    assert "年龄" in page and not FULL_ID.search(page)


def test_the_full_number_is_revealed_to_county_staff_only_with_a_reason_and_audited(app, client, county):
    person, number = county.b_person, county.b_household.number
    path = f"/households/{number}/people/{person.id}/reveal"
    for role, township in (("viewer", None), ("township", TOWNSHIP_B)):
        other = signed_in(app, make_user(app, f"u-{role}", role, township))
        refused = other.post(path, data={"why": "好奇"})
        assert refused.status_code == 403 and person.id_number not in refused.get_data(as_text=True)
        assert 'class="reveal-form"' not in other.get(f"/households/{number}").get_data(as_text=True)
    staff = signed_in(app, make_user(app, "staff1", "staff"))
    assert 'class="reveal-form"' in staff.get(f"/households/{number}").get_data(as_text=True)
    unexplained = staff.post(path, data={"why": " "})
    assert unexplained.status_code == 400 and "原因" in unexplained.get_data(as_text=True)
    shown = staff.post(path, data={"why": "核对证件办理低保"})
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200 and person.id_number in text and person.birth_date in text
    assert shown.headers["Cache-Control"] == "no-store"
    reveals = [e for e in entries_about(f"household:{number}") if e.action == "person.reveal"]
    assert [(e.actor, e.why) for e in reveals] == [("user:staff1", "核对证件办理低保")]
    assert person.id_number not in f"{reveals[0].before}{reveals[0].after}"


def _short_count(client, person: Person) -> int | None:
    """The person's count on the "fewer than 3 this quarter" list, or None when they are not on it."""
    page = client.get(f"/postings/labourers?township={TOWNSHIP_B}").get_data(as_text=True)
    found = re.search(rf'/postings/labourers/{person.id}">.*?<td class="num">(\d+)</td>', page, re.S)
    return int(found[1]) if found else None


def test_three_anonymous_interests_under_a_labourers_name_count_nothing_until_confirmed(app, client, anonymous,
                                                                                       county):
    from tests.security.privacy_data import posting_body, sign_posting

    person = county.b_person
    before = _short_count(client, person)
    assert before == 0
    postings = [sign_posting(posting_body(title=f"岗位{n}")) for n in range(3)]
    for posting_id in postings:  # an attacker types the labourer's name and phone into the public form
        reply = anonymous.post(f"/j/{posting_id}/interest", data={"name": person.name, "phone": person.phone,
                                                                   "village": VILLAGE_B[1]})
        assert reply.status_code == 200 and "已登记" in reply.get_data(as_text=True)
    assert Interest.select().where(Interest.person == person.id).count() == 4  # matched, as suggestions only
    assert _short_count(client, person) == 0
    ledger = client.get(f"/postings/labourers/{person.id}").get_data(as_text=True)
    assert "待确认，不计入" in ledger and "已推荐 0 个岗位" in ledger
    lead = Interest.get(Interest.posting_id == postings[0], Interest.person == person.id)
    refused = signed_in(app, make_user(app, "dj", "township", TOWNSHIP_A)).post(
        f"/postings/{postings[0]}/interests/{lead.id}/confirm", data={})
    assert refused.status_code == 403 and Interest.get_by_id(lead.id).confirmed_at is None
    township_b = signed_in(app, make_user(app, "bl", "township", TOWNSHIP_B))
    assert township_b.post(f"/postings/{postings[0]}/interests/{lead.id}/confirm", data={}).status_code == 302
    assert _short_count(client, person) == 1
    actions = [(e.actor, e.action) for e in entries_about(f"posting:{postings[0]}")]
    assert sorted(actions) == [("user:bl", "interest.confirm"), ("user:dj", "access.denied")]


def test_an_unmatched_lead_is_confirmed_by_household_number_or_refused_with_a_message(app, client, county):
    lead = Interest.get(Interest.name == STRANGER)
    path = f"/postings/{county.b_posting}/interests/{lead.id}/confirm"
    missing = client.post(path, data={})
    assert missing.status_code == 400 and "户编号" in missing.get_data(as_text=True)
    wrong = client.post(path, data={"household": county.b_household.number})
    assert wrong.status_code == 400 and "没有名叫报名人的成员" in wrong.get_data(as_text=True)
    assert Interest.get_by_id(lead.id).confirmed_at is None


def test_a_masked_number_in_an_anomaly_is_named_on_every_page_that_shows_it(app, client, county):
    from hub.roster.disclosure import MASKED
    from hub.store.models import Anomaly

    found = next(a for a in Anomaly.select() if a.household_id and MASKED.search(a.subject))
    masked = MASKED.search(found.subject)[0]
    names = [p.name for p in Person.select().where(Person.household == found.household_id)
             if mask(p.id_number) == masked]
    named = f"{'或'.join(names)}（{masked}）"
    assert names
    pages = [client.get(f"/cleaning/anomalies/{found.id}"), client.get(f"/households/{found.household.number}"),
             client.get(f"/cleaning/anomalies?rule={found.rule}&status={found.status}")]
    for page in pages:
        assert named in page.get_data(as_text=True)

"""The station app as an attacker or a curious grid member would use it: each case an HTTP request.

A grid member's account works in its villages (issue 12, item 7): another village's households are not
listed, not found by search, and every page that shows or writes one answers 404.  Searches stay out of URLs.
"""

from __future__ import annotations

import re

from field_node.store.db import database
from field_node.store.models import Draft, Member
from tests.security.conftest import sign_in


def household_numbers(html: str) -> set[str]:
    return set(re.findall(r'href="/h/(\d+)"', html))


def numbers(rows) -> set[str]:
    return {row["household_id"] for row in rows}


def test_a_village_member_lists_only_their_village(station):
    client = sign_in(station, "li")
    listed = household_numbers(client.get("/").get_data(as_text=True))
    assert listed == numbers(station["own"])


def test_a_village_member_cannot_find_another_village_by_search(station):
    client = sign_in(station, "li")
    row = station["other"][0]
    for query in (row["name"], row["household_id"]):
        assert household_numbers(client.post("/", data={"q": query}).get_data(as_text=True)) == set(), query


def test_a_village_member_cannot_open_or_write_another_village_household(station):
    client = sign_in(station, "li")
    number = station["other"][0]["household_id"]
    with database.connection_context():
        member_id = Member.get(Member.household == number).id
    requests = [("get", f"/h/{number}", {}), ("get", f"/h/{number}/visit", {}),
                ("post", f"/h/{number}/visit", {"method": "in_person", "date": "2026-01-01"}),
                ("post", f"/h/{number}/draft", {"note": "看看"}), ("post", f"/h/{number}/draft/discard", {}),
                ("get", f"/h/{number}/recommend/{member_id}", {}),
                ("post", f"/h/{number}/recommend/{member_id}", {"posting_id": "x"})]
    for method, path, data in requests:
        reply = getattr(client, method)(path, data=data)
        assert reply.status_code == 404, (method, path, reply.status_code)
        assert station["other"][0]["name"] not in reply.get_data(as_text=True)
    with database.connection_context():
        assert not Draft.select().where(Draft.household == number).exists()


def test_a_village_member_still_works_in_their_own_village(station):
    client = sign_in(station, "li")
    number = station["own"][0]["household_id"]
    assert client.get(f"/h/{number}").status_code == 200
    assert client.get(f"/h/{number}/visit").status_code == 200
    assert client.post(f"/h/{number}/draft", data={"note": "看看"}).status_code == 204


def test_tasks_of_another_village_are_neither_listed_nor_answerable(station):
    from field_node import tasks

    own, other = station["own"][0]["household_id"], station["other"][0]["household_id"]
    with database.connection_context():
        tasks.apply_task_page({"tasks": [{"id": 1, "household": own, "question": "核实务工收入", "open": True},
                                         {"id": 2, "household": other, "question": "核实低保", "open": True}],
                               "cursor": 2, "more": False})
    client = sign_in(station, "li")
    page = client.get("/tasks").get_data(as_text=True)
    assert "核实务工收入" in page and "核实低保" not in page
    reply = client.post("/tasks/2", data={"answer": "confirmed", "note": "已核实"})
    assert reply.status_code == 404


def test_the_station_admin_sees_every_village(station):
    client = sign_in(station, "admin")
    assert household_numbers(client.get("/").get_data(as_text=True)) == numbers(station["rows"])
    assert client.get(f"/h/{station['other'][0]['household_id']}").status_code == 200


def test_a_member_made_at_the_station_is_scoped_to_the_ticked_village(station):
    from devtools.station import PASSWORD

    admin = sign_in(station, "admin")
    village = "/".join(station["other"][0][key] for key in ("township", "village"))
    form = {"username": "zhao", "display_name": "赵网格", "password": PASSWORD, "role": "member"}
    assert admin.post("/accounts", data=form).status_code == 422  # a two-village station: choose
    assert admin.post("/accounts", data={**form, "villages": village}).status_code == 302
    client = sign_in(station, "zhao")
    assert household_numbers(client.get("/").get_data(as_text=True)) == numbers(station["other"])


def test_a_search_never_puts_the_name_in_a_url(station):
    client = sign_in(station, "admin")
    row = station["rows"][3]
    page = client.post("/", data={"q": row["name"]}).get_data(as_text=True)
    assert row["household_id"] in household_numbers(page)
    assert 'method="post" class="search"' in page
    assert not re.search(r'href="[^"]*q=', page)  # filter and page links never carry the search
    unfiltered = client.get("/", query_string={"q": row["name"]}).get_data(as_text=True)
    assert household_numbers(unfiltered) == numbers(station["rows"])  # a name in a URL is ignored


def test_no_page_shows_an_id_number_its_masked_form_or_a_birth_date(station):
    """The station holds no ID number; nothing it shows beside a person rebuilds one (DOMAIN.md §9)."""
    from shared.idnumber import mask

    client = sign_in(station, "admin")
    for row in station["rows"][:6]:
        for path in (f"/h/{row['household_id']}", f"/h/{row['household_id']}/visit"):
            page = client.get(path).get_data(as_text=True)
            assert row["name"] in page or path.endswith("/visit")
            for shown in (row["id_number"], mask(row["id_number"]), row["id_number"][-4:] + "<", row["birth_date"]):
                assert shown not in page, (path, shown)


def test_the_phones_offline_copy_holds_only_the_members_village(station):
    """Issue 14: 离线使用 keeps the account's own villages on the phone, and an upload for another village's
    household answers 404, as every page does."""
    from field_node.web.offline import TOKEN_HEADER

    client = sign_in(station, "li")
    token = client.post("/offline/start", headers={"Accept": "application/json"}).get_json()["token"]
    phone = station["app"].test_client()
    bundle = phone.get("/api/phone/bundle", headers={TOKEN_HEADER: token}).get_json()
    assert {h["number"] for h in bundle["households"]} == numbers(station["own"])
    text = str(bundle)
    assert not any(row["id_number"] in text or (row.get("phone") or "~") in text for row in station["rows"])
    other = sorted(numbers(station["other"]))[0]
    sent = {"id": "ab" * 16, "household": other, "fields": {"method": ["phone"]}}
    assert phone.post("/api/phone/visits", json=sent, headers={TOKEN_HEADER: token}).status_code == 404


def test_the_phone_api_takes_no_cookie_and_the_start_needs_a_form_token(station):
    client = sign_in(station, "li")
    assert client.get("/api/phone/bundle").status_code == 401  # a signed-in cookie is not an offline session
    app = station["app"]
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/offline/start", headers={"Accept": "application/json"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

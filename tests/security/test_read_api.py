"""The read API as another county system (or whoever copied its token) would use it (issue 12): a township token
reads its own township only, whatever it asks; no reply carries a full ID number, a birth date beside a masked
number, or a full phone; a token never reaches the full-number reveal."""

from __future__ import annotations

import pytest

from hub.accounts import users
from hub.store.models import Person
from tests.conftest import make_user, signed_in
from tests.security.privacy_data import FULL_ID, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_B, County, plant

ENDPOINTS = ("households", "visits", "anomalies", "answers")


@pytest.fixture
def county(app, hub_db, tmp_path) -> County:
    return plant(tmp_path)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def every_reply(anonymous, headers: dict[str, str], query: str = "") -> list:
    return [anonymous.get(f"/api/v1/read/{endpoint}?page_size=1000{query}", headers=headers)
            for endpoint in ENDPOINTS]


def test_a_township_token_reads_nothing_of_another_township(anonymous, county):
    _, token = users.create_token("大将镇系统", "township", TOWNSHIP_A, actor="test")
    for query in (f"&township={TOWNSHIP_B}", f"&township={TOWNSHIP_B}&village={VILLAGE_B[1]}", "&township=不存在"):
        for reply in every_reply(anonymous, bearer(token), query):
            assert reply.status_code == 403 and reply.json["code"] == "FORBIDDEN"
            assert not any(marker in reply.get_data(as_text=True) for marker in county.markers)
    for query in ("", f"&village={VILLAGE_B[1]}"):
        for reply in every_reply(anonymous, bearer(token), query):
            text = reply.get_data(as_text=True)
            assert reply.status_code == 200, text
            assert not sorted(marker for marker in county.markers if marker in text)
    households = anonymous.get("/api/v1/read/households?page_size=1000", headers=bearer(token)).json
    assert households["total"] > 0 and {item["township"] for item in households["items"]} == {TOWNSHIP_A}


def test_a_township_users_session_is_scoped_like_its_token(app, county):
    client = signed_in(app, make_user(app, "dajiang", "township", TOWNSHIP_A))
    assert client.get(f"/api/v1/read/households?township={TOWNSHIP_B}").status_code == 403
    text = client.get("/api/v1/read/households?page_size=1000").get_data(as_text=True)
    assert not any(marker in text for marker in county.markers)


def test_no_reply_carries_a_full_number_or_a_birth_date_beside_a_masked_one(anonymous, county):
    _, token = users.create_token("统计局", "viewer", actor="test")
    births = {person.birth_date for person in Person.select() if person.birth_date}
    hidden = {person.id_number[6:14] for person in Person.select()}
    phones = {person.phone for person in Person.select() if person.phone}
    for reply in every_reply(anonymous, bearer(token)):
        assert reply.status_code == 200
        text = reply.get_data(as_text=True)
        assert not FULL_ID.search(text)
        assert not [value for value in births | hidden | phones if value in text]
    households = anonymous.get("/api/v1/read/households?page_size=1000", headers=bearer(token)).json["items"]
    members = [member for item in households for member in item["members"]]
    assert members and all(member["name"] and "*" in member["id_number"] for member in members)


def test_a_token_never_reaches_the_full_number(anonymous, county):
    _, token = users.create_token("县级系统", "staff", actor="test")
    path = f"/households/{county.b_household.number}/people/{county.b_person.id}/reveal"
    reply = anonymous.post(path, data={"why": "接口调用"}, headers=bearer(token))
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/login")  # a token signs no one in
    assert county.b_person.id_number not in reply.get_data(as_text=True)

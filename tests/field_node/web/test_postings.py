"""Job postings at the station: its own postings, the hub's postings pulled at sync, the public pages served from
the station's copy with no sign-in, and interest signed by the node and carried to the hub."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from devtools.station import PASSWORD
from field_node import accounts
from field_node.store.db import database
from field_node.store.models import Posting, Record
from field_node.sync import passes
from field_node.web import create_app
from hub.store import db as hub_database
from hub.store.models import Interest
from hub.store.models import Posting as HubPosting
from hub.sync import own_records
from shared.postings import new_posting_id
from tests.conftest import make_user, signed_in

FUTURE = (date.today() + timedelta(days=30)).isoformat()


def hub_posting(**changes) -> dict:
    body = {"posting_id": new_posting_id(), "kind": "enterprise", "employer": "柳州某汽车配件厂", "title": "装配工",
            "place": "柳州市柳南区", "pay": 4200, "pay_unit": "month", "headcount": 10, "contact_name": "李主管",
            "contact_phone": "13907721234", "valid_until": FUTURE}
    body.update(changes)
    return body


def station_client(enrolled):
    with database.connection_context():
        accounts.create_account("wang", "王网格", PASSWORD)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, data_dir=enrolled.data_dir)
    client = app.test_client()
    assert client.post("/login", data={"username": "wang", "password": PASSWORD}).status_code == 302
    return client


def test_the_station_shows_the_hubs_postings_publicly_and_carries_interest_to_the_hub(app, live_hub, enrolled):
    with app.app_context(), hub_database.database.connection_context():
        county = hub_posting()
        held = hub_posting(title="低薪岗位", pay=50, pay_unit="day")
        own_records.sign("posting", county)
        own_records.sign("posting", held)
    passes.sync_once(enrolled, lambda _: None)
    client = station_client(enrolled)
    public = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, data_dir=enrolled.data_dir).test_client()
    page = public.get(f"/j/{county['posting_id']}")
    assert page.status_code == 200 and "装配工" in page.get_data(as_text=True)  # no sign-in needed
    assert public.get(f"/j/{held['posting_id']}").status_code == 404
    board = public.get("/jobs").get_data(as_text=True)
    assert county["posting_id"] in board and held["posting_id"] not in board
    assert public.get(f"/j/{county['posting_id']}/qr.svg").status_code == 200
    reply = public.post(f"/j/{county['posting_id']}/interest",
                        data={"name": "韦小明", "phone": "13812345678", "village": "东岭村"})
    assert reply.status_code == 200 and "已登记" in reply.get_data(as_text=True)
    with database.connection_context():
        record = Record.select().where(Record.kind == "interest").get()
        assert json.loads(bytes(record.content))["body"]["channel"] == "node"
    passes.sync_once(enrolled, lambda _: None)
    with app.app_context(), hub_database.database.connection_context():
        interest = Interest.get()
        assert (interest.posting_id, interest.channel, interest.node.name) == (county["posting_id"], "node", "测试站")
    assert client.get("/postings").status_code == 200


def test_a_station_posting_is_signed_shown_at_once_and_reaches_the_hub(app, live_hub, enrolled):
    passes.sync_once(enrolled, lambda _: None)  # the roster: a station posts to its own township's board (issue 12)
    client = station_client(enrolled)
    reply = client.post("/postings/new", data={
        "kind": "gig", "employer": "东岭村砂糖橘合作社", "title": "砂糖橘采摘", "place": "东岭村果园", "pay": "130",
        "pay_unit": "day", "headcount": "8", "contact_name": "韦队长", "contact_phone": "13877001234",
        "valid_until": FUTURE})
    assert reply.status_code == 302
    with database.connection_context():
        posting = Posting.get()
    assert posting.published and posting.local_seq
    assert "砂糖橘采摘" in client.get("/jobs").get_data(as_text=True)
    passes.sync_once(enrolled, lambda _: None)
    with app.app_context(), hub_database.database.connection_context():
        assert HubPosting.get(HubPosting.posting_id == posting.posting_id).title == "砂糖橘采摘"
    client.post(f"/postings/{posting.posting_id}/status", data={"status": "filled"})
    assert "已招满" in client.get(f"/j/{posting.posting_id}").get_data(as_text=True)


def test_a_station_posting_without_valid_until_is_refused_with_a_message(enrolled, live_hub):
    client = station_client(enrolled)
    reply = client.post("/postings/new", data={
        "kind": "gig", "employer": "合作社", "title": "采摘", "place": "果园", "pay": "130", "pay_unit": "day",
        "headcount": "1", "contact_name": "韦", "contact_phone": "12345", "valid_until": ""})
    text = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert re.search(r'id="error-valid_until"', text) and re.search(r'id="error-contact_phone"', text)
    with database.connection_context():
        assert Posting.select().count() == 0


def test_a_job_recommended_to_a_labourer_reaches_the_county_ledger(app, live_hub, enrolled):
    with app.app_context(), hub_database.database.connection_context():
        county = hub_posting()
        own_records.sign("posting", county)
    passes.sync_once(enrolled, lambda _: None)
    client = station_client(enrolled)
    with database.connection_context():
        from field_node.store.models import Member
        from field_node.store.state import now_text
        from field_node.web.visit_form import is_labourer

        labourer = next(m for m in Member.select() if is_labourer(m, now_text()[:7]))
        number = labourer.household_id
    page = client.get(f"/h/{number}").get_data(as_text=True)
    assert f"/h/{number}/recommend/{labourer.id}" in page
    assert client.post(f"/h/{number}/recommend/{labourer.id}", data={}).status_code == 422
    numbered = client.post(f"/h/{number}/recommend/{labourer.id}", data={"posting_id": county["posting_id"],
                                                                           "note": "本人电话13812345678"})
    assert numbered.status_code == 422 and "不能写手机号码" in numbered.get_data(as_text=True)
    reply = client.post(f"/h/{number}/recommend/{labourer.id}", data={"posting_id": county["posting_id"],
                                                                        "note": "本人有驾照"})
    assert reply.status_code == 302
    passes.sync_once(enrolled, lambda _: None)
    with app.app_context(), hub_database.database.connection_context():
        from hub.postings import store as hub_store
        from hub.store.models import Person

        row = next(r for r in live_hub["rows"] if live_hub["person_key"](r["id_number"]) == labourer.person_key)
        person = Person.get(Person.id_number == row["id_number"])
        entries = hub_store.ledger(person.id)
        assert [(e["what"], e["posting_id"], e["note"]) for e in entries] == [
            ("推荐岗位", county["posting_id"], "本人有驾照")]
        assert hub_store.recommendations_per_person("2000-01-01")[person.id] == 1
    ledger_page = signed_in(app, make_user(app, "clerk", "staff")).get(
        f"/postings/labourers/{person.id}").get_data(as_text=True)
    assert "本人有驾照" in ledger_page and row["id_number"] not in ledger_page

"""The visit form: saving signed records, checks at entry, warnings, drafts, corrections, CSRF."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from devtools.station import person_key
from field_node.roster import visits
from field_node.store.db import database
from field_node.store.models import PENDING, Draft, Record, SignatureImage, Visit
from field_node.store.state import now_text
from field_node.web import create_app
from shared import keys
from shared.records import signature_valid

BROWSER = {"Accept": "text/html,application/xhtml+xml"}  # what a phone's browser sends


def signature_data_url() -> str:
    image = Image.new("RGB", (60, 30), "white")
    image.putpixel((5, 5), (0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def household_with_labourer(station) -> tuple[str, dict]:
    rows = station["rows"]
    for row in rows:
        if row["labour_ability"] in ("普通劳动力", "技能劳动力") and row["status"] == "正常" \
                and row["birth_date"] < "1990-01-01":
            return row["household_id"], row
    raise AssertionError("no labourer in the seeded roster")


def full_form(**changes) -> dict:
    form = {"method": "in_person", "date": now_text()[:10], "income_wage": "3000", "income_business": "500",
            "income_property": "0", "income_transfer": "300", "income_expenses": "100", "ack_status": "confirmed",
            "ack_by": "户主", "signature": signature_data_url(), "risks": ["illness"], "note": "户主腰伤"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def records_of(number: str) -> list[dict]:
    with database.connection_context():
        return [json.loads(bytes(r.content)) for r in Record.select().where(Record.household == number)
                .order_by(Record.seq)]


def test_a_saved_visit_is_signed_queued_and_says_who_made_it(member_client, station):
    number, _ = household_with_labourer(station)
    before = len(records_of(number))
    reply = member_client.post(f"/h/{number}/visit", data=full_form())
    assert reply.status_code == 302 and "saved=" in reply.location
    saved = records_of(number)[before]
    body = saved["body"]
    assert body["author"] == "wang" and body["visitor"] == "王网格"
    assert body["income"] == {"wage": 3000, "business": 500, "property": 0, "transfer": 300, "expenses": 100}
    assert body["risks"] == ["illness"] and body["month"] == now_text()[:7]
    with database.connection_context():
        record = Record.get(Record.seq == saved["seq"])
        assert record.status == PENDING
        public = keys.load_private_key(station["node"].key_path).public_key()
        assert signature_valid(public, bytes(record.prev), bytes(record.content), bytes(record.signature))
        assert SignatureImage.get_or_none(SignatureImage.sha256 == body["ack"]["signature_sha256"])
    page = member_client.get(reply.location).get_data(as_text=True)
    assert "已保存" in page
    coverage = member_client.get("/").get_data(as_text=True)
    assert 'id="count-visited">1<' in coverage


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"income_wage": "-5"}, "income_wage", "不能为负数"),
    ({"income_business": "12.5"}, "income_business", "整数"),
    ({"income_property": ""}, "income_property", "或勾选“不变”"),
    ({"date": "2999-01-01"}, "date", "日期在未来"),
    ({"method": None}, "method", "请选择走访方式"),
    ({"signature": None}, "signature", "签名"),
    ({"change_0_type": "birth", "change_0_name": "韦小宝", "change_0_id_number": "450224201501010000"},
     "change_0_id_number", "身份证号码不正确"),
    ({"change_0_type": "death", "change_0_name": ""}, "change_0_name", "请填写姓名"),
])
def test_impossible_entries_are_refused_next_to_the_field(member_client, station, changes, field, message):
    number, _ = household_with_labourer(station)
    before = len(records_of(number))
    reply = member_client.post(f"/h/{number}/visit", data=full_form(**changes))
    page = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert f'id="error-{field}"' in page and message in page
    assert len(records_of(number)) == before
    assert 'value="户主腰伤"' not in page and "户主腰伤" in page  # what was typed is kept (textarea)


def test_a_labourer_with_wage_but_no_months_is_refused(member_client, station):
    number, labourer = household_with_labourer(station)
    with database.connection_context():
        from field_node.store.models import Member
        member_id = Member.get(Member.person_key == person_key(labourer["id_number"])).id
    reply = member_client.post(f"/h/{number}/visit", data=full_form(**{
        f"emp_{member_id}_place": "county", f"emp_{member_id}_months": "0", f"emp_{member_id}_wage": "2000"}))
    assert reply.status_code == 422 and "务工月数为 0" in reply.get_data(as_text=True)


def test_a_sharp_income_drop_asks_for_confirmation_and_a_reason(member_client, station):
    number, _ = household_with_labourer(station)
    form = full_form(income_wage="0", income_business="0", income_property="0", income_transfer="0",
                     income_expenses="0")
    with database.connection_context():
        last = visits.latest(number)
    assert last.net() > 0, "the seeded household must have had an income last month"
    reply = member_client.post(f"/h/{number}/visit", data=form)
    assert reply.status_code == 422 and 'id="warning-income_drop"' in reply.get_data(as_text=True)
    reply = member_client.post(f"/h/{number}/visit", data={**form, "confirm_income_drop": "1",
                                                           "reason_income_drop": "外出务工的儿子回家了"})
    assert reply.status_code == 302
    assert records_of(number)[-1]["body"]["warnings"] == [{"code": "income_drop", "reason": "外出务工的儿子回家了"}]


def test_unchanged_means_an_explicit_confirmation_recorded_in_the_record(member_client, station):
    number, _ = household_with_labourer(station)
    with database.connection_context():
        last = visits.latest(number)
        last_body = visits.body_of(last.seq)
    form = full_form(income_wage="", income_business="", income_property="", income_transfer="",
                     income_expenses="", all_unchanged="1")
    assert member_client.post(f"/h/{number}/visit", data=form).status_code == 302
    body = records_of(number)[-1]["body"]
    assert body["income"] == last_body["income"]
    assert body["unchanged"] == ["wage", "business", "property", "transfer", "expenses", "employment"]
    assert [job["person"] for job in body["employment"]] == [job["person"] for job in last_body["employment"]]
    conflicting = full_form(income_wage=str(last.wage + 1), unchanged_wage="1")
    reply = member_client.post(f"/h/{number}/visit", data=conflicting)
    assert reply.status_code == 422 and "二选一" in reply.get_data(as_text=True)


def test_a_draft_is_kept_on_the_node_and_restored(member_client, station):
    number, _ = household_with_labourer(station)
    assert member_client.post(f"/h/{number}/draft", data={"income_wage": "4321", "note": "草稿"}).status_code == 204
    page = member_client.get(f"/h/{number}/visit").get_data(as_text=True)
    assert 'value="4321"' in page and "已恢复之前填写的内容" in page
    member_client.post(f"/h/{number}/visit", data=full_form())
    with database.connection_context():
        assert Draft.select().count() == 0


def test_a_correction_is_a_new_record_naming_the_one_it_replaces(member_client, station):
    number, _ = household_with_labourer(station)
    member_client.post(f"/h/{number}/visit", data=full_form())
    first = records_of(number)[-1]
    page = member_client.get(f"/h/{number}/visit?correct={first['seq']}").get_data(as_text=True)
    assert 'value="3000"' in page and f"序号 {first['seq']}" in page
    reply = member_client.post(f"/h/{number}/visit", data=full_form(income_wage="3500", correct=str(first["seq"]),
                                                                    correction_reason="工资填错"))
    assert reply.status_code == 302
    correction = records_of(number)[-1]
    with database.connection_context():
        original = Record.get(Record.seq == first["seq"])
        assert correction["body"]["corrects"] == bytes(original.hash).hex()
        assert Visit.get(Visit.seq == first["seq"]).superseded_by == correction["seq"]
        assert visits.latest(number).wage == 3500
    assert member_client.get(f"/h/{number}/visit?correct={first['seq']}").status_code == 404


def test_forms_without_the_csrf_token_are_refused(station):
    from devtools.station import PASSWORD

    app = create_app({"TESTING": True}, data_dir=station["node"].data_dir)
    client = app.test_client()
    reply = client.post("/login", data={"username": "wang", "password": PASSWORD}, headers=BROWSER)
    assert reply.status_code == 400 and "表单已过期" in reply.get_data(as_text=True)
    assert client.post("/login", data={"username": "wang"}).get_json()["code"] == "FORM_EXPIRED"  # a script: JSON


@pytest.mark.parametrize(("ability", "status", "birth_month", "asked"), [
    ("普通劳动力", "正常", "1980-05", True),
    ("弱劳动力或半劳动力", "正常", "1980-05", True),  # able to work: public-welfare posts go to weak labour first
    ("丧失劳动力", "正常", "1980-05", False),
    ("无劳动力", "正常", None, False),
    ("技能劳动力", "死亡", "1980-05", False),
    ("技能劳动力", "正常", "2010-11", False),  # 15 in October 2026
    ("技能劳动力", "正常", "2010-10", True),  # 16 in October 2026
])
def test_the_form_asks_about_work_of_everyone_able_to_work(ability, status, birth_month, asked):
    from field_node.store.models import Member
    from field_node.web.visit_form import is_labourer

    member = Member(labour_ability=ability, status=status, birth_month=birth_month)
    assert is_labourer(member, "2026-10") is asked


ID_IN_NOTE = "45022619800301123"


def _valid_id() -> str:
    from shared.idnumber import check_character

    return ID_IN_NOTE + check_character(ID_IN_NOTE)


@pytest.mark.parametrize(("note", "message"), [
    (f"户主身份证{_valid_id()}", "不能写身份证号码"),
    ("儿子电话13812345678，在广东", "不能写手机号码"),
])
def test_a_note_with_an_id_or_mobile_number_is_refused_and_nothing_is_saved(member_client, station, note, message):
    number, _ = household_with_labourer(station)
    before = len(records_of(number))
    reply = member_client.post(f"/h/{number}/visit", data=full_form(note=note))
    page = reply.get_data(as_text=True)
    assert reply.status_code == 422 and 'id="error-note"' in page and message in page and "删去号码" in page
    assert len(records_of(number)) == before


def test_a_correction_reason_with_a_number_is_refused(member_client, station):
    number, _ = household_with_labourer(station)
    member_client.post(f"/h/{number}/visit", data=full_form())
    held = records_of(number)
    reply = member_client.post(f"/h/{number}/visit", data=full_form(
        income_wage="3500", correct=str(held[-1]["seq"]), correction_reason="户主来电13812345678说工资填错"))
    assert reply.status_code == 422 and "不能写手机号码" in reply.get_data(as_text=True)
    assert records_of(number) == held


def test_an_old_note_with_a_number_shows_masked_when_the_visit_is_corrected(member_client, station):
    """A visit signed before the check, with a phone in its note: the correction form (and the phone's bundle,
    which starts from the same values) shows it masked, so the correction saves without it."""
    from field_node.outbox import records

    number, _ = household_with_labourer(station)
    member_client.post(f"/h/{number}/visit", data=full_form())
    body = {**records_of(number)[-1]["body"], "note": "儿子电话13812345678"}
    node = station["node"]
    with database.connection_context():
        saved, problems = records.save_records(node.key(), node.node_id, [("visit", body)])
    assert not problems
    page = member_client.get(f"/h/{number}/visit?correct={saved[0].seq}").get_data(as_text=True)
    assert "13812345678" not in page and "儿子电话138****5678" in page

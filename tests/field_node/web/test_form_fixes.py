"""The visit form where the walkthrough found it wrong (issue 14): "not working" only when someone chose it, and
"last visit (month)" rather than "last month"."""

from __future__ import annotations

from devtools.station import person_key
from field_node.roster import visits
from field_node.store.db import database
from field_node.store.models import Member
from tests.field_node.web.test_visits import full_form, household_with_labourer, records_of


def labourer_id(labourer: dict) -> int:
    with database.connection_context():
        return Member.get(Member.person_key == person_key(labourer["id_number"])).id


def test_a_labourer_nobody_asked_about_is_not_recorded_as_not_working(member_client, station):
    number, labourer = household_with_labourer(station)
    member_id = labourer_id(labourer)
    before = len(records_of(number))
    reply = member_client.post(f"/h/{number}/visit", data=full_form(**{f"emp_{member_id}_place": ""}))
    assert reply.status_code == 422
    assert "未务工" in reply.get_data(as_text=True) and len(records_of(number)) == before
    form = member_client.get(f"/h/{number}/visit").get_data(as_text=True)
    assert '<option value="">请选择</option>' in form and '<option value="none">未务工</option>' in form


def test_not_working_chosen_saves_no_job_for_that_labourer(member_client, station):
    number, labourer = household_with_labourer(station)
    member_id = labourer_id(labourer)
    reply = member_client.post(f"/h/{number}/visit", data=full_form(**{f"emp_{member_id}_place": "none"}))
    assert reply.status_code == 302
    body = records_of(number)[-1]["body"]
    assert all(job["person"] != person_key(labourer["id_number"]) for job in body["employment"])


def test_the_form_names_the_last_visit_and_its_month(member_client, station):
    number, _ = household_with_labourer(station)
    with database.connection_context():
        last = visits.latest(number)
    page = member_client.get(f"/h/{number}/visit").get_data(as_text=True)
    assert f"上次走访（{last.month}）" in page and "上月" not in page


def test_times_are_shown_in_local_time_not_utc(member_client, station):
    from field_node.store.state import set_state

    with database.connection_context():
        set_state("last_contact", "2026-12-01T07:07:06Z")
    page = member_client.get("/sync").get_data(as_text=True)
    assert "2026-12-01 15:07" in page and "07:07:06Z" not in page


def test_lists_and_the_household_page_name_the_head(member_client, station):
    number, _ = household_with_labourer(station)
    head = next(r["name"] for r in station["rows"] if r["household_id"] == number and r["relation"] == "户主")
    assert member_client.post(f"/h/{number}/visit", data=full_form()).status_code == 302
    waiting = member_client.get("/sync").get_data(as_text=True)
    assert f"{head} · {number}" in waiting
    page = member_client.get(f"/h/{number}").get_data(as_text=True)
    assert f"<h1>{head} · " in page and 'class="compact members"' in page


def test_a_household_wage_below_its_labourers_wages_is_warned_at_entry(member_client, station):
    number, labourer = household_with_labourer(station)
    member_id = labourer_id(labourer)
    job = {f"emp_{member_id}_place": "county", f"emp_{member_id}_months": "6", f"emp_{member_id}_wage": "2200"}
    reply = member_client.post(f"/h/{number}/visit", data=full_form(income_wage="1000", **job))
    page = reply.get_data(as_text=True)
    assert reply.status_code == 422 and 'id="warning-wage_below_jobs"' in page and "2200" in page
    confirmed = full_form(income_wage="1000", confirm_wage_below_jobs="1", reason_wage_below_jobs="另一人打零工",
                          **job)
    assert member_client.post(f"/h/{number}/visit", data=confirmed).status_code == 302
    assert {"code": "wage_below_jobs", "reason": "另一人打零工"} in records_of(number)[-1]["body"]["warnings"]


def test_a_second_visit_in_the_same_month_is_warned_at_entry_and_offers_the_correction(member_client, station):
    number, _ = household_with_labourer(station)
    assert member_client.post(f"/h/{number}/visit", data=full_form()).status_code == 302
    first = records_of(number)[-1]["seq"]
    form = member_client.get(f"/h/{number}/visit").get_data(as_text=True)
    assert 'id="second-visit"' in form and f"correct={first}" in form
    again = member_client.post(f"/h/{number}/visit", data=full_form())
    assert again.status_code == 422 and 'id="warning-second_visit"' in again.get_data(as_text=True)
    confirmed = full_form(confirm_second_visit="1", reason_second_visit="户主当天外出，晚上再访")
    assert member_client.post(f"/h/{number}/visit", data=confirmed).status_code == 302
    correction = member_client.post(f"/h/{number}/visit?correct={first}",
                                    data=full_form(income_wage="3100", correction_reason="工资填错"))
    assert correction.status_code == 302  # a correction is not a second visit


def test_the_province_is_chosen_from_a_list(member_client, station):
    number, labourer = household_with_labourer(station)
    member_id = labourer_id(labourer)
    form = member_client.get(f"/h/{number}/visit").get_data(as_text=True)
    assert f'<select name="emp_{member_id}_province">' in form and "<option>广东</option>" in form
    job = {f"emp_{member_id}_place": "outside", f"emp_{member_id}_months": "6", f"emp_{member_id}_wage": "2000"}
    typed = member_client.post(f"/h/{number}/visit",
                               data=full_form(**job, **{f"emp_{member_id}_province": "guangdong"}))
    assert typed.status_code == 422 and "请从列表中选择省份" in typed.get_data(as_text=True)
    chosen = member_client.post(f"/h/{number}/visit", data=full_form(**job, **{f"emp_{member_id}_province": "广东"}))
    assert chosen.status_code == 302
    assert records_of(number)[-1]["body"]["employment"][0]["province"] == "广东"


def test_a_correction_says_it_needs_the_signature_again_and_asks_why(member_client, station):
    number, _ = household_with_labourer(station)
    assert member_client.post(f"/h/{number}/visit", data=full_form()).status_code == 302
    first = records_of(number)[-1]["seq"]
    form = member_client.get(f"/h/{number}/visit?correct={first}").get_data(as_text=True)
    assert "重新签名" in form and 'name="correction_reason"' in form
    refused = member_client.post(f"/h/{number}/visit?correct={first}", data=full_form(income_wage="3100"))
    assert refused.status_code == 422 and "请写明为什么更正" in refused.get_data(as_text=True)
    saved = member_client.post(f"/h/{number}/visit?correct={first}",
                               data=full_form(income_wage="3100", correction_reason="工资填错"))
    assert saved.status_code == 302
    assert {"code": "correction", "reason": "工资填错"} in records_of(number)[-1]["body"]["warnings"]


def test_a_name_typed_with_a_homophone_is_found_by_its_pinyin(member_client, station):
    from pypinyin.pinyin_dict import pinyin_dict

    from field_node.roster.search import _toneless

    row = next(r for r in station["rows"] if len(r["name"]) >= 2)
    last = row["name"][-1]
    reading = _toneless(pinyin_dict[ord(last)].split(",")[0])
    homophone = next(chr(code) for code in range(0x4E00, 0xA000) if code in pinyin_dict and chr(code) != last
                     and _toneless(pinyin_dict[code].split(",")[0]) == reading and chr(code) not in row["name"])
    typed = row["name"][:-1] + homophone
    page = member_client.post("/", data={"q": typed}).get_data(as_text=True)
    assert f'href="/h/{row["household_id"]}"' in page
    nothing = member_client.post("/", data={"q": "鑫鑫鑫鑫"}).get_data(as_text=True)
    assert f'href="/h/{row["household_id"]}"' not in nothing


def test_a_guangxi_county_says_qu_nei_and_qu_wai(station, monkeypatch):
    from devtools.station import PASSWORD
    from field_node.web import create_app

    number, _ = household_with_labourer(station)
    monkeypatch.setenv("FIELDSYNC_NODE_REGION_WORD", "区")
    client = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, data_dir=station["node"].data_dir).test_client()
    client.post("/login", data={"username": "wang", "password": PASSWORD})
    form = client.get(f"/h/{number}/visit").get_data(as_text=True)
    assert ">区内县外</option>" in form and ">区外</option>" in form and ">省外</option>" not in form

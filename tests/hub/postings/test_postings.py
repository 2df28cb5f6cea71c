"""Job postings at the hub: county-made postings, the minimum-wage hold, the public page and its QR code, interest
with CSRF and a rate limit, duplicates shown once, distribution to stations, the county's views."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from devtools import synthetic
from hub.postings import importer, store
from hub.store.models import Interest, Posting
from hub.sync import own_records
from shared.postings import new_posting_id
from shared.protocol import POSTINGS_PATH
from tests.support import VILLAGES, SimNode, import_county

FUTURE = (date.today() + timedelta(days=60)).isoformat()
PAST = (date.today() - timedelta(days=3)).isoformat()


def posting_body(**changes) -> dict:
    body = {"posting_id": new_posting_id(), "kind": "enterprise", "employer": "融安县香杉木业有限公司",
            "title": "木工", "place": "长安镇工业园", "pay": 3200, "pay_unit": "month", "headcount": 5,
            "contact_name": "覃经理", "contact_phone": "0772-8123456", "valid_until": FUTURE}
    body.update(changes)
    return body


def csrf_token(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def test_a_county_posting_is_signed_by_the_hub_and_public(app, client, county):
    body = posting_body()
    own_records.sign("posting", body)
    page = client.get(f"/j/{body['posting_id']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "木工" in text and "招聘中" in text and "3200 元/月" in text
    assert "我想报名" in text
    posting = Posting.get(Posting.posting_id == body["posting_id"])
    assert posting.node.name == own_records.HUB_NODE_NAME and posting.record.status == "accepted"
    qr = client.get(f"/j/{body['posting_id']}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert client.get(f"/j/{body['posting_id']}/poster?size=A5").status_code == 200
    assert body["posting_id"] in client.get("/jobs").get_data(as_text=True)


def test_a_posting_without_valid_until_or_with_a_bad_phone_is_refused(app, client, county):
    from shared.errors import FieldsyncError

    for changes, field in (({"valid_until": None}, "valid_until"), ({"contact_phone": "12345"}, "contact_phone")):
        body = {k: v for k, v in posting_body(**changes).items() if v is not None}
        with pytest.raises(FieldsyncError) as caught:
            own_records.sign("posting", body)
        assert field in caught.value.details["fields"]
    assert Posting.select().count() == 0


def test_pay_below_the_minimum_wage_is_held_for_a_county_decision(app, client, county):
    body = posting_body(pay=60, pay_unit="day")
    own_records.sign("posting", body)
    assert client.get(f"/j/{body['posting_id']}").status_code == 404
    detail = client.get(f"/postings/{body['posting_id']}").get_data(as_text=True)
    assert "待审核" in detail
    token = csrf_token(client, f"/postings/{body['posting_id']}")
    reply = client.post(f"/postings/{body['posting_id']}/decision", data={"decision": "approved", "csrf_token": token})
    assert reply.status_code == 302
    assert client.get(f"/j/{body['posting_id']}").status_code == 200


def test_an_expired_posting_says_so_and_takes_no_interest(app, client, county):
    body = posting_body(valid_until=PAST)
    own_records.sign("posting", body)
    text = client.get(f"/j/{body['posting_id']}").get_data(as_text=True)
    assert "已过期" in text and "我想报名" not in text
    assert body["posting_id"] not in client.get("/jobs").get_data(as_text=True)


def test_interest_is_signed_matched_to_the_roster_and_listed_masked(app, client, county):
    body = posting_body()
    own_records.sign("posting", body)
    person = next(row for row in county if row["phone"])
    token = csrf_token(client, f"/j/{body['posting_id']}")
    reply = client.post(f"/j/{body['posting_id']}/interest", data={
        "csrf_token": token, "name": person["name"], "phone": person["phone"], "village": person["village"],
        "id_number": person["id_number"]})
    assert reply.status_code == 200 and "已登记" in reply.get_data(as_text=True)
    interest = Interest.get()
    assert interest.person.id_number == person["id_number"] and interest.channel == "hub"
    detail = client.get(f"/postings/{body['posting_id']}").get_data(as_text=True)
    assert person["phone"] not in detail and person["id_number"] not in detail and person["name"] in detail


def test_bad_interest_gets_field_messages_and_echoes_no_id_number(app, client, county):
    body = posting_body()
    own_records.sign("posting", body)
    token = csrf_token(client, f"/j/{body['posting_id']}")
    reply = client.post(f"/j/{body['posting_id']}/interest", data={
        "csrf_token": token, "name": "", "phone": "1234", "village": "东岭村", "id_number": "450224199001011234"})
    text = reply.get_data(as_text=True)
    assert reply.status_code == 422 and 'id="error-phone"' in text and 'id="error-name"' in text
    assert "450224199001011234" not in text
    assert Interest.select().count() == 0


def test_the_interest_form_needs_its_csrf_token_and_is_rate_limited(app, anonymous, county):
    app.config["WTF_CSRF_ENABLED"] = True  # read at each request; the fixture turns it off for other tests
    client = anonymous
    body = posting_body()
    own_records.sign("posting", body)
    form = {"name": "韦某", "phone": "13800001111", "village": "东岭村"}
    assert client.post(f"/j/{body['posting_id']}/interest", data=form).status_code == 400
    statuses = []
    for _ in range(7):
        token = csrf_token(client, f"/j/{body['posting_id']}")
        reply = client.post(f"/j/{body['posting_id']}/interest", data={**form, "csrf_token": token})
        statuses.append(reply.status_code)
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert Interest.select().count() == 5


def test_the_same_job_from_a_station_and_the_county_is_one_posting_with_both_sources(app, client, county):
    county_body = posting_body(kind="gig", employer="融安县金桔种植专业合作社", title="金桔采摘工",
                               place="大将镇东岭村", township="大将镇", pay=120, pay_unit="day")
    own_records.sign("posting", county_body)
    node = SimNode(app, client, "东岭站", VILLAGES[:2])
    station_body = {**county_body, "posting_id": new_posting_id(), "employer": "金桔合作社", "title": "采摘金桔"}
    assert node.push([node.seal(station_body, kind="posting")]).status_code == 200
    rows = {p.posting_id: p for p in Posting.select()}
    assert rows[station_body["posting_id"]].group_id == rows[county_body["posting_id"]].id
    text = client.get(f"/j/{county_body['posting_id']}").get_data(as_text=True)
    assert "东岭站" in text and own_records.HUB_NODE_NAME in text
    board = client.get("/jobs").get_data(as_text=True)
    assert county_body["posting_id"] in board and station_body["posting_id"] not in board


def test_stations_receive_county_and_township_postings_only(app, client, county):
    here = VILLAGES[0][0]
    elsewhere = next(t for t in synthetic.RONGAN_TOWNSHIPS if t not in {v[0] for v in VILLAGES})
    bodies = [posting_body(), posting_body(township=here, title="本乡零工", kind="gig"),
              posting_body(township=elsewhere, title="外乡零工", kind="gig"), posting_body(pay=50, pay_unit="day")]
    for body in bodies:
        own_records.sign("posting", body)
    node = SimNode(app, client, "东岭站", VILLAGES[:1])
    page = node.get(f"{POSTINGS_PATH}?cursor=0").json
    by_id = {p["posting_id"]: p for p in page["postings"]}
    assert set(by_id) == {bodies[0]["posting_id"], bodies[1]["posting_id"], bodies[3]["posting_id"]}
    assert by_id[bodies[3]["posting_id"]]["published"] is False  # held: the station keeps it off its board
    assert node.get(f"{POSTINGS_PATH}?cursor={page['cursor']}").json["postings"] == []
    store.decide(bodies[3]["posting_id"], store.APPROVED)
    later = node.get(f"{POSTINGS_PATH}?cursor={page['cursor']}").json["postings"]
    assert [(p["posting_id"], p["published"]) for p in later] == [(bodies[3]["posting_id"], True)]


def test_a_new_version_replaces_the_posting_and_another_signer_cannot(app, client, county):
    body = posting_body()
    own_records.sign("posting", body)
    own_records.sign("posting", {**body, "status": "filled"})
    assert "已招满" in client.get(f"/j/{body['posting_id']}").get_data(as_text=True)
    node = SimNode(app, client, "东岭站", VILLAGES[:1])
    node.push([node.seal({**body, "status": "open", "title": "冒充"}, kind="posting")])
    text = client.get(f"/j/{body['posting_id']}").get_data(as_text=True)
    assert "已招满" in text and "冒充" not in text


def test_an_enterprise_list_imports_once_with_row_errors(app, client, county, tmp_path):
    rows = [["用人单位", "岗位名称", "工作地点", "薪酬", "薪酬单位", "联系人", "联系电话", "有效期至", "岗位类型"],
            ["柳州某汽车配件厂", "装配工", "柳州市柳南区", "4200", "月", "李主管", "13907721234", FUTURE, "企业岗位"],
            ["融安县竹编车间", "竹编工", "泗顶镇", "90", "日", "莫师傅", "13807721111", FUTURE, "就业帮扶车间"],
            ["某公司", "普工", "长安镇", "三千", "月", "王", "13807721112", FUTURE, ""],
            ["某公司", "普工", "长安镇", "3000", "月", "王", "13807721112", "", ""]]
    path = tmp_path / "岗位表.csv"
    path.write_text("\n".join(",".join(row) for row in rows), encoding="utf-8-sig")
    report = importer.import_postings(path, own_records.sign)
    assert (report.rows, report.created, len(report.errors)) == (4, 2, 2)
    assert [error.row for error in report.errors] == [4, 5]
    assert "薪酬" in report.errors[0].message and "有效期至" in report.errors[1].message
    again = importer.import_postings(path, own_records.sign)
    assert (again.created, again.unchanged) == (0, 2)



def test_a_list_saved_again_with_its_dates_written_otherwise_imports_nothing_new(app, client, county, tmp_path):
    """Excel, WPS and LibreOffice write one date as 2026-12-31, 2026/12/31, 2026年12月31日 or a date cell."""
    header = ["用人单位", "岗位名称", "工作地点", "薪酬", "薪酬单位", "联系人", "联系电话", "有效期至"]
    row = ["柳州某汽车配件厂", "装配工", "柳州市柳南区", "4200", "月", "李主管", "13907721234"]
    first, second = tmp_path / "岗位表.csv", tmp_path / "岗位表-另存.csv"
    first.write_text("\n".join([",".join(header), ",".join([*row, "2026-12-31"])]), encoding="utf-8-sig")
    second.write_text("\n".join([",".join(header), ",".join([*row, "2026年12月31日"])]), encoding="utf-8-sig")
    assert importer.import_postings(first, own_records.sign).created == 1
    again = importer.import_postings(second, own_records.sign)
    assert (again.created, again.unchanged) == (0, 1)

def test_county_views_list_postings_and_labourers_short_of_three(app, client, county):
    own_records.sign("posting", posting_body())
    assert "木工" in client.get("/postings/").get_data(as_text=True)
    page = client.get("/postings/labourers").get_data(as_text=True)
    assert "推荐岗位不足 3 个" in page
    labourer = next(r for r in county if r["labour_ability"] in ("普通劳动力", "技能劳动力"))
    assert labourer["id_number"] not in page


def test_the_import_command_shows_progress_and_reports_rows(app, runner, tmp_path):
    from hub.cli import main
    from hub.store import db

    with app.app_context(), db.database.connection_context():
        import_county(tmp_path)

    path = tmp_path / "list.csv"
    path.write_text("用人单位,岗位名称,工作地点,薪酬,薪酬单位,联系人,联系电话,有效期至\n"
                    f"融安县竹编车间,竹编工,泗顶镇,3000,月,莫师傅,13807721111,{FUTURE}\n"
                    f"某公司,普工,长安镇,abc,月,王,13807721112,{FUTURE}\n", encoding="utf-8-sig")
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"]]
    done = runner.invoke(main, [*args, "import-postings", str(path)])
    assert done.exit_code == 2 and "导入岗位" in done.output and "新增 1 个岗位" in done.output
    assert "第 3 行" in done.output

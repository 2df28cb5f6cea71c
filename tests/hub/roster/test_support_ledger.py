"""The "251" employment-support ledger (issue 16; DOMAIN.md §4): actions recorded on the hub's labourer page by a
township or county user (audited, bad input refused in Chinese, nothing stored), with the postings recommended,
fill the monthly table's 是否开展"251"就业帮扶 and 开展"251"帮扶是否有台账 against the county's settings."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from hub.cleaning import exports
from hub.cleaning.office import HEADER_ROW
from hub.county.parameters import set_parameter
from hub.roster import support_ledger
from hub.store.db import insert_rows
from hub.store.models import AuditLog, Person, Recommendation, Record, SupportAction
from tests.conftest import make_user, signed_in
from tests.hub.cleaning.county_factory import PERIOD, baseline, build
from tests.hub.cleaning.test_labour_table import AT_RISK, DISABLED, MONITORED, RETURNED, planted_rows

TODAY = date(2026, 11, 11)


@pytest.fixture
def county(hub_db, tmp_path):
    county = build(tmp_path, planted_rows())
    baseline(county, skip={MONITORED, RETURNED, DISABLED, AT_RISK})  # their eight adults are untransferred
    return county


def person_of(county, number: str, index: int = 0) -> Person:
    return Person.get(Person.id_number == county.adults(number)[index]["id_number"])


def recommend(county, person: Person, postings: list[str], on: str = "2026-09-15") -> None:
    for posting in postings:
        county.seq += 1
        record_id = insert_rows(Record, [{
            "node": county.node.id, "seq": county.seq, "kind": "recommendation", "status": "accepted",
            "reason": None, "hash": county.seq.to_bytes(32, "big"), "prev": bytes(32), "content": b"{}",
            "signature": bytes(64), "household": person.household_id, "received_at": datetime(2026, 9, 15)}],
            returning=("id",))[0][0]
        Recommendation.create(record=record_id, node=county.node.id, posting_id=posting, person=person.id,
                              id_number=person.id_number, recommended_on=on, received_at=datetime(2026, 9, 15))


def record(person: Person, action: str, when: str = "2026-09-20") -> None:
    support_ledger.record_action("user:tang", person, action, when, "", TODAY)


def table(tmp_path) -> dict[str, tuple]:
    exports.untransferred_labour(tmp_path / "out", PERIOD)
    sheet = load_workbook(tmp_path / "out" / f"未转移就业脱贫劳动力就业情况统计表-{PERIOD}.xlsx").active
    header = [cell.value for cell in sheet[HEADER_ROW]]
    wanted = [header.index(name) for name in ("是否开展\"251\"就业帮扶", "开展\"251\"帮扶是否有台账", "备注")]
    return {row[header.index("姓名")]: tuple(row[i] or "" for i in wanted)
            for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if isinstance(row[0], int)}


def test_the_two_251_columns_come_from_the_ledger_and_the_county_settings(county, tmp_path):
    complete, partial = person_of(county, MONITORED), person_of(county, MONITORED, 1)
    for action in ("guidance", "guidance", "training", "job"):
        record(complete, action)
    recommend(county, complete, ["P-1", "P-2", "P-3", "P-3"])  # one posting twice counts once: 1 + 3 posts
    record(complete, "guidance", "2025-12-30")  # last year's does not count for 2026
    recommend(county, partial, ["P-1"])
    roster_says = person_of(county, DISABLED)
    Person.update(support_251=True).where(Person.id == roster_says.id).execute()
    rows = table(tmp_path)
    assert rows[complete.name] == ("否", "是", "251台账：职业指导 2/2 次，岗位推荐 4/5 个，技能培训 1/1 次")  # 4 < 5
    record(complete, "job")
    rows = table(tmp_path)
    assert rows[complete.name] == ("是", "是", "251台账：职业指导 2/2 次，岗位推荐 5/5 个，技能培训 1/1 次")
    assert rows[partial.name] == ("否", "是", "251台账：职业指导 0/2 次，岗位推荐 1/5 个，技能培训 0/1 次")
    assert rows[roster_says.name] == ("是", "否", "")  # the national system says so; the hub holds no ledger
    assert rows[person_of(county, AT_RISK).name] == ("否", "否", "")
    set_parameter("support_251_jobs", "1", actor="user:zhang", why="县就业帮扶方案调整")
    assert table(tmp_path)[partial.name][:2] == ("否", "是")  # still no guidance or training
    set_parameter("support_251_guidance", "0", actor="user:zhang", why="县就业帮扶方案调整")
    set_parameter("support_251_training", "0", actor="user:zhang", why="县就业帮扶方案调整")
    assert table(tmp_path)[partial.name] == ("是", "是", "251台账：职业指导 0/0 次，岗位推荐 1/1 个，技能培训 0/0 次")


@pytest.fixture
def pages(app, county):
    return {"township": signed_in(app, make_user(app, "tang", "township", "板榄镇")),
            "other": signed_in(app, make_user(app, "wei", "township", "大将镇")),
            "viewer": signed_in(app, make_user(app, "kan", "viewer"))}


def test_a_township_user_records_an_action_on_the_labourer_page_audited(app, county, pages):
    person = person_of(county, RETURNED)
    page = pages["township"].get(f"/postings/labourers/{person.id}").get_data(as_text=True)
    assert "“251”就业帮扶台账" in page and "还差 2 次" in page and 'id="support-form"' in page
    reply = pages["township"].post(f"/postings/labourers/{person.id}/support",
                                   data={"action": "training", "action_date": "2026-10-08", "note": "电工培训班"})
    assert reply.status_code == 302
    assert [(a.action, a.action_date, a.note, a.recorded_by) for a in SupportAction.select()] == [
        ("training", "2026-10-08", "电工培训班", "user:tang")]
    entry = AuditLog.get(AuditLog.action == "support.record")
    assert (entry.actor, entry.subject, entry.why) == ("user:tang", f"household:{person.household.number}",
                                                       "电工培训班")
    assert person.id_number not in entry.after_json
    page = pages["township"].get(f"/postings/labourers/{person.id}").get_data(as_text=True)
    assert "电工培训班" in page and "技能培训" in page
    trail = pages["township"].get(f"/households/{person.household.number}").get_data(as_text=True)
    assert f"登记了“251”就业帮扶：{person.name} 技能培训（2026-10-08）" in trail


@pytest.mark.parametrize(("form", "said"), [
    ({"action": "lunch", "action_date": "2026-10-08"}, "帮扶事项应为"),
    ({"action": "guidance", "action_date": "十月"}, "帮扶日期"),
    ({"action": "guidance", "action_date": "2099-12-01"}, "到今天"),
    ({"action": "guidance", "action_date": "2009-12-01"}, "到今天"),
    ({"action": "guidance", "action_date": ""}, "帮扶日期"),
    ({"action": "guidance", "action_date": "2026-10-08", "note": "长" * 201}, "备注最多"),
    ({"action": "guidance", "action_date": "2026-10-08", "note": "本人电话13812345678"}, "不能写手机号码"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_is_stored(app, county, pages, form, said):
    person = person_of(county, RETURNED)
    reply = pages["township"].post(f"/postings/labourers/{person.id}/support", data=form,
                                   headers={"Accept": "application/json"})
    assert reply.status_code == 400 and said in reply.get_data(as_text=True)
    assert "Traceback" not in reply.get_data(as_text=True)
    assert SupportAction.select().count() == 0 and AuditLog.select().where(
        AuditLog.action == "support.record").count() == 0


def test_a_viewer_and_another_township_cannot_record(app, county, pages):
    person = person_of(county, RETURNED)
    form = {"action": "guidance", "action_date": "2026-10-08"}
    for who, said in (("viewer", "记录“251”就业帮扶台账"), ("other", "查看其他乡镇的人员")):
        reply = pages[who].post(f"/postings/labourers/{person.id}/support", data=form)
        assert reply.status_code == 403 and said in reply.get_data(as_text=True)
    assert 'id="support-form"' not in pages["viewer"].get(f"/postings/labourers/{person.id}").get_data(as_text=True)
    assert SupportAction.select().count() == 0

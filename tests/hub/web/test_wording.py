"""No page shows a raw key, dict or English code (issue 15, people by name): every page of the hub is walked as
each role over a county with anomalies of every rule, visits, corrections, a station's answer, postings and audit
entries, and the visible text is searched for what was never translated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from hub import audit
from hub.accounts.users import ROLES, Principal
from hub.cleaning import anomalies, runner
from hub.cleaning.rules import CATALOGUE
from hub.jobs import downloads, records
from hub.roster.department_lists import import_list
from hub.store.models import Anomaly, CountyUser, Household, Interest, Job, Node, Person, Visit, VisitEmployment
from hub.sync import nodes
from hub.verification import tasks
from shared.errors import ErrorCode
from shared.postings import PAY_UNITS, POSTING_KINDS, STATUS_LABELS
from shared.schemas import ACK_STATUSES, VISIT_METHODS, WORK_PLACES
from shared.verification import ANSWERS
from tests.conftest import make_user, signed_in
from tests.hub.cleaning.county_factory import PERIOD, TODAY
from tests.hub.cleaning.test_rules import H, planted_county
from tests.hub.roster.test_department_lists import headers, write
from tests.security.privacy_data import posting_body, sign_posting

PEOPLE = {"lan": ("admin", "蓝海", None), "zhou": ("staff", "周丽", None), "tang": ("township", "唐建国", "板榄镇"),
          "mo": ("viewer", "莫然", None)}
ENUMS = {*VISIT_METHODS, *WORK_PLACES, *ACK_STATUSES, *ANSWERS, *ROLES, *POSTING_KINDS, *PAY_UNITS, *STATUS_LABELS,
         *anomalies.STATUS_ZH, "high", "medium", "low", "True", "False", "None", "null", "true", "false"}
UNTRANSLATED = [
    ("snake_case word", re.compile(r"\b[A-Za-z]+(?:_[A-Za-z0-9]+)+\b")),
    ("dotted code", re.compile(r"\b[a-z]+\.[a-z_]+\b")),
    ("actor code", re.compile(r"\b(?:user|node|token):")),
    ("raw dict or list", re.compile(r"[{\[]\s*['\"]|['\"]\s*:\s*['\"\d\[{]")),
    ("policy citation", re.compile(r"§|DOMAIN\.md|GB 11643(?!-1999）)")),
    ("months as a date", re.compile(r"(?<![年\d\-/])\b\d{1,2}月(?!\d)")),
    ("English enum value", re.compile(r"(?<![A-Za-z])(?:" + "|".join(sorted(map(re.escape, ENUMS), key=len,
                                                                          reverse=True)) + r")(?![A-Za-z])")),
]
SKIPPED = {"static", "jobs.static", "jobs.qr", "jobs.favicon", "metrics.metrics", "api-docs.openapi_json",
           # JSON for progress bars, and file downloads: not pages a person reads
           "cleaning.job_state", "imports.state", "exports.anomaly_list", "exports.county_table", "dashboard.data",
           "exports.job_state", "exports.fetch"}


class VisibleText(HTMLParser):
    """What a person sees of a page: text outside scripts and styles, what inputs show, and tooltips."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style"):
            self._hidden += 1
        if tag == "input" and values.get("type", "text") in ("text", "search", "number", "tel", "submit", "button"):
            self.parts += [values.get("value") or "", values.get("placeholder") or ""]
        if values.get("title"):
            self.parts.append(values["title"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(part.strip() for part in parser.parts if part.strip())


def untranslated(text: str) -> list[tuple[str, str]]:
    return [(what, found[0]) for what, pattern in UNTRANSLATED for found in pattern.finditer(text)]


def test_the_detector_finds_what_the_issue_names():
    for raw in ("劳动力 per_capita 3000", "in_person", "户主认可 confirmed", "county/outside", "anomaly.reopen",
                "user:tang", "本年务工 10月", "DOMAIN.md §6", "{'name': '韦丽', 'household': 7}", "NOT_FOUND"):
        assert untranslated(raw), raw
    for fine in ("2026年10月", "本年务工 10 个月", "3,000 元/人/年", "唐建国（乡镇工作人员）", "2026-10-11 08:00",
                 "《广西促进脱贫人口持续增收三年行动方案（2022—2024年）》第33项", "韦丽（450224********0021）"):
        assert not untranslated(fine), fine


def plant_lists(tmp_path) -> None:
    """X1–X3: a living member on the death register, a high-income household on the 低保 roster, a student
    recorded as working away."""
    def member(number: str, relation: str) -> Person:
        return Person.select().join(Household).where(Household.number == number, Person.relation == relation).get()

    dead, assisted, student = member(H["h0"], "配偶"), member(H["h3"], "户主"), member(H["h8"], "之子")
    import_list("death", write(tmp_path / "death.csv", headers("death", True),
                               [[dead.name, dead.id_number, "2026-04-30"]]), "2026-05")
    import_list("assistance", write(tmp_path / "a.csv", headers("assistance", True),
                                    [[assisted.name, assisted.id_number, "低保"]]), PERIOD)
    import_list("student", write(tmp_path / "s.csv", headers("student", True),
                                 [[student.name, student.id_number, "融安县实验小学", "小学"]]), "2026-09")
    visit = Visit.select().join(Household).where(Household.number == H["h8"], Visit.month == PERIOD).get()
    VisitEmployment.create(visit=visit.id, id_number=student.id_number, place="outside", province="广东", months=2,
                           wage=0)


def users(app) -> dict[str, int]:
    made = {}
    for username, (role, display, township) in PEOPLE.items():
        made[username] = make_user(app, username, role, township)
        CountyUser.update(display_name=display).where(CountyUser.id == made[username]).execute()
    return made


def work_the_month(app, made: dict[str, int]) -> dict[str, Any]:
    """What a month leaves behind: answers, a reopen with its reason, a task answered by a station, corrections,
    a bulk answer, a spot check, a posting with an applicant, an alarm and a failed push."""
    staff = Principal("user", "zhou", "staff", None)
    township = signed_in(app, made["tang"])
    by_rule = {rule: list(Anomaly.select().where(Anomaly.rule == rule).order_by(Anomaly.id)) for rule in CATALOGUE}
    anomalies.answer(staff, by_rule["P1"][0], "correct", "入户核实，收入属实")
    anomalies.reopen(staff, Anomaly.get_by_id(by_rule["P1"][0].id), "经营性收入与合作社台账不符，请重新核实")
    task = tasks.send_to_field(staff, Anomaly.get_by_id(by_rule["P1"][0].id), "")
    anomalies.answer_from_field("node:清洗测试站/li", by_rule["P1"][0].id, "corrected", "补录了合作社分红",
                                datetime.utcnow())
    household = Household.get_by_id(by_rule["P10"][0].household_id)
    person = Person.get(Person.household == household.id, Person.relation == "户主")
    assert township.post(f"/households/{household.number}/people/{person.id}",
                         data={"labour_ability": "技能劳动力", "why": "参加电工培训取得证书"}).status_code == 302
    visit = Visit.select().where(Visit.household == household.id, Visit.superseded_by.is_null()).first()
    figures = {"wage": visit.wage, "business": visit.business, "property": 0, "transfer": visit.transfer,
               "expenses": visit.expenses}  # the factory's records are unsigned: the entry correct_visit writes
    audit.record("user:tang", "visit.correct", f"household:{household.number}", {"visit": visit.id, **figures},
                 {"visit": visit.id, **figures, "wage": visit.wage + 300}, "工资条核对")
    assert township.post(f"/cleaning/anomalies/{by_rule['P10'][0].id}/answer",
                         data={"answer": "corrected", "note": "已更正劳动技能和工资"}).status_code == 302
    i9 = by_rule["I9"]
    assert township.post("/cleaning/anomalies/answer", data={"rule": "I9", "answer": "unverifiable",
                                                             "note": "电话停机，下月入户再核", "count": len(i9)})
    signed_in(app, made["mo"]).post(f"/cleaning/anomalies/{by_rule['P2'][0].id}/answer",
                                    data={"answer": "correct", "note": "x"})  # refused: an access.denied entry
    tasks.draw_spot_check(staff, PERIOD, 2, "walk")
    posting = sign_posting(posting_body(township="板榄镇"))
    from hub.sync import own_records
    own_records.sign("interest", {"posting_id": posting, "name": person.name, "phone": "13977001234",
                                  "village": "东岭1村", "date": TODAY.isoformat(), "channel": "hub"})
    node = Node.get(Node.name == "清洗测试站")
    nodes.raise_alarm(node, ErrorCode.CHAIN_BROKEN, "记录链断裂：前一条记录的哈希不符。", 7)
    Node.update(push_failures=2, last_push_error="RECORD_UNPROCESSABLE", last_push_failed_at=datetime.utcnow(),
                enrolled_at=datetime(2026, 1, 2), head=120, hwm=100).where(Node.id == node.id).execute()
    return {"task": task, "posting": posting, "interest": Interest.get(Interest.posting_id == posting),
            "jobs": uploaded_and_cleaned()}


def uploaded_and_cleaned() -> list[int]:
    """A roster upload's record with a refused row and a warning, and a finished cleaning run started on the web."""
    upload = records.create("roster", "user:clerk", "花名册.xlsx")
    records.finish(upload.id, {"rows": 3, "imported": 1, "summary": "读取 3 行：新增 1 户，更新 0 户，未变 0 户。",
                               "errors": [[3, "证件号码位数不对，应为 18 位。"]],
                               "warnings": [[2, "手机号码格式不对。"]]})
    run = records.queue_cleaning("user:clerk", {"period": PERIOD})
    records.finish(run.id, {"run_id": 1, "period": PERIOD, "opened": 3, "closed": 0, "rules": {"P1": 2, "I9": 1}})
    return [upload.id, run.id, *asked_downloads()]


def asked_downloads() -> list[int]:
    """A township officer's downloads: one being built, one fetched, one that failed."""
    asked = [records.create(records.EXPORT, "user:tang", params=downloads.request_params(
        downloads.ANOMALIES, "xlsx", township="板榄镇")) for _ in range(3)]
    records.finish(asked[1].id, {"file": "异常清单-板榄镇.xlsx", "bytes": 2048, "title": "板榄镇异常清单"})
    records.claim_download(Job.get_by_id(asked[1].id))
    records.fail(asked[2].id, "内部错误，这项工作没有完成：请联系县级管理员查看平台日志。")
    return [job.id for job in asked]


@pytest.fixture
def month(app, hub_db, tmp_path) -> Iterator[dict[str, Any]]:
    county = planted_county(tmp_path)
    plant_lists(tmp_path)
    runner.run("2026-09", TODAY)
    runner.run(PERIOD, TODAY)
    found = {rule for (rule,) in Anomaly.select(Anomaly.rule).distinct().tuples()}
    assert found == set(CATALOGUE), f"no anomaly of {sorted(set(CATALOGUE) - found)}"
    made = users(app)
    yield {"county": county, "users": made, **work_the_month(app, made)}


def paths(app, month: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every GET page of the url_map, once per value of its arguments: every anomaly, every household with one."""
    values: dict[str, list[str]] = {
        "anomaly_id": [str(a.id) for a in Anomaly.select(Anomaly.id)],
        "number": [h.number for h in Household.select().where(Household.id.in_(Anomaly.select(Anomaly.household)))],
        "person_id": [str(p.id) for p in Person.select().limit(3)],
        "posting_id": [month["posting"]],
        "job_id": [str(job_id) for job_id in month["jobs"]],
    }
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED or rule.rule.startswith("/api/"):
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give the walk values for {missing}"
        if not rule.arguments:
            for query in ("", "?status=answered", "?status=closed"):
                yield rule.endpoint, rule.rule + (query if rule.endpoint == "cleaning.anomalies" else "")
            continue
        (name,) = rule.arguments
        for value in values[name]:
            yield rule.endpoint, re.sub(rf"<(?:[a-z]+:)?{name}>", value, rule.rule)


def test_no_page_shows_an_untranslated_identifier_to_any_role(app, month):
    shown: dict[str, set[str]] = {}
    for username in PEOPLE:
        client = signed_in(app, month["users"][username])
        for endpoint, path in paths(app, month):
            reply = client.get(path)
            if reply.status_code != 200 or reply.mimetype != "text/html":
                continue
            shown.setdefault(endpoint, set()).add(username)
            found = untranslated(visible(reply.get_data(as_text=True)))
            assert not found, f"{path} as {username} ({PEOPLE[username][0]}) shows {sorted(set(found))[:8]}"
    walked = {e for e, _ in paths(app, month)}
    assert walked - set(shown) == set(), "every page was seen by at least one role"
    assert shown["cleaning.anomaly"] == set(PEOPLE) and shown["pages.overview"] == set(PEOPLE)


def test_the_pages_name_people_and_say_who_did_what(app, month):
    admin = signed_in(app, month["users"]["lan"])
    p1 = Anomaly.select().where(Anomaly.rule == "P1").order_by(Anomaly.id).first()
    page = visible(admin.get(f"/cleaning/anomalies/{p1.id}").get_data(as_text=True))
    assert "年人均纯收入" in page and "元/人/年" in page and "有收入记录的月数" in page and "个月" in page
    assert "《柳州市促进脱贫人口持续增收三年行动方案（2022—2024年）》第24、30项" in page
    assert "周丽 重新打开了异常" in page and "经营性收入与合作社台账不符" in page
    assert "村级站点 清洗测试站（li） 答复了异常：已更正" in page
    assert "县级重新打开的原因：经营性收入与合作社台账不符" in month["task"].question  # the station sees it
    i3 = Anomaly.get(Anomaly.rule == "I3")
    page = visible(admin.get(f"/cleaning/anomalies/{i3.id}").get_data(as_text=True))
    assert "人员" in page and "韦丽（" in page and "韦莉（" in page and "household" not in page
    p4 = Anomaly.select().where(Anomaly.rule == "P4").first()
    queue = visible(admin.get("/cleaning/anomalies?rule=P4").get_data(as_text=True))
    person_names = {p.name for p in Person.select().where(Person.household == p4.household_id)}
    assert any(f"{name}（" in queue for name in person_names), "劳动力 named beside the masked number"
    p10 = Anomaly.select().where(Anomaly.rule == "P10").first()
    page = visible(admin.get(f"/cleaning/anomalies/{p10.id}").get_data(as_text=True))
    assert "所做的更正" in page and "唐建国：更正了人员信息（劳动技能）" in page
    assert "更正了走访记录：工资性收入" in page
    household = visible(admin.get(f"/households/{Household.get_by_id(p10.household_id).number}")
                        .get_data(as_text=True))
    assert "唐建国 更正了人员信息（劳动技能） 参加电工培训取得证书" in household
    assert "入户" in household and "户主认可" in household and "县内，本年务工" in household
    spot_checks = visible(admin.get("/verify/spot-checks").get_data(as_text=True))
    heads = {p.name for p in Person.select().where(Person.relation == "户主")}
    assert any(f"户主 {name}" in spot_checks for name in heads), "a spot-check household named by its head"


def test_every_rule_source_is_named_by_its_document():
    from hub.county.policy import DOCUMENTS, source_name

    assert source_name("002 employment §二(一)1(1)") == f"{DOCUMENTS['002 employment']}二(一)1(1)"
    assert source_name("001 §33; 003 §二") == f"{DOCUMENTS['001']}第33项；{DOCUMENTS['003']}第二部分"
    for rule in CATALOGUE.values():
        named = source_name(rule.source)
        assert named.startswith(("《", "国家标准", "数据质量")) and not untranslated(named), (rule.id, named)


def test_pages_say_work_places_in_the_countys_words(app):
    place = app.jinja_env.filters["place"]
    with app.app_context():
        assert [place(code) for code in ("county", "province", "outside")] == ["县内", "省内县外", "省外"]
        app.config["REGION_WORD"] = "区"
        assert [place(code) for code in ("county", "province", "outside")] == ["县内", "区内县外", "区外"]

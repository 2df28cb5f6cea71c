"""The anomaly queue at county scale (issue 15): policy risk first, counts that follow the filter, one answer for a
filtered set (audited per anomaly, the caller's township only), a reopened anomaly's reason shown to the township
and sent to the station, and 已更正 tied to the correction that was made."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from hub.accounts.users import Principal
from hub.audit import entries_about
from hub.cleaning import anomalies
from hub.store.db import insert_rows
from hub.store.models import Anomaly, CleaningRun, Household, Node, NodeVillage, Person, Township, Village
from hub.verification import tasks
from tests.conftest import make_user, signed_in

STAFF = Principal("user", "zhou", "staff", None)
RULES = ["I9", "X2", "P5", "I3", "P1", "P11", "I1", "P2"]  # inserted out of order


@pytest.fixture
def queue(app, hub_db, county) -> dict[str, list[int]]:
    """Every household of 板榄镇 and 大将镇 with one open anomaly of each of RULES."""
    made: dict[str, list[int]] = {}
    run = CleaningRun.create(started_at=datetime(2026, 11, 1), period="2026-10", rules_version="test", settings="{}",
                             counts=json.dumps({"rules": {}}))
    for township in ("板榄镇", "大将镇"):
        homes = (Household.select(Household, Village).join(Village).join(Township)
                 .where(Township.name == township))
        rows = [{"key": f"{rule}:{home.id}", "rule": rule, "township": home.village.township_id,
                 "village": home.village_id, "household": home.id, "subject": f"{rule} 的问题", "detail": "{}",
                 "digest": "", "status": anomalies.OPEN, "first_run": run.id, "last_run": run.id,
                 "opened_at": datetime(2026, 11, 1), "scope": ""} for home in homes for rule in RULES]
        insert_rows(Anomaly, rows)
        made[township] = [a.id for a in Anomaly.select().where(Anomaly.township == homes[0].village.township_id)]
    return made


def shown_rules(page: str) -> list[str]:
    return re.findall(r'<td title="[^"]*">([A-Z]\d+) ', page.split('id="queue"')[1])


def test_the_queue_puts_policy_risk_first(client, queue):
    page = client.get("/cleaning/anomalies?township=板榄镇").get_data(as_text=True)
    order = shown_rules(page)
    assert order == sorted(order, key=anomalies.priority)
    assert order[0] == "P1" and order[-1] == "I9" and order.index("P11") < order.index("X2") < order.index("I1")


def test_the_status_counts_follow_the_filter(client, queue):
    anomalies.answer(STAFF, Anomaly.get_by_id(queue["板榄镇"][0]), "correct", "核实无误")
    everyone = client.get("/cleaning/anomalies").get_data(as_text=True)
    assert f'id="count-open">{len(queue["板榄镇"]) + len(queue["大将镇"]) - 1}<' in everyone
    own = client.get("/cleaning/anomalies?township=大将镇&rule=P5").get_data(as_text=True)
    households = len(queue["大将镇"]) // len(RULES)
    assert f'id="count-open">{households}<' in own and 'id="count-answered">0<' in own


def test_one_answer_for_a_filtered_set_is_audited_per_anomaly(app, client, queue):
    chosen = [a.id for a in Anomaly.select().where(Anomaly.rule == "I9", Anomaly.id.in_(queue["板榄镇"]))]
    form = {"township": "板榄镇", "rule": "I9", "answer": "unverifiable", "note": "电话停机，下月入户"}
    stale = client.post("/cleaning/anomalies/answer", data={**form, "count": len(chosen) + 1})
    assert stale.status_code == 400 and "筛选结果已变化" in stale.get_data(as_text=True)
    assert all(Anomaly.get_by_id(i).status == anomalies.OPEN for i in chosen)
    corrected = client.post("/cleaning/anomalies/answer", data={**form, "answer": "corrected", "count": len(chosen)})
    assert corrected.status_code == 400 and "逐条答复" in corrected.get_data(as_text=True)
    done = client.post("/cleaning/anomalies/answer", data={**form, "count": len(chosen)}, follow_redirects=True)
    assert f"已批量答复 {len(chosen)} 条异常" in done.get_data(as_text=True)
    for anomaly_id in chosen:
        found = Anomaly.get_by_id(anomaly_id)
        assert (found.status, found.answer, found.answer_note) == (anomalies.ANSWERED, "unverifiable", form["note"])
        (entry,) = entries_about(f"anomaly:{anomaly_id}")
        assert (entry.actor, entry.action, entry.why) == ("user:admin", "anomaly.answer", form["note"])
    untouched = Anomaly.select().where(Anomaly.rule == "I9", Anomaly.id.in_(queue["大将镇"]))
    assert all(a.status == anomalies.OPEN for a in untouched)


def test_a_township_officer_bulk_answers_its_own_township_only(app, queue):
    officer = signed_in(app, make_user(app, "tang", "township", "板榄镇"))
    own = len([a for a in queue["板榄镇"] if Anomaly.get_by_id(a).rule == "P5"])
    reply = officer.post("/cleaning/anomalies/answer", data={"township": "大将镇", "rule": "P5", "answer": "correct",
                                                             "note": "已入户", "count": own})
    assert reply.status_code == 302
    assert {a.status for a in Anomaly.select().where(Anomaly.rule == "P5", Anomaly.id.in_(queue["大将镇"]))} \
        == {anomalies.OPEN}
    assert {a.status for a in Anomaly.select().where(Anomaly.rule == "P5", Anomaly.id.in_(queue["板榄镇"]))} \
        == {anomalies.ANSWERED}
    viewer = signed_in(app, make_user(app, "mo", "viewer"))
    refused = viewer.post("/cleaning/anomalies/answer", data={"rule": "P1", "answer": "correct", "note": "x",
                                                             "count": 0})
    assert refused.status_code == 403


def test_corrected_is_tied_to_the_correction_made(app, client, queue):
    anomaly = Anomaly.get_by_id(queue["板榄镇"][0])
    before = client.post(f"/cleaning/anomalies/{anomaly.id}/answer", data={"answer": "corrected", "note": "已改"})
    assert before.status_code == 400 and "请先在户页面更正" in before.get_data(as_text=True)
    home = Household.get_by_id(anomaly.household_id)
    person = Person.select().where(Person.household == home.id).first()
    assert client.post(f"/households/{home.number}/people/{person.id}",
                       data={"phone": "13977005678", "why": "户主提供新号码"}).status_code == 302
    assert client.post(f"/cleaning/anomalies/{anomaly.id}/answer",
                       data={"answer": "corrected", "note": "已改电话"}).status_code == 302
    answer = next(e for e in entries_about(f"anomaly:{anomaly.id}") if e.action == "anomaly.answer")
    correction = next(e for e in entries_about(f"household:{home.number}") if e.action == "person.correct")
    assert json.loads(answer.after_json)["corrections"] == [correction.seq]
    page = client.get(f"/cleaning/anomalies/{anomaly.id}").get_data(as_text=True)
    assert "所做的更正" in page and "更正了人员信息（电话）" in page and "户主提供新号码" in page


def test_a_reopened_anomaly_shows_its_reason_to_the_township_and_the_station(app, queue):
    anomaly = Anomaly.select().where(Anomaly.id.in_(queue["板榄镇"]), Anomaly.rule == "P1").first()
    anomalies.answer(STAFF, anomaly, "correct", "收入属实")
    anomalies.reopen(STAFF, Anomaly.get_by_id(anomaly.id), "经营性收入与合作社台账不符")
    officer = signed_in(app, make_user(app, "tang", "township", "板榄镇"))
    listing = officer.get("/cleaning/anomalies?rule=P1").get_data(as_text=True)
    assert "县级重新打开：经营性收入与合作社台账不符" in listing
    page = officer.get(f"/cleaning/anomalies/{anomaly.id}").get_data(as_text=True)
    assert 'id="reopen-reason"' in page and "经营性收入与合作社台账不符" in page
    task = tasks.send_to_field(Principal("user", "tang", "township", anomaly.township_id),
                               Anomaly.get_by_id(anomaly.id), "请核实收入")
    assert task.question == "请核实收入（县级重新打开的原因：经营性收入与合作社台账不符）"


def test_a_township_officer_sees_their_township_on_the_home_page(app, client, queue):
    for name, village, hwm, head in (("东岭站", "东岭1村", 40, 40), ("西岭站", "西岭1村", 10, 25)):
        node = Node.create(name=name, created_at=datetime(2026, 1, 1), enrolled_at=datetime(2026, 1, 2),
                           last_seen_at=datetime.utcnow(), hwm=hwm, head=head)
        NodeVillage.create(node=node, village=Village.get(Village.name == village))
    officer = signed_in(app, make_user(app, "tang", "township", "板榄镇"))
    home = officer.get("/").get_data(as_text=True)
    assert "<h1>板榄镇" in home and "东岭站" in home and "西岭站" not in home and "已同步" in home
    assert "待核实的异常（按优先级）" in home and 'id="coverage"' in home and "东岭1村" in home
    assert f'id="open-total">{len(queue["板榄镇"])}<' in home and "大将镇" not in home
    rules = re.findall(r'/cleaning/anomalies\?rule=([A-Z]\d+)"', home)
    assert rules == sorted(RULES, key=anomalies.priority)
    county = client.get("/").get_data(as_text=True)
    assert "东岭站" in county and "西岭站" in county and "落后 15 条" in county
    assert re.search(r'<td class="name">西岭站</td>', county)

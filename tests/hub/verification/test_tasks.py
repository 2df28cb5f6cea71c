"""Records that match reality (issue 6): every role boundary, the read API's tokens, sign-in, the township
queue and its answers, edits by level, spot checks — each refusal a clear 403 that lands in the audit log."""

from __future__ import annotations

import re

import pytest

from hub import audit
from hub.accounts import users
from hub.cleaning import runner
from hub.cleaning.anomalies import ANSWERED, OPEN
from hub.cli import main
from hub.store.db import database
from hub.store.models import Anomaly, Household, Person, Township, VerificationTask, Village
from hub.verification import tasks as verification
from tests.conftest import ADMIN_PASSWORD, make_user, signed_in
from tests.support import VILLAGES, import_county

HOME, OTHER = VILLAGES[0][0], VILLAGES[1][0]  # two townships


@pytest.fixture
def county(app, hub_db, tmp_path):
    rows = import_county(tmp_path)
    runner.run("2026-10")  # nobody visited: P5 for every household, in every township
    return rows


def anomaly_in(township: str) -> Anomaly:
    return Anomaly.select().join(Township).where(Township.name == township, Anomaly.status == OPEN).first()


def household_in(township: str) -> Household:
    return Household.select().join(Village).join(Township).where(Township.name == township).first()


def denied_count() -> int:
    return sum(1 for e in audit.entries(None, 1000, 0) if e.action == "access.denied")


@pytest.fixture
def township_user(app, county):
    return signed_in(app, make_user(app, "tang", "township", HOME))


@pytest.fixture
def viewer(app, county):
    return signed_in(app, make_user(app, "view", "viewer"))


def test_pages_need_sign_in_and_public_ones_do_not(anonymous, county):
    for path in ("/", "/cleaning/", "/cleaning/anomalies", "/postings/", "/verify/spot-checks",
                 f"/households/{household_in(HOME).number}"):
        reply = anonymous.get(path)
        assert reply.status_code == 302 and "/login" in reply.location, path
    assert anonymous.get("/jobs").status_code == 200
    assert anonymous.get("/api/v1/openapi.json").status_code == 200
    assert anonymous.get("/metrics").status_code == 200


def test_a_township_user_sees_and_answers_only_their_township(township_user, county):
    listing = township_user.get("/cleaning/anomalies").get_data(as_text=True)
    assert HOME in listing and OTHER not in listing
    mine, theirs = anomaly_in(HOME), anomaly_in(OTHER)
    before = denied_count()
    reply = township_user.get(f"/cleaning/anomalies/{theirs.id}")
    assert reply.status_code == 403 and "乡镇工作人员" in reply.get_data(as_text=True)
    assert township_user.post(f"/cleaning/anomalies/{theirs.id}/answer",
                              data={"answer": "correct", "note": "x"}).status_code == 403
    assert township_user.get(f"/households/{household_in(OTHER).number}").status_code == 403
    assert denied_count() == before + 3
    reply = township_user.post(f"/cleaning/anomalies/{mine.id}/answer",
                               data={"answer": "unverifiable", "note": "户主外出务工，电话未接通"})
    assert reply.status_code == 302
    answered = Anomaly.get_by_id(mine.id)
    assert (answered.status, answered.answer, answered.answered_by) == (ANSWERED, "unverifiable", "user:tang")


def test_only_the_county_reopens_an_answer(app, township_user, client, county):
    mine = anomaly_in(HOME)
    township_user.post(f"/cleaning/anomalies/{mine.id}/answer", data={"answer": "correct", "note": "已核实"})
    assert township_user.post(f"/cleaning/anomalies/{mine.id}/reopen", data={"why": "x"}).status_code == 403
    assert client.post(f"/cleaning/anomalies/{mine.id}/reopen", data={"why": "抽查发现不符"}).status_code == 302
    assert Anomaly.get_by_id(mine.id).status == OPEN


def test_identity_fields_change_only_at_county_level(township_user, client, county):
    household = household_in(HOME)
    person = Person.select().where(Person.household == household).first()
    base = f"/households/{household.number}/people/{person.id}"
    reply = township_user.post(base, data={"name": "改名字", "why": "户口簿"})
    assert reply.status_code == 403 and "身份信息" in reply.get_data(as_text=True)
    assert township_user.post(base, data={"phone": "13912345678", "why": "本人告知新号码"}).status_code == 302
    assert client.post(base, data={"name": "韦正确", "why": "户口簿核对"}).status_code == 302
    person = Person.get_by_id(person.id)
    assert (person.phone, person.name) == ("13912345678", "韦正确")
    trail = [e for e in audit.entries_about(f"household:{household.number}") if e.action == "person.correct"]
    assert {e.actor for e in trail} == {"user:tang", "user:admin"}
    assert any(e.before.get("name") and e.after["name"] == "韦正确" for e in trail)


def test_a_viewer_changes_nothing(viewer, county):
    mine = anomaly_in(HOME)
    household = household_in(HOME)
    person = Person.select().where(Person.household == household).first()
    for path, data in ((f"/cleaning/anomalies/{mine.id}/answer", {"answer": "correct", "note": "x"}),
                       (f"/cleaning/anomalies/{mine.id}/send", {"question": "x"}),
                       (f"/households/{household.number}/people/{person.id}", {"phone": "13912345678", "why": "x"}),
                       ("/postings/new", {}), ("/verify/spot-checks", {"month": "2026-11"})):
        assert viewer.post(path, data=data).status_code == 403, path
    assert viewer.get(f"/cleaning/anomalies/{mine.id}").status_code == 200


def test_api_tokens_read_within_their_scope(app, anonymous, county):
    with app.app_context(), database.connection_context():
        _, county_token = users.create_token("统计局", "viewer", actor="test")
        _, township_token = users.create_token("乡镇系统", "township", HOME, actor="test")
    assert anonymous.get("/api/v1/read/households").status_code == 401
    assert anonymous.get("/api/v1/read/households", headers={"Authorization": "Bearer wrong"}).status_code == 401
    everyone = anonymous.get("/api/v1/read/households?page_size=1000",
                             headers={"Authorization": f"Bearer {county_token}"}).json
    assert {item["township"] for item in everyone["items"]} == {t for t, _ in VILLAGES}
    mine = anonymous.get("/api/v1/read/households?page_size=1000",
                         headers={"Authorization": f"Bearer {township_token}"}).json
    assert {item["township"] for item in mine["items"]} == {HOME}
    assert all("*" in member["id_number"] for item in mine["items"] for member in item["members"])
    reply = anonymous.get(f"/api/v1/read/anomalies?township={OTHER}",
                          headers={"Authorization": f"Bearer {township_token}"})
    assert reply.status_code == 403 and reply.json["code"] == "FORBIDDEN"
    assert any(e.actor == "token:乡镇系统" and e.action == "access.denied" for e in audit.entries(None, 50, 0))
    spec = anonymous.get("/api/v1/openapi.json").json
    assert "/api/v1/read/answers" in spec["paths"] and "apiToken" in spec["components"]["securitySchemes"]


def test_sign_in_locks_after_repeated_failures(app, anonymous, county):
    make_user(app, "lock", "staff")
    for _ in range(5):
        assert anonymous.post("/login", data={"username": "lock", "password": "wrong"}).status_code == 401
    assert anonymous.post("/login", data={"username": "lock", "password": ADMIN_PASSWORD}).status_code == 401
    make_user(app, "fine", "staff")
    reply = anonymous.post("/login", data={"username": "fine", "password": ADMIN_PASSWORD})
    assert reply.status_code == 302
    assert reply.headers["Set-Cookie"].count("HttpOnly") >= 1


def test_forms_need_their_csrf_token(app, client, county):
    app.config["WTF_CSRF_ENABLED"] = True  # read at each request; the fixture turns it off for other tests
    mine = anomaly_in(HOME)
    assert client.post(f"/cleaning/anomalies/{mine.id}/answer", data={"answer": "correct", "note": "x"}
                       ).status_code == 400
    page = client.get(f"/cleaning/anomalies/{mine.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post(f"/cleaning/anomalies/{mine.id}/answer",
                       data={"answer": "correct", "note": "已核实", "csrf_token": token}).status_code == 302


def test_a_spot_check_redraws_the_same_sample_from_its_seed(app, client, county):
    assert client.post("/verify/spot-checks", data={"month": "2026-11", "seed": "abc123"}).status_code == 302
    tasks = VerificationTask.select().where(VerificationTask.spot_check_id.is_null(False))
    drawn = sorted(t.household_id for t in tasks)
    assert len(drawn) == len(VILLAGES) * app.config["SPOT_CHECK_SIZE"]
    assert sorted(h for ids in verification.sample("abc123", app.config["SPOT_CHECK_SIZE"]).values()
                  for h in ids) == drawn
    assert client.post("/verify/spot-checks", data={"month": "2026-11"}).status_code == 400


def test_role_changes_and_settings_are_audited_and_the_chain_verifies(app, runner):
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"]]
    added = runner.invoke(main, [*args, "add-user", "li", "--name", "李", "--role", "viewer",
                                 "--password", "long-password"])
    assert added.exit_code == 0, added.output
    changed = runner.invoke(main, [*args, "set-role", "li", "--role", "township", "--township", HOME,
                                   "--why", "调任乡镇"])
    assert changed.exit_code == 0, changed.output
    assert runner.invoke(main, [*args, "rule-setting", "p1_min_income", "11000"]).exit_code == 0
    verified = runner.invoke(main, [*args, "audit", "verify"])
    assert verified.exit_code == 0 and "哈希链校验通过" in verified.output
    with app.app_context(), database.connection_context():
        entries = audit.entries(None, 100, 0)
        assert {"user.create", "role.change", "setting.change"} <= {e.action for e in entries}
        role_change = next(e for e in entries if e.action == "role.change")
        assert role_change.before["role"] == "viewer" and role_change.after["role"] == "township"
        database.execute_sql(f"UPDATE audit_log SET why = 'x' WHERE id = {role_change.id}")
    broken = runner.invoke(main, [*args, "audit", "verify"])
    assert broken.exit_code == 3 and f"第 {role_change.seq} 条" in broken.output


def test_the_household_page_shows_list_hits_and_masks_numbers(client, county, tmp_path):
    from hub.roster.department_lists import import_list

    household = household_in(HOME)
    person = Person.select().where(Person.household == household).first()
    path = tmp_path / "死亡登记.csv"
    path.write_text(f"姓名,证件号码,死亡日期\n{person.name},{person.id_number},2026-09-03\n", encoding="utf-8-sig")
    assert import_list("death", path, "2026-10").imported == 1
    page = client.get(f"/households/{household.number}").get_data(as_text=True)
    assert "死亡登记名单" in page and "2026-09-03" in page
    assert person.id_number not in page
    assert not person.phone or person.phone not in page


def test_sign_in_attempts_are_rate_limited_per_address(app, anonymous, county):
    statuses = [anonymous.post("/login", data={"username": f"nobody{i}", "password": "x"}).status_code
                for i in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]


def test_metrics_report_the_cleaning_run_duration(anonymous, county):
    text = anonymous.get("/metrics").get_data(as_text=True)
    assert 'fieldsync_cleaning_run_seconds{period="2026-10"}' in text  # the run's duration is exported


def test_household_membership_changes_only_at_county_level(township_user, client, county):
    household, other = list(Household.select().join(Village).join(Township).where(Township.name == HOME))[:2]
    person = Person.select().where(Person.household == household).first()
    base = f"/households/{household.number}/people/{person.id}"
    assert township_user.post(base, data={"status": "迁出", "why": "外嫁"}).status_code == 403
    assert township_user.post(base, data={"household": other.number, "why": "分户"}).status_code == 403
    assert client.post(base, data={"household": "nope", "why": "分户"}).status_code == 400
    assert client.post(base, data={"household": other.number, "why": "分户，户口簿为证"}).status_code == 302
    assert Person.get_by_id(person.id).household_id == other.id
    moved = [e for e in audit.entries_about(f"household:{household.number}") if e.action == "person.correct"][0]
    assert moved.before["household"] == household.number and moved.after["household"] == other.id


def test_a_visits_figures_are_corrected_by_a_new_signed_record_not_overwritten(app, client, township_user, viewer,
                                                                                county):
    from hub.store.models import Record, Visit
    from tests.support import SimNode, households_of

    node = SimNode(app, client, "更正站", VILLAGES[:2])
    records = node.visits(households_of(county, VILLAGES[0]))
    assert node.push(records).status_code == 200
    original = Visit.select().join(Record).where(Record.seq == 1).get()
    number = original.household.number
    path = f"/households/{number}/visits/{original.id}/correct"
    assert viewer.post(path, data={"wage": "1", "why": "x"}).status_code == 403
    assert township_user.post(path, data={"wage": "abc", "why": "核实"}).status_code == 400
    reply = township_user.post(path, data={"wage": str(original.wage + 500), "why": "入户核实工资条"})
    assert reply.status_code == 302
    current = Visit.get(Visit.household == original.household, Visit.superseded_by.is_null())
    assert current.wage == original.wage + 500 and current.record.node.name == "县级平台"
    assert Visit.get_by_id(original.id).superseded_by == current.id
    assert current.corrects == bytes(original.record.hash).hex()
    trail = [e for e in audit.entries_about(f"household:{number}") if e.action == "visit.correct"]
    assert trail and trail[0].actor == "user:tang" and trail[0].why == "入户核实工资条"
    other = Household.select().join(Village).join(Township).where(Township.name == OTHER).first()
    assert township_user.post(f"/households/{other.number}/visits/{original.id}/correct",
                              data={"wage": "1", "why": "x"}).status_code == 403

"""Verification in the field, end to end over loopback HTTP: a cleaning run flags a household, its township sends it
to the field, the station pulls the task, the grid member answers offline, the answer syncs, the anomaly closes,
and the audit log shows the whole path — and names a row altered afterwards."""

from __future__ import annotations

from devtools.station import PASSWORD
from field_node import accounts
from field_node.store.db import database
from field_node.store.models import Record
from field_node.sync import passes
from field_node.web import create_app
from hub import audit
from hub.accounts.users import Principal
from hub.cleaning import runner
from hub.cleaning.anomalies import ANSWERED
from hub.store import db as hub_database
from hub.store.models import Anomaly, Township, VerificationTask
from hub.verification import tasks as verification
from tests.support import VILLAGES


def test_an_anomaly_sent_to_the_field_is_answered_offline_and_closes_after_sync(app, live_hub, enrolled):
    township = VILLAGES[0][0]
    with app.app_context(), hub_database.database.connection_context():
        runner.run("2026-10")
        anomaly = (Anomaly.select().join(Township).where(Township.name == township, Anomaly.rule == "P5").first())
        clerk = Principal("user", "tang", "township", anomaly.township_id)
        task = verification.send_to_field(clerk, anomaly, "请核实该户 10 月是否走访")
    passes.sync_once(enrolled, lambda _: None)
    with database.connection_context():
        accounts.create_account("wang", "王网格", PASSWORD)
    client = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, data_dir=enrolled.data_dir).test_client()
    client.post("/login", data={"username": "wang", "password": PASSWORD})
    assert "县里请您核实 1 户" in client.get("/").get_data(as_text=True)
    listing = client.get("/tasks").get_data(as_text=True)
    assert "请核实该户 10 月是否走访" in listing
    assert client.post(f"/tasks/{task.id}", data={"answer": "correct"}).status_code == 422  # a note is needed
    numbered = client.post(f"/tasks/{task.id}", data={"answer": "correct", "note": "户主电话13812345678，核实无误"})
    assert numbered.status_code == 422 and "不能写手机号码" in numbered.get_data(as_text=True)  # shared/free_text.py
    with database.connection_context():
        assert Record.select().where(Record.kind == "verification").count() == 0
    reply = client.post(f"/tasks/{task.id}", data={"answer": "corrected", "note": "10 月电话联系过，已补录走访"})
    assert reply.status_code == 302  # saved and signed with the hub unreached: the answer waits in the outbox
    with database.connection_context():
        assert Record.select().where(Record.kind == "verification", Record.status == "pending").count() == 1
    assert "没有待核实的任务" in client.get("/tasks").get_data(as_text=True)
    passes.sync_once(enrolled, lambda _: None)
    with app.app_context(), hub_database.database.connection_context():
        closed = Anomaly.get_by_id(anomaly.id)
        assert (closed.status, closed.answer) == (ANSWERED, "corrected")
        assert closed.answered_by == "node:测试站/wang" and "补录" in closed.answer_note
        assert VerificationTask.get_by_id(task.id).status == "answered"
        path = [(e.actor, e.action) for e in reversed(audit.entries(None, 100, 0))]
        assert path == [("test", "node.register"), ("node:测试站", "node.enrol"),
                        ("user:tang", "anomaly.send_to_field"), ("node:测试站/wang", "task.answer"),
                        ("node:测试站/wang", "anomaly.answer")]
        assert audit.verify() == []
        answer_entry = audit.entries(None, 1, 0)[0]
        hub_database.database.execute_sql(
            f"UPDATE audit_log SET after_json = '{{\"status\":\"open\"}}' WHERE id = {answer_entry.id}")
        problems = audit.verify()
        assert [p.seq for p in problems] == [answer_entry.seq] and f"第 {answer_entry.seq} 条" in problems[0].message
    passes.sync_once(enrolled, lambda _: None)  # the closed task leaves the station
    assert "没有待核实的任务" in client.get("/tasks").get_data(as_text=True)

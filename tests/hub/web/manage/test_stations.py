"""The station management page: the list in words, registering with the one-time code and its QR code on the page
(never stored, never in a URL), revoking and releasing, each audited under the signed-in admin."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from hub.audit import entries_about
from hub.store.models import Node, NodeVillage, Village
from hub.sync import nodes, own_records
from hub.sync.overview import node_rows, sync_words
from shared.protocol import ENROLL_PATH
from tests.hub.web.test_api import enrol_body
from tests.support import VILLAGES


def _village_id(index: int = 0) -> int:
    return nodes.find_village("/".join(VILLAGES[index])).id


def register(client, name: str = "东岭服务站", villages: tuple[int, ...] = (0, 1)):
    return client.post("/manage/stations/register", data={"name": name, "villages": [_village_id(i) for i in villages]})


def shown_code(page: str) -> str:
    return re.search(r'id="enrolment-code"[^>]*>([^<]+)<', page)[1]


def test_an_admin_registers_a_station_and_the_code_on_the_page_enrols_it(client, county):
    reply = register(client)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    code = shown_code(page)
    assert '<svg class="qr"' in page and "fieldsync-node enroll" in page
    node = Node.get(Node.name == "东岭服务站")
    assert {link.village_id for link in NodeVillage.select().where(NodeVillage.node == node)} == {
        _village_id(0), _village_id(1)}
    stored = " ".join(str(value) for value in node.__data__.values())
    assert code not in stored and code.replace("-", "") not in stored  # only its hash is kept
    [entry] = [e for e in entries_about("node:东岭服务站") if e.action == "node.register"]
    assert entry.actor == "user:admin" and code not in f"{entry.before_json}{entry.after_json}"
    enrolled = client.post(ENROLL_PATH, json=enrol_body(code))
    assert enrolled.status_code == 200 and sorted(enrolled.json["villages"]) == sorted(
        "/".join(v) for v in VILLAGES[:2])


def test_a_registration_without_villages_or_with_a_taken_name_is_refused_in_chinese(client, county):
    none = client.post("/manage/stations/register", data={"name": "空站", "villages": []})
    assert none.status_code == 400 and "请选择站点负责的村" in none.get_data(as_text=True)
    assert register(client).status_code == 200
    again = register(client)
    assert again.status_code == 409 and "已有名为“东岭服务站”的站点" in again.get_data(as_text=True)
    assert Node.select().where(Node.name == "空站").count() == 0


def test_the_list_shows_each_stations_sync_state_in_words(app, client, county):
    register(client, "待登记站", (0,))
    register(client, "正常站", (1,))
    register(client, "落后站", (2,))
    register(client, "失联站", (3,))
    now = datetime.utcnow()
    Node.update(enrolled_at=now, last_seen_at=now).where(Node.name.in_(["正常站", "落后站"])).execute()
    Node.update(head=12, hwm=5).where(Node.name == "落后站").execute()
    Node.update(enrolled_at=now - timedelta(days=9), last_seen_at=now - timedelta(days=9)).where(
        Node.name == "失联站").execute()
    words = {row["node"].name: sync_words(row) for row in node_rows()}
    assert words == {"待登记站": "待登记", "正常站": "已同步", "落后站": "落后 7 条", "失联站": "长时间未联系"}
    page = client.get("/manage/stations/").get_data(as_text=True)
    assert sorted(re.findall(r'class="sync-state">([^<]*)', page)) == sorted(words.values())


def test_revoking_needs_a_reason_and_is_audited_under_the_admin(client, county):
    register(client)
    node = Node.get(Node.name == "东岭服务站")
    unexplained = client.post(f"/manage/stations/{node.id}/revoke", data={"why": " "})
    assert unexplained.status_code == 400 and "原因" in unexplained.get_data(as_text=True)
    assert Node.get_by_id(node.id).revoked_at is None
    assert client.post(f"/manage/stations/{node.id}/revoke", data={"why": "设备被盗"}).status_code == 302
    assert Node.get_by_id(node.id).revoked_at is not None
    assert "已停用" in client.get("/manage/stations/").get_data(as_text=True)
    [entry] = [e for e in entries_about("node:东岭服务站") if e.action == "node.revoke"]
    assert (entry.actor, entry.why) == ("user:admin", "设备被盗")


def test_releasing_a_quarantine_records_the_reason(client, county):
    register(client)
    node = Node.get(Node.name == "东岭服务站")
    Node.update(enrolled_at=datetime.utcnow(), last_seen_at=datetime.utcnow(), quarantined_at=datetime.utcnow(),
                quarantine_reason="同一序号收到两份不同的记录").where(Node.id == node.id).execute()
    page = client.get("/manage/stations/").get_data(as_text=True)
    assert "已隔离" in page and "同一序号收到两份不同的记录" in page and "解除隔离" in page
    assert client.post(f"/manage/stations/{node.id}/release", data={"why": ""}).status_code == 400
    assert client.post(f"/manage/stations/{node.id}/release",
                       data={"why": "核实旧设备已交回乡镇"}).status_code == 302
    assert Node.get_by_id(node.id).quarantined_at is None
    [entry] = [e for e in entries_about("node:东岭服务站") if e.action == "node.release"]
    assert (entry.actor, entry.why) == ("user:admin", "核实旧设备已交回乡镇")


def test_the_hubs_own_signer_is_not_a_station_to_manage(client, county):
    from shared import keys

    hub = own_records.hub_node(keys.generate())
    assert client.post(f"/manage/stations/{hub.id}/revoke", data={"why": "x"}).status_code == 404
    assert Village.select().count() > 0


def test_a_station_not_enrolled_yet_gets_a_new_code_and_the_old_one_stops_working(client, county):
    first = shown_code(register(client).get_data(as_text=True))
    node = Node.get(Node.name == "东岭服务站")
    assert 'class="code-form"' in client.get("/manage/stations/").get_data(as_text=True)
    reply = client.post(f"/manage/stations/{node.id}/code", data={})  # the first is still valid: it stops
    page = reply.get_data(as_text=True)
    second = shown_code(page)
    assert reply.status_code == 200 and second != first and '<svg class="qr"' in page
    assert "/".join(VILLAGES[0]) in page
    assert client.post(ENROLL_PATH, json=enrol_body(first)).status_code == 403
    Node.update(enrolment_expires_at=datetime.utcnow() - timedelta(hours=1)).where(Node.id == node.id).execute()
    assert "待登记（登记码已过期）" in client.get("/manage/stations/").get_data(as_text=True)
    third = shown_code(client.post(f"/manage/stations/{node.id}/code", data={}).get_data(as_text=True))
    assert client.post(ENROLL_PATH, json=enrol_body(second)).status_code == 403
    assert client.post(ENROLL_PATH, json=enrol_body(third)).status_code == 200
    again = client.post(f"/manage/stations/{node.id}/code", data={})
    assert again.status_code == 400 and "已登记或已停用" in again.get_data(as_text=True)
    assert [e.actor for e in entries_about("node:东岭服务站") if e.action == "node.code_reissue"] == ["user:admin"] * 2

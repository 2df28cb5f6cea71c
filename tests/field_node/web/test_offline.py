"""The offline app's station side (issue 14): the service worker, manifest and shell, the offline session, the
bundle of the grid member's own villages, and visits uploaded from a phone stored exactly once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from field_node.store.db import database
from field_node.store.models import PhoneDevice, PhoneVisit, Record
from field_node.store.state import now_text
from field_node.web import create_app
from field_node.web.offline import TOKEN_HEADER
from tests.field_node.web.test_visits import full_form, household_with_labourer, records_of

CLIENT_ID = "0123456789abcdef0123456789abcdef"


def start(client) -> str:
    reply = client.post("/offline/start", headers={"Accept": "application/json"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply.get_json()["token"]


def upload(client, token: str, number: str, fields: dict, client_id: str = CLIENT_ID):
    sent = {"id": client_id, "household": number, "month": now_text()[:7], "phone_time": "2020-01-01T08:00:00Z",
            "fields": {k: v if isinstance(v, list) else [v] for k, v in fields.items()}}
    return client.post("/api/phone/visits", json=sent, headers={TOKEN_HEADER: token})


def test_service_worker_manifest_and_shell_are_served_without_sign_in(station):
    client = station["app"].test_client()
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert "__VERSION__" not in worker.get_data(as_text=True) and worker.headers["Service-Worker-Allowed"] == "/"
    assert json.loads(client.get("/manifest.webmanifest").get_data())["start_url"] == "/offline"
    shell = client.get("/offline").get_data(as_text=True)
    assert "待上传" in shell and "<script>" not in shell  # no inline script: the CSP forbids it



def test_the_app_files_revalidate_so_the_worker_does_not_download_them_again(station):
    """The service worker installs with ``cache: "no-cache"``: a file the page has just loaded comes back as a 304,
    not its bytes again over 2G, so each of its files must answer a conditional request."""
    import re

    client = station["app"].test_client()
    files = re.search(r"var FILES = \[(.*?)\];", client.get("/sw.js").get_data(as_text=True), re.S)
    assert files is not None
    for path in re.findall(r'"([^"]+)"', files.group(1)):
        if not path.startswith("/static/"):
            continue  # the shell and the manifest are a few hundred bytes and made per version
        first = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert first.status_code == 200 and first.headers.get("ETag"), path
        again = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and not again.get_data(), path

def test_the_app_version_changes_with_the_build_setting(station, monkeypatch):
    first = station["app"].test_client().get("/sw.js").get_data(as_text=True)
    monkeypatch.setenv("FIELDSYNC_NODE_APP_BUILD", "2")
    again = create_app({"TESTING": True}, data_dir=station["node"].data_dir).test_client()
    assert again.get("/sw.js").get_data(as_text=True) != first


def test_the_bundle_holds_only_the_members_villages_and_no_id_numbers(member_client, station):
    token = start(member_client)
    bundle = station["app"].test_client().get("/api/phone/bundle", headers={TOKEN_HEADER: token}).get_json()
    with database.connection_context():
        from field_node.web.scope import villages_of
        allowed = villages_of("wang")
    numbers = {h["number"] for h in bundle["households"]}
    villages = {r["township"] + "/" + r["village"] for r in station["rows"] if r["household_id"] in numbers}
    assert numbers and (allowed is None or villages <= allowed)
    text = json.dumps(bundle, ensure_ascii=False)
    assert not any(r["id_number"] in text for r in station["rows"])
    some = next(h for h in bundle["households"] if h["last"])
    assert some["head"] and set(some["last"]["income"]) == {"wage", "business", "property", "transfer", "expenses"}


def test_without_a_valid_offline_session_the_api_refuses_in_chinese(station):
    client = station["app"].test_client()
    for token in ("", "not-a-token"):
        reply = client.get("/api/phone/bundle", headers={TOKEN_HEADER: token})
        assert reply.status_code == 401 and reply.get_json()["code"] == "OFFLINE_SESSION_INVALID"
        assert "离线使用" in reply.get_json()["message"]


def test_an_offline_session_expires_after_the_county_set_days(member_client, station):
    token = start(member_client)
    with database.connection_context():
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
        PhoneDevice.update(expires_at=past).execute()
    reply = station["app"].test_client().get("/api/phone/bundle", headers={TOKEN_HEADER: token})
    assert reply.status_code == 401


def test_a_phone_visit_is_stored_once_whatever_is_resent(member_client, station):
    number, _ = household_with_labourer(station)
    token = start(member_client)
    phone = station["app"].test_client()  # the phone's uploads carry no cookie, only the token
    before = len(records_of(number))
    first = upload(phone, token, number, full_form())
    assert first.status_code == 200, first.get_data(as_text=True)
    again = upload(phone, token, number, full_form())
    assert again.status_code == 200 and again.get_json()["seq"] == first.get_json()["seq"]
    assert again.get_json()["again"] is True
    saved = records_of(number)
    assert len(saved) == before + 1
    body = saved[-1]["body"]
    assert body["captured"] == {"on": "phone", "id": CLIENT_ID, "phone_time": "2020-01-01T08:00:00Z"}
    states = phone.post("/api/phone/states", json={"ids": [CLIENT_ID]}, headers={TOKEN_HEADER: token}).get_json()
    assert states["states"] == {CLIENT_ID: "station"}


def test_uploads_racing_from_two_tabs_store_one_visit(member_client, station):
    number, _ = household_with_labourer(station)
    token = start(member_client)
    replies: list[int | None] = []

    def send() -> None:
        replies.append(upload(station["app"].test_client(), token, number, full_form()).get_json().get("seq"))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(replies) == 6 and len(set(replies)) == 1 and None not in replies  # never refused as its own 2nd visit
    with database.connection_context():
        assert PhoneVisit.select().count() == 1
        assert Record.select().where(Record.seq == replies[0]).count() == 1


def test_a_visit_the_station_refuses_comes_back_with_chinese_messages(member_client, station):
    number, _ = household_with_labourer(station)
    token = start(member_client)
    reply = upload(station["app"].test_client(), token, number, full_form(income_wage="-5"))
    assert reply.status_code == 422 and "负数" in reply.get_json()["errors"]["income_wage"]
    with database.connection_context():
        assert PhoneVisit.select().count() == 0


def test_a_household_outside_the_members_villages_is_refused(member_client, station):
    token = start(member_client)
    reply = upload(station["app"].test_client(), token, "no-such-household", full_form())
    assert reply.status_code == 404


def test_sign_out_ends_offline_sessions_and_clears_the_phone_once_the_page_has_asked(member_client, station):
    token = start(member_client)
    reply = member_client.post("/logout", data={"phone_checked": "1"})
    assert "storage" in reply.headers["Clear-Site-Data"]
    assert station["app"].test_client().get("/api/phone/bundle", headers={TOKEN_HEADER: token}).status_code == 401


def test_sign_out_without_the_pages_question_keeps_the_phones_queued_visits(member_client, station):
    """No JavaScript: nobody asked about visits still only on the phone, so the station does not clear its storage
    and the login page says they are kept."""
    token = start(member_client)
    reply = member_client.post("/logout")
    assert reply.headers["Clear-Site-Data"] == '"cache"' and reply.location.endswith("/login?kept=1")
    assert station["app"].test_client().get("/api/phone/bundle", headers={TOKEN_HEADER: token}).status_code == 401
    page = member_client.get(reply.location).get_data(as_text=True)
    assert "仍保存在手机上" in page and 'id="signed-out-kept"' in page


def test_the_bundle_carries_the_hubs_sealing_key_the_last_visits_and_what_a_correction_starts_from(
        member_client, station):
    number, _ = household_with_labourer(station)
    member_client.post(f"/h/{number}/visit", data=full_form())
    token = start(member_client)
    bundle = station["app"].test_client().get("/api/phone/bundle", headers={TOKEN_HEADER: token}).get_json()
    assert bundle["seal_key"] and ["birth", "出生"] in bundle["change_types"]
    found = next(h for h in bundle["households"] if h["number"] == number)
    latest = found["visits"][0]
    assert latest["month"] == now_text()[:7] and latest["state"] == "station"
    assert latest["values"]["income_wage"] == ["3000"] and "signature" not in latest["values"]
    assert all("birth_month" not in m and "person_key" not in m for m in found["members"])


def test_a_correction_from_the_phone_supersedes_the_visit_and_says_why(member_client, station):
    number, _ = household_with_labourer(station)
    member_client.post(f"/h/{number}/visit", data=full_form())
    token = start(member_client)
    corrected = records_of(number)[-1]
    phone = station["app"].test_client()
    sent = {"id": CLIENT_ID, "household": number, "month": now_text()[:7], "correct": corrected["seq"],
            "fields": {k: v if isinstance(v, list) else [v] for k, v in full_form(income_wage="3500").items()}}
    unexplained = phone.post("/api/phone/visits", json=sent, headers={TOKEN_HEADER: token})
    assert unexplained.status_code == 422 and "更正" in unexplained.get_json()["errors"]["correction_reason"]
    sent["fields"]["correction_reason"] = ["工资记错了"]
    reply = phone.post("/api/phone/visits", json=sent, headers={TOKEN_HEADER: token})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    body = records_of(number)[-1]["body"]
    assert body["income"]["wage"] == 3500 and body["corrects"]
    assert {"code": "correction", "reason": "工资记错了"} in body["warnings"]
    again = dict(sent, id="f" * 32)  # the same visit corrected twice: refused in Chinese, with what to do
    refused = phone.post("/api/phone/visits", json=again, headers={TOKEN_HEADER: token})
    assert refused.status_code == 422 and "户况" in refused.get_json()["errors"]["correct"]


def test_a_family_change_from_the_phone_keeps_only_the_sealed_number(member_client, station):
    from shared import sealing

    number, _ = household_with_labourer(station)
    token = start(member_client)
    sealed = sealing.seal(station["app"].test_client().get("/api/phone/bundle", headers={TOKEN_HEADER: token})
                          .get_json()["seal_key"], "450224202601010012")
    reply = upload(station["app"].test_client(), token, number, full_form(
        change_0_type="birth", change_0_name="周小宝", change_0_id_sealed=sealed, change_0_date=now_text()[:10]))
    assert reply.status_code == 200, reply.get_data(as_text=True)
    change = records_of(number)[-1]["body"]["changes"][0]
    assert change == {"type": "birth", "name": "周小宝", "id_sealed": sealed, "date": now_text()[:10]}


def test_the_phones_reading_table_is_current_and_spells_homophones_alike():
    from devtools.phone_readings import TARGET, readings_text

    text = TARGET.read_text(encoding="utf-8")
    assert text == readings_text(), "run python -m devtools.phone_readings"
    table = {char: line.split(" ")[0] for line in text.splitlines() for char in line.split(" ")[1]}
    assert table["平"] == table["萍"] == "ping" and len(table) == 6763


def test_a_phone_visit_with_a_number_in_its_note_is_refused_in_chinese(member_client, station):
    """An older copy of the phone app that did not check the note: the station refuses it, nothing is stored."""
    number, _ = household_with_labourer(station)
    token = start(member_client)
    before = len(records_of(number))
    reply = upload(station["app"].test_client(), token, number, full_form(note="电话 139-1234-5678"))
    assert reply.status_code == 422 and "不能写手机号码" in reply.get_json()["errors"]["note"]
    assert "139-1234-5678" not in reply.get_data(as_text=True)
    with database.connection_context():
        assert PhoneVisit.select().count() == 0
    assert len(records_of(number)) == before


def test_the_bundle_says_its_size_before_gzip_for_the_phones_percentage(member_client, station):
    import gzip

    token = start(member_client)
    reply = station["app"].test_client().get("/api/phone/bundle", headers={TOKEN_HEADER: token,
                                                                          "Accept-Encoding": "gzip"})
    assert reply.status_code == 200 and reply.headers["Content-Encoding"] == "gzip"
    plain = gzip.decompress(reply.get_data())
    assert int(reply.headers["X-Bundle-Length"]) == len(plain) > int(reply.headers["Content-Length"])
    assert json.loads(plain)["households"]

"""Enrolment, roster pull, the OpenAPI document and the error shape, in-process on every backend."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hub.store.models import Household, Node
from hub.sync import nodes
from shared import keys, wire
from shared.errors import ErrorCode, FieldsyncError
from shared.protocol import ENROLL_PATH, ROSTER_PATH
from tests.support import VILLAGES, SimNode, households_of, import_county


def enrol_body(code: str, key=None) -> dict:
    key = key or keys.generate()
    public = keys.public_bytes(key)
    return {"code": code, "public_key": keys.b64encode(public),
            "proof": keys.b64encode(key.sign(wire.enrol_message(code, public)))}


def new_code(county_rows) -> str:
    _, code = nodes.register("新站点", [nodes.find_village("/".join(VILLAGES[0]))], 24, actor="test")
    return code


def test_an_enrolment_code_works_once(client, county):
    code = new_code(county)
    first = client.post(ENROLL_PATH, json=enrol_body(code.lower().replace("-", " ")))
    assert first.status_code == 200 and first.json["villages"] == ["/".join(VILLAGES[0])]
    second = client.post(ENROLL_PATH, json=enrol_body(code))
    assert second.status_code == 403 and second.json["code"] == "ENROLMENT_CODE_INVALID"


def test_an_expired_code_is_refused(client, county):
    code = new_code(county)
    Node.update(enrolment_expires_at=datetime.utcnow() - timedelta(hours=1)).execute()
    assert client.post(ENROLL_PATH, json=enrol_body(code)).json["code"] == "ENROLMENT_CODE_INVALID"


def test_enrolment_needs_proof_of_the_private_key(client, county):
    code = new_code(county)
    body = enrol_body(code)
    body["public_key"] = keys.b64encode(keys.public_bytes(keys.generate()))
    reply = client.post(ENROLL_PATH, json=body)
    assert reply.status_code == 401
    assert Node.get().public_key is None


@pytest.mark.parametrize("body", [{}, {"code": "X"}, {"code": "X", "public_key": "a", "proof": "b", "extra": 1}])
def test_malformed_enrolment_requests_get_field_errors(client, county, body):
    reply = client.post(ENROLL_PATH, json=body)
    assert reply.status_code == 400 and reply.json["code"] == "INVALID_FIELDS"
    assert set(reply.json) == {"code", "message", "details"}


def test_roster_pull_pages_through_the_nodes_villages_only(app, client, county):
    app.config["PULL_PAGE_SIZE"] = 3
    node = SimNode(app, client, "站点", VILLAGES[:2])
    wanted = set(households_of(county, VILLAGES[0])) | set(households_of(county, VILLAGES[1]))
    seen, cursor, pages = [], "", 0
    while True:
        page = node.get(f"{ROSTER_PATH}?cursor={cursor}").json
        seen += [h["number"] for h in page["households"]]
        cursor, pages = page["cursor"], pages + 1
        if not page["more"]:
            break
    assert set(seen) == wanted and len(seen) == len(wanted) and pages > 1
    member = node.get(f"{ROSTER_PATH}?cursor=").json["households"][0]["members"][0]
    assert set(member) >= {"id_number", "name", "gender", "relation", "status"}
    assert node.get(f"{ROSTER_PATH}?cursor={cursor}").json["households"] == []


def test_a_household_moved_away_is_pulled_once_more_as_unassigned(app, client, county, tmp_path):
    from devtools import synthetic
    from hub.roster import importer as roster

    node = SimNode(app, client, "站点", VILLAGES[:1])
    cursor = node.get(f"{ROSTER_PATH}?cursor=").json["cursor"]
    moved = next(iter(households_of(county, VILLAGES[0])))
    rows = [dict(row, village=VILLAGES[3][1], township=VILLAGES[3][0]) if row["household_id"] == moved else row
            for row in county]
    synthetic.write_roster_csv(rows, tmp_path / "moved.csv")
    report = roster.import_roster(tmp_path / "moved.csv")
    assert report.households_changed == 1 and report.households_unchanged == len(
        {r["household_id"] for r in county}) - 1
    page = node.get(f"{ROSTER_PATH}?cursor={cursor}").json
    assert [(h["number"], h["assigned"]) for h in page["households"]] == [(moved, False)]


def test_a_bad_cursor_gets_a_clear_error(app, client, county):
    node = SimNode(app, client, "站点", VILLAGES[:1])
    reply = node.get(f"{ROSTER_PATH}?cursor=yesterday")
    assert reply.status_code == 400 and reply.json["code"] == "BAD_REQUEST"


def test_the_openapi_document_is_generated_from_the_schemas(client):
    spec = client.get("/api/v1/openapi.json").json
    assert {"/api/v1/enroll", "/api/v1/push", "/api/v1/roster", "/api/v1/state"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert {"PushReply", "EnrollRequest", "Error", "RosterPage"} <= set(schemas)
    assert schemas["EnrollRequest"]["additionalProperties"] is False


def test_unknown_paths_and_methods_get_the_json_error_shape(client):
    assert client.get("/api/v1/nothing").json["code"] == "NOT_FOUND"
    reply = client.get("/api/v1/push")
    assert reply.status_code == 405 and reply.json["code"] == "METHOD_NOT_ALLOWED"


def test_an_unexpected_failure_is_a_500_without_a_trace(app, client, county, monkeypatch, caplog):
    id_number = "4502241980" + "01010011"

    def explode(*_args, **_kwargs):
        raise RuntimeError(f"secret {id_number}")

    monkeypatch.setattr("hub.web.api.ingest.node_state", explode)
    node = SimNode(app, client, "站点", VILLAGES[:1])
    reply = node.get("/api/v1/state")
    assert reply.status_code == 500 and reply.json["code"] == "INTERNAL"
    assert "450224198001010011" not in reply.get_data(as_text=True)
    assert "450224198001010011" not in caplog.text and "RuntimeError" in caplog.text


def test_the_overview_page_is_in_chinese(app, client, county):
    SimNode(app, client, "东村站", VILLAGES[:1])
    page = client.get("/").get_data(as_text=True)
    assert "村级站点同步情况" in page and "东村站" in page
    assert Household.select().count() > 0


def test_every_reply_carries_security_headers(client):
    for path in ("/", "/api/v1/openapi.json", "/nothing"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff" and "frame-ancestors 'none'" in headers[
            "Content-Security-Policy"]


def test_silent_stations_are_listed_first(app, client, county):
    from hub.sync.overview import node_rows

    quiet = SimNode(app, client, "安静站", VILLAGES[:1])
    SimNode(app, client, "活跃站", VILLAGES[1:2])
    Node.update(last_seen_at=datetime.utcnow() - timedelta(days=10)).where(Node.id == quiet.node_id).execute()
    rows = node_rows(silent_hours=72)
    assert [(row["node"].name, row["silent"]) for row in rows] == [("安静站", True), ("活跃站", False)]
    assert "长时间未联系" in client.get("/").get_data(as_text=True)


def test_a_station_name_taken_says_so_and_what_to_do(client, county):
    new_code(county)
    with pytest.raises(FieldsyncError) as caught:
        nodes.register("新站点", [nodes.find_village("/".join(VILLAGES[1]))], 24, actor="test")
    assert caught.value.code is ErrorCode.NODE_NAME_TAKEN
    assert "新站点" in caught.value.message and "换一个名称" in caught.value.message
    assert "--force" not in caught.value.message and Node.select().count() == 1


def test_add_node_with_a_taken_name_prints_the_reason(app, runner, tmp_path):
    from hub.cli import main
    from hub.store import db

    with app.app_context(), db.database.connection_context():
        new_code(import_county(tmp_path))
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"],
            "add-node", "新站点", "--village", "/".join(VILLAGES[1])]
    result = runner.invoke(main, args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "已有名为“新站点”的站点" in result.output and "fieldsync-hub nodes" in result.output
    assert "Traceback" not in result.output

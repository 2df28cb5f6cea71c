"""`fieldsync-node` as a station's staff use it: Chinese messages, exit codes that scripts can test."""

from __future__ import annotations

import json
import random

from click.testing import CliRunner

from devtools import synthetic
from devtools.station import station_body
from field_node.cli import main
from tests.support import VILLAGES, households_of


def invoke(data_dir, *args):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])


def test_enrol_add_sync_status(app, live_hub, tmp_path):
    from hub.store import db
    from hub.sync import nodes

    with app.app_context(), db.database.connection_context():
        _, code = nodes.register("命令行站", [nodes.find_village("/".join(VILLAGES[0]))], 24, actor="test")
    folder = tmp_path / "station"
    enrolled = invoke(folder, "enroll", "--hub", live_hub["url"], "--code", code)
    assert enrolled.exit_code == 0 and "登记成功" in enrolled.output
    assert invoke(folder, "sync").exit_code == 0
    rnd = random.Random(5)
    bodies = [station_body(synthetic.visit_body(rnd, m, "2026-10", "网格员"), live_hub["person_key"])
              for m in households_of(live_hub["rows"], VILLAGES[0]).values()]
    bodies.append(dict(bodies[0], method="飞鸽"))
    visits = tmp_path / "visits.json"
    visits.write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
    added = invoke(folder, "add", str(visits))
    assert added.exit_code == 2
    assert f"已签名保存 {len(bodies) - 1} 条" in added.output and f"第 {len(bodies)} 条未保存" in added.output
    assert "method" in added.output and "必须是以下之一" in added.output
    synced = invoke(folder, "sync")
    assert synced.exit_code == 0 and f"发送 {len(bodies) - 1} 条" in synced.output
    status = invoke(folder, "status")
    assert f"已发送 {len(bodies) - 1} 条" in status.output and "待发送 0 条" in status.output


def test_commands_before_enrolment_say_what_to_do(tmp_path):
    result = invoke(tmp_path / "new", "sync")
    assert result.exit_code == 1 and "fieldsync-node enroll" in result.output


def test_a_file_that_is_not_json_is_refused_plainly(tmp_path):
    bad = tmp_path / "visits.json"
    bad.write_text("{not json", encoding="utf-8")
    result = invoke(tmp_path / "new", "add", str(bad))
    assert result.exit_code == 1 and "不是有效的 UTF-8 JSON" in result.output


def test_add_user_says_which_field_to_change(tmp_path):
    result = invoke(tmp_path / "node", "add-user", "X", "--name", "", "--password", "123")
    assert result.exit_code == 1
    assert "username" in result.output and "password" in result.output and "密码至少" in result.output

"""The two actions that were web-only: `reset-password` and `new-code`, through the same domain functions as the
management pages (users.reset_password, nodes.reissue_code), audited under the command line's actor."""

from __future__ import annotations

import re
from contextlib import contextmanager

from hub.audit import entries_about
from hub.cli import main
from hub.store import db
from hub.store.models import CountyUser, Node
from hub.sync import nodes
from shared.accounts import password_matches
from shared.protocol import ENROLL_PATH
from tests.conftest import ADMIN_PASSWORD, make_user, signed_in
from tests.hub.web.test_api import enrol_body
from tests.support import VILLAGES, import_county


def _args(app, database_url: str) -> list[str]:
    return ["--data-dir", app.config["DATA_DIR"], "--database-url", database_url]


@contextmanager
def _hub(app):
    """The hub's database between commands (each command opens and closes its own connection)."""
    with app.app_context(), db.database.connection_context():
        yield


def _station(app, tmp_path, name: str) -> str:
    with _hub(app):
        import_county(tmp_path)
        return nodes.register(name, [nodes.find_village("/".join(VILLAGES[0]))], 24, actor="test")[1]


def test_reset_password_shows_a_temporary_password_once_ends_sessions_and_forces_a_change(app, runner, database_url):
    user_id = make_user(app, "tang", "township", "板榄镇")
    before = signed_in(app, user_id)
    assert before.get("/").status_code == 200
    result = runner.invoke(main, [*_args(app, database_url), "reset-password", "tang", "--why", "本人当面申请"])
    assert result.exit_code == 0, result.output
    temporary = re.search(r"临时密码：(\S+)", result.output)[1]
    with _hub(app):
        user = CountyUser.get_by_id(user_id)
        entry = [e for e in entries_about("user:tang") if e.action == "user.password_reset"]
    assert password_matches(user.password_hash, temporary) and not password_matches(user.password_hash,
                                                                                    ADMIN_PASSWORD)
    assert user.must_change_password and "下次登录时须先设置自己的新密码" in result.output
    assert before.get("/").status_code == 302  # the old session ended
    person = app.test_client()
    assert person.post("/login", data={"username": "tang", "password": temporary}).status_code == 302
    assert person.get("/").headers["Location"].endswith("/account/password")  # no page before their own
    assert [(e.actor, e.why) for e in entry] == [("cli:cli", "本人当面申请")]
    assert temporary not in " ".join(str(v) for v in entry[0].__data__.values())


def test_reset_password_refuses_an_unknown_user_and_a_missing_reason_in_chinese(app, runner, database_url):
    unknown = runner.invoke(main, [*_args(app, database_url), "reset-password", "nobody", "--why", "忘记密码"])
    assert unknown.exit_code == 1 and "nobody" in unknown.output and "Traceback" not in unknown.output
    missing = runner.invoke(main, [*_args(app, database_url), "reset-password", "nobody"])
    assert missing.exit_code == 2 and "--why" in missing.output


def test_new_code_replaces_the_old_code_and_the_new_one_enrols(app, anonymous, runner, database_url, tmp_path):
    first = _station(app, tmp_path, "东岭服务站")
    result = runner.invoke(main, [*_args(app, database_url), "new-code", "东岭服务站"])
    assert result.exit_code == 0, result.output
    code = re.search(r"一次性登记码：(\S+)（", result.output)[1]
    assert "原先的登记码作废" in result.output and f"--code {code}" in result.output
    assert anonymous.post(ENROLL_PATH, json=enrol_body(first)).status_code == 403
    assert anonymous.post(ENROLL_PATH, json=enrol_body(code)).status_code == 200
    again = runner.invoke(main, [*_args(app, database_url), "new-code", "东岭服务站"])
    assert again.exit_code == 1 and "已登记或已停用" in again.output
    with _hub(app):
        reissued = [e.actor for e in entries_about("node:东岭服务站") if e.action == "node.code_reissue"]
    assert reissued == ["cli:cli"]


def test_new_code_writes_no_qr_code_into_the_data_folder_and_names_an_unknown_station(app, runner, database_url,
                                                                                      tmp_path):
    first = _station(app, tmp_path, "西岭服务站")
    inside = runner.invoke(main, [*_args(app, database_url), "new-code", "西岭服务站", "--qr",
                                  f"{app.config['DATA_DIR']}/code.png"])
    assert inside.exit_code == 1 and "不能存放在平台的数据文件夹" in inside.output
    with _hub(app):
        assert Node.get(Node.name == "西岭服务站").enrolment_code_hash == nodes._code_hash(first)  # still valid
    unknown = runner.invoke(main, [*_args(app, database_url), "new-code", "没有的站"])
    assert unknown.exit_code == 1 and "没有名为“没有的站”的站点" in unknown.output

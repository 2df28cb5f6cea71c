"""The command line and the management pages change things through the same domain functions, which write the
audit entry: the same action under each actor, whichever way it came; a bad rule value is refused alike."""

from __future__ import annotations

from hub.audit import entries
from hub.cli import main
from hub.store import db
from hub.store.models import ApiToken, CountyUser, FieldAccount, Node
from tests.hub.web.manage.test_stations import register
from tests.support import VILLAGES, import_county

VILLAGE = "/".join(VILLAGES[0])


def _actions(actor: str) -> list[str]:
    return sorted(e.action for e in entries(limit=500) if e.actor == actor)


def test_the_cli_and_the_pages_audit_the_same_actions(app, client, runner, database_url, tmp_path):
    with app.app_context(), db.database.connection_context():
        import_county(tmp_path)
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", database_url]
    cli = [["add-node", "命令行站", "--village", VILLAGE], ["new-code", "命令行站"],
           ["revoke-node", "命令行站", "--why", "设备丢失"],
           ["add-field-user", "cli1", "--name", "韦一", "--village", VILLAGE, "--password", "grid-pass-1"],
           ["disable-field-user", "cli1"], ["add-token", "命令行令牌"],
           ["revoke-token", "命令行令牌", "--why", "停用"],
           ["add-user", "cliuser", "--name", "甲", "--role", "viewer", "--password", "long-enough-1"],
           ["set-role", "cliuser", "--role", "staff", "--why", "调动"],
           ["reset-password", "cliuser", "--why", "忘记密码"], ["disable-user", "cliuser", "--why", "离职"],
           ["rule-setting", "p4_min_months", "7", "--why", "县里决定"]]
    for command in cli:
        result = runner.invoke(main, [*args, *command])
        assert result.exit_code == 0, (command, result.output)
    with app.app_context(), db.database.connection_context():
        _pages(client)
        assert _actions("cli:cli") == _actions("user:admin") == sorted(
            ["node.register", "node.code_reissue", "node.revoke", "field_account.create", "field_account.disable",
             "token.create", "token.revoke", "user.create", "role.change", "user.password_reset", "user.disable",
             "setting.change"])


def _pages(client) -> None:
    """The same changes as the commands, through the management pages."""
    register(client, "网页站", (1,))
    node = Node.get(Node.name == "网页站")
    client.post(f"/manage/stations/{node.id}/code", data={})
    client.post(f"/manage/stations/{node.id}/revoke", data={"why": "设备丢失"})
    client.post("/manage/field-accounts/add", data={"username": "web1", "display_name": "韦二", "village": VILLAGE,
                                                    "password": "grid-pass-1"})
    client.post(f"/manage/field-accounts/{FieldAccount.get(FieldAccount.username == 'web1').id}/disable", data={})
    client.post("/manage/tokens/add", data={"name": "网页令牌", "role": "viewer"})
    client.post(f"/manage/tokens/{ApiToken.get(ApiToken.name == '网页令牌').id}/revoke", data={"why": "停用"})
    client.post("/manage/users/add", data={"username": "webuser", "display_name": "乙", "role": "viewer",
                                           "password": "long-enough-1"})
    user_id = CountyUser.get(CountyUser.username == "webuser").id
    client.post(f"/manage/users/{user_id}/role", data={"role": "staff", "why": "调动"})
    client.post(f"/manage/users/{user_id}/reset", data={"why": "忘记密码"})
    client.post(f"/manage/users/{user_id}/disable", data={"why": "离职"})
    client.post("/manage/rules/p4_min_months", data={"value": "8", "why": "县里决定"})


def test_a_bad_rule_value_is_refused_in_chinese_on_the_command_line_too(app, runner, database_url):
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", database_url]
    result = runner.invoke(main, [*args, "rule-setting", "p4_min_months", "13"])
    assert result.exit_code == 1 and "应在 1 到 12 个月之间" in result.output
    unknown = runner.invoke(main, [*args, "rule-setting", "no_such", "1"])
    assert unknown.exit_code == 1 and "没有参数“no_such”" in unknown.output

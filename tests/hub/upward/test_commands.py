"""The upward commands say in Chinese what is wrong: the wrong level, a county not enrolled, a city that does not
answer, a region key of the wrong size — and change nothing."""

from __future__ import annotations

from hub.cli import main
from hub.store import db
from hub.store.models import UpwardLink, UpwardRecord


def _args(app) -> list[str]:
    return ["--data-dir", app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"]]


def test_each_command_runs_at_its_own_level_only(app, runner, monkeypatch):
    refused = runner.invoke(main, [*_args(app), "add-county", "融安县"])
    assert refused.exit_code == 1 and "只在市级或区级平台上使用" in refused.output
    monkeypatch.setenv("FIELDSYNC_HUB_LEVEL", "city")
    assert runner.invoke(main, [*_args(app), "push-up"]).exit_code == 1
    added = runner.invoke(main, [*_args(app), "add-county", "融安县"])
    assert added.exit_code == 0 and "一次性登记码" in added.output and "enroll-up --city" in added.output


def test_a_county_not_enrolled_is_told_how_and_an_unreachable_city_changes_nothing(app, runner, monkeypatch,
                                                                                     tmp_path):
    before = runner.invoke(main, [*_args(app), "push-up"])
    assert before.exit_code == 1 and "还没有在市级平台登记" in before.output
    with app.app_context(), db.database.connection_context():
        UpwardLink.create(city_url="http://127.0.0.1:9", signer_id=1, public_key=b"k" * 32,
                          enrolled_at="2026-11-01 00:00:00")
    offline = runner.invoke(main, [*_args(app), "push-up", "--month", "2026-10"])
    assert offline.exit_code == 1 and "连接不上市级平台" in offline.output
    with app.app_context(), db.database.connection_context():
        assert UpwardRecord.select().count() == 0  # staged only once the city said what it holds
    short = tmp_path / "short.key"
    short.write_bytes(b"x" * 5)
    monkeypatch.setenv("FIELDSYNC_REGION_PERSON_KEY_FILE", str(short))
    wrong = runner.invoke(main, [*_args(app), "push-up"])
    assert wrong.exit_code == 1 and "区域人员密钥文件应为 32 字节" in wrong.output

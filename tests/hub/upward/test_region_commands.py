"""The region's commands say in Chinese where they belong: `add-city` at a region hub only, `enroll-up` and
`push-up` at a county or city hub — and a city not enrolled at the region is told how."""

from __future__ import annotations

from hub.cli import main
from tests.hub.upward.test_commands import _args


def test_add_city_runs_at_a_region_hub_only(app, runner, monkeypatch):
    refused = runner.invoke(main, [*_args(app), "add-city", "柳州市"])
    assert refused.exit_code == 1 and "只在区级平台上使用" in refused.output
    monkeypatch.setenv("FIELDSYNC_HUB_LEVEL", "region")
    added = runner.invoke(main, [*_args(app), "add-city", "柳州市"])
    assert added.exit_code == 0 and "一次性登记码" in added.output and "在市级平台上运行" in added.output
    assert "enroll-up --city" in added.output
    assert runner.invoke(main, [*_args(app), "push-up"]).exit_code == 1
    enrol = runner.invoke(main, [*_args(app), "enroll-up", "--city", "http://127.0.0.1:9", "--code", "AAAA-BBBB-CCCC"])
    assert enrol.exit_code == 1 and "只在县级或市级平台上使用" in enrol.output


def test_a_city_not_enrolled_at_the_region_is_told_how(app, runner, monkeypatch):
    monkeypatch.setenv("FIELDSYNC_HUB_LEVEL", "city")
    before = runner.invoke(main, [*_args(app), "push-up"])
    assert before.exit_code == 1 and "还没有在区级平台登记" in before.output

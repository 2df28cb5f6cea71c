"""What the county sends out opens in Excel with its Chinese headers, and never shows a full ID number."""

from __future__ import annotations

import re

from openpyxl import load_workbook

from hub.cleaning import exports, runner
from hub.cleaning.catalogue import Context
from hub.cleaning.office import HEADER_ROW
from hub.cli import main
from hub.county.parameters import parameters
from tests.hub.cleaning.county_factory import PERIOD, TODAY, baseline, build

FULL_ID = re.compile(r"\d{17}[\dX]")


def test_exports_have_their_chinese_headers_and_masked_ids(hub_db, tmp_path):
    county = build(tmp_path)
    baseline(county)
    runner.run(PERIOD, TODAY)
    ctx = Context(PERIOD, TODAY, parameters())
    from hub.cleaning.rules import facts

    facts.build_household_months(ctx)
    written = exports.anomaly_lists(tmp_path / "out") + exports.untransferred_labour(tmp_path / "out", PERIOD)
    written += exports.quarterly_income(tmp_path / "out", ctx) + exports.coverage_table(tmp_path / "out", PERIOD)
    for path in written:
        if path.suffix == ".csv":
            raw = path.read_bytes()
            assert raw.startswith(b"\xef\xbb\xbf") and not FULL_ID.search(raw.decode("utf-8-sig"))
    labour = load_workbook(tmp_path / "out" / f"未转移就业脱贫劳动力就业情况统计表-{PERIOD}.xlsx").active
    assert [c.value for c in labour[HEADER_ROW]] == exports.LABOUR_TABLE_HEADERS
    coverage = load_workbook(tmp_path / "out" / f"走访覆盖-{PERIOD}.xlsx").active
    assert [c.value for c in coverage[HEADER_ROW]] == exports.COVERAGE_HEADERS
    assert [c.value for c in coverage[HEADER_ROW + 1]][3:] == [10, 10, 0, 1.0]
    assert coverage.cell(HEADER_ROW + 1, 7).number_format == "0.0%"
    income = load_workbook(tmp_path / "out" / f"收入分档与预警-{PERIOD}.xlsx").active
    incomes = list(income.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert incomes and {row[7] for row in incomes} <= {"高收入", "中等收入", "低收入"}
    assert all(isinstance(row[6], int) and isinstance(row[3], str) for row in incomes)  # money a number, 户编号 text


def test_the_anomaly_list_groups_a_townships_problems(hub_db, tmp_path):
    county = build(tmp_path)
    baseline(county, skip={county.rows[0]["household_id"]})  # one household never visited: P5
    runner.run(PERIOD, TODAY)
    paths = exports.anomaly_lists(tmp_path / "out", "板榄镇")
    sheet = load_workbook(paths[0]).active
    assert [c.value for c in sheet[HEADER_ROW]] == exports.ANOMALY_HEADERS
    rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert any(row[5] == "P5" and row[3] == county.rows[0]["household_id"] for row in rows)
    assert all(not FULL_ID.search(" ".join(str(v) for v in row)) for row in rows)


def test_clean_and_export_commands(app, runner, tmp_path, database_url):
    from hub.store import db

    with db.database.connection_context():
        county = build(tmp_path)
        baseline(county, skip={county.rows[0]["household_id"]})  # one P5 anomaly to answer
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", database_url]
    result = runner.invoke(main, [*args, "clean", "--period", PERIOD])
    assert result.exit_code == 0, result.output
    assert "清洗完成" in result.output and "P5" in result.output
    assert runner.invoke(main, [*args, "clean", "--period", "2026-13"]).exit_code == 1
    settings = runner.invoke(main, [*args, "rule-setting", "p1_min_income", "12000"])
    assert "p1_min_income = 12000" in settings.output
    exported = runner.invoke(main, [*args, "export", "--out", str(tmp_path / "reports"), "--period", PERIOD])
    assert exported.exit_code == 0 and "已写出" in exported.output
    written = {path.name for path in (tmp_path / "reports").iterdir()}
    assert {"务工信息及重点群体名单-2026年第3季度.xlsx", "季度分析-2026年第3季度.xlsx"} <= written  # October: Q3
    assert any(name.startswith("异常清单-板榄镇-") and name.endswith("-第1次.xlsx") for name in written)
    from hub.cleaning.anomalies import ANSWERED
    from hub.store.models import Anomaly

    first = Anomaly.select().first()
    answered = runner.invoke(main, [*args, "answer", str(first.id), "--verdict", "correct", "--note", "已入户核实"])
    assert answered.exit_code == 0 and Anomaly.get_by_id(first.id).status == ANSWERED
    assert runner.invoke(main, [*args, "answer", "99999", "--verdict", "correct", "--note", "x"]).exit_code == 1


def test_each_run_of_a_month_has_its_own_numbered_list(hub_db, tmp_path):
    county = build(tmp_path)
    baseline(county, skip={county.rows[0]["household_id"]})
    runner.run(PERIOD, TODAY)
    first = exports.anomaly_lists(tmp_path / "out", "板榄镇")
    runner.run(PERIOD, TODAY)
    second = exports.anomaly_lists(tmp_path / "out", "板榄镇")
    assert first[0].stem.endswith("-第1次") and second[0].stem.endswith("-第2次")
    assert first[0].exists() and second[0].exists()  # the second run did not overwrite the first list
    assert "第2次清洗" in load_workbook(second[0]).active["A1"].value

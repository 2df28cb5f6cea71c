"""Other departments' lists (DOMAIN.md §6): import (CSV/XLSX, bad rows, idempotent, replacement) and rules X1–X3."""

from __future__ import annotations

import csv
import random
import re
from datetime import date
from pathlib import Path

import click
import pytest
from openpyxl import Workbook

from devtools import synthetic
from hub.cleaning import runner
from hub.cleaning.anomalies import CLOSED, OPEN
from hub.cleaning.catalogue import person_subject
from hub.cleaning.rules import CATALOGUE
from hub.cli.roster import import_list_command
from hub.county.parameters import PARAMETERS, set_parameter
from hub.roster.department_lists import LIST_COLUMNS, import_list
from hub.store.models import Anomaly, DepartmentEntry, DepartmentList, Household, Person, VisitEmployment
from shared.errors import FieldsyncError
from tests.hub.cleaning.county_factory import MONTHS, PERIOD, TODAY, baseline, build, household_number, roster_rows

RND = random.Random(5)
FULL_ID = re.compile(r"\d{17}[\dX]")


def person(year: int, male: bool = True) -> str:
    return synthetic.make_id_number(RND, date(year, 3, 4), male)


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    if path.suffix == ".xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        workbook.save(path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows([header, *rows])
    return path


def headers(kind: str, chinese: bool) -> list[str]:
    return list(LIST_COLUMNS[kind].values() if chinese else LIST_COLUMNS[kind])


SAMPLES = {
    "death": [["韦一", person(1940), "2026-09-03"], ["覃二", person(1938, False), "2026/9/17"]],
    "assistance": [["韦三", person(1960), "农村低保"], ["覃四", person(1950, False), "特困"]],
    "student": [["韦五", person(2012), "融安县第一中学", "初中"], ["覃六", person(2016, False), "", ""]],
    "welfare_exit": [["韦七", person(1975), "2026/8/31", "护林员"], ["覃八", person(1970, False), "2026-09-30", ""]],
    "graduate": [["韦九", person(2002), "广西大学", "2025年6月"], ["覃十", person(2003, False), "", ""]],
    "yulu_graduate": [["韦十一", person(2004), "柳州职业技术学院", "2025"], ["覃十二", person(2005, False), "", ""]],
}
DETAILS = {"death": ["2026-09-03", "2026-09-17"], "assistance": ["低保", "特困"],
           "student": ["融安县第一中学 初中", ""], "welfare_exit": ["2026-08-31 护林员", "2026-09-30"],
           "graduate": ["广西大学 2025年6月", ""], "yulu_graduate": ["柳州职业技术学院 2025", ""]}


def entries(kind: str, month: str) -> list[tuple[str, str, str]]:
    return list(DepartmentEntry.select(DepartmentEntry.id_number, DepartmentEntry.name, DepartmentEntry.detail)
                .join(DepartmentList).where(DepartmentList.kind == kind, DepartmentList.month == month)
                .order_by(DepartmentEntry.id).tuples())


@pytest.mark.parametrize(("suffix", "chinese"), [(".csv", True), (".csv", False), (".xlsx", True), (".xlsx", False)])
@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_kind_imports_from_csv_and_xlsx(hub_db, tmp_path, kind, suffix, chinese):
    path = write(tmp_path / f"{kind}{suffix}", headers(kind, chinese), SAMPLES[kind])
    report = import_list(kind, path, "2026-10")
    assert (report.rows, report.imported, report.errors, report.unchanged) == (2, 2, [], False)
    assert entries(kind, "2026-10") == [(row[1], row[0], detail) for row, detail in zip(SAMPLES[kind], DETAILS[kind],
                                                                                         strict=True)]
    assert DepartmentList.get().rows == 2


def test_bad_rows_are_reported_by_row_number_and_the_rest_imports(hub_db, tmp_path):
    good, wrong_check = person(1941), person(1942)
    wrong_check = wrong_check[:17] + ("1" if wrong_check[17] != "1" else "2")
    rows = [["韦一", good, "2026-09-03"], ["", person(1943), "2026-09-04"], ["覃二", wrong_check, "2026-09-05"],
            ["覃三", person(1944), "九月"], ["覃四", "4.50224E+17", "2026-09-06"], ["韦一", good, "2026-09-03"],
            ["覃五", person(1945), ""]]
    report = import_list("death", write(tmp_path / "death.csv", headers("death", True), rows), "2026-09")
    assert report.rows == 7 and report.imported == 1
    reasons = {error.row: error.message for error in report.errors}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert "姓名" in reasons[3] and "校验位" in reasons[4] and "日期" in reasons[5] and "科学计数法" in reasons[6]
    assert "第 2 行重复" in reasons[7] and "死亡日期" in reasons[8]
    assert entries("death", "2026-09") == [(good, "韦一", "2026-09-03")]
    bad_class = write(tmp_path / "assistance.csv", headers("assistance", True), [["韦三", person(1960), "临时救助"]])
    report = import_list("assistance", bad_class, "2026-09")
    assert report.imported == 0 and report.errors[0].row == 2 and "低保 / 特困" in report.errors[0].message


def test_a_file_without_a_required_column_or_with_a_bad_month_is_refused(hub_db, tmp_path):
    path = write(tmp_path / "death.csv", ["姓名", "证件号码"], [["韦一", person(1941)]])
    with pytest.raises(FieldsyncError) as caught:
        import_list("death", path, "2026-09")
    assert "死亡日期" in caught.value.message
    with pytest.raises(FieldsyncError):
        import_list("death", write(tmp_path / "ok.csv", headers("death", True), SAMPLES["death"]), "2026-13")
    assert DepartmentList.select().count() == 0


def test_importing_the_same_file_again_changes_nothing(hub_db, tmp_path):
    path = write(tmp_path / "assistance.xlsx", headers("assistance", True), SAMPLES["assistance"])
    import_list("assistance", path, "2026-10")
    before = list(DepartmentEntry.select().tuples()), list(DepartmentList.select().tuples())
    again = import_list("assistance", path, "2026-10")
    assert again.unchanged and again.imported == 0 and again.rows == 2
    assert (list(DepartmentEntry.select().tuples()), list(DepartmentList.select().tuples())) == before


def test_a_new_file_replaces_that_months_list_of_that_kind_only(hub_db, tmp_path):
    header = headers("student", True)
    import_list("student", write(tmp_path / "s9.csv", header, SAMPLES["student"]), "2026-09")
    import_list("student", write(tmp_path / "s10.csv", header, SAMPLES["student"]), "2026-10")
    import_list("death", write(tmp_path / "d10.csv", headers("death", True), SAMPLES["death"]), "2026-10")
    newer = [["莫七", person(2011), "融安县第二中学", "初中"]]
    report = import_list("student", write(tmp_path / "s10b.xlsx", header, newer), "2026-10")
    assert (report.imported, report.replaced, report.unchanged) == (1, 2, False)
    assert entries("student", "2026-10") == [(newer[0][1], "莫七", "融安县第二中学 初中")]
    assert len(entries("student", "2026-09")) == 2 and len(entries("death", "2026-10")) == 2
    assert DepartmentList.select().where(DepartmentList.kind == "student").count() == 2
    # a file none of whose rows can be read keeps the month's list
    broken = import_list("student", write(tmp_path / "s10c.csv", header, [["", person(2010), "", ""]]), "2026-10")
    assert broken.imported == 0 and broken.errors and len(entries("student", "2026-10")) == 1
    # the first file again is a new file for the month: it replaces the second
    assert import_list("student", tmp_path / "s10.csv", "2026-10").replaced == 1
    assert len(entries("student", "2026-10")) == 2


def test_the_command_reports_rows_in_chinese_and_exits_2_on_errors(app, runner, tmp_path, database_url):
    obj = {"DATA_DIR": app.config["DATA_DIR"], "DATABASE_URL": database_url}
    good = write(tmp_path / "death.csv", headers("death", True), SAMPLES["death"])
    result = runner.invoke(import_list_command, ["death", str(good), "--month", "2026-09"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "读取 2 行，导入 2 条" in result.output
    again = runner.invoke(import_list_command, ["death", str(good), "--month", "2026-09"], obj=obj)
    assert again.exit_code == 0 and "已经导入过" in again.output
    bad = write(tmp_path / "bad.csv", headers("death", True), [*SAMPLES["death"], ["", person(1930), "2026-09-01"]])
    result = runner.invoke(import_list_command, ["death", str(bad), "--month", "2026-09"], obj=obj)
    assert result.exit_code == 2
    assert "未导入 第 4 行" in result.output and "替换了原先的 2 条" in result.output
    assert runner.invoke(import_list_command, ["death", str(good), "--month", "9月"], obj=obj).exit_code == 1
    assert runner.invoke(import_list_command, ["birth", str(good), "--month", "2026-09"], obj=obj).exit_code == 2
    assert "YYYY-MM" in import_list_command.get_help(click.Context(import_list_command))


# --- rules X1–X3 on a made-up county -----------------------------------------------------------------------------

H = {f"h{i}": household_number(0, i) for i in range(10)} | {f"g{i}": household_number(1, i) for i in range(10)}
POOR = H["g1"]  # low income all year


def test_the_cross_checks_are_in_the_catalogue():
    assert {"X1", "X2", "X3"} <= set(CATALOGUE)
    for rule_id in ("X1", "X2", "X3"):
        rule = CATALOGUE[rule_id]
        assert rule.zh and rule.en and rule.source == "002 §二(一)5" and rule.severity in {"high", "medium", "low"}
    assert PARAMETERS["x2_high_income"].default == 15_000


@pytest.fixture
def county(hub_db, tmp_path):
    rows = roster_rows()
    member = {(r["household_id"], r["relation"]): r for r in rows}
    member[(H["g2"], "配偶")]["status"] = "死亡"  # already recorded as deceased: X1 must not fire
    county = build(tmp_path, rows)
    county.member = member
    baseline(county, skip={POOR})
    for index, month in enumerate(MONTHS):
        county.visit(POOR, month, wage=0, business=100 + index, transfer=100, expenses=0)
    return county


def anomalies(rule_id: str) -> dict[str, Anomaly]:
    numbers = dict(Household.select(Household.id, Household.number).tuples())
    names = {number: name for name, number in H.items()}
    return {names[numbers[a.household_id]]: a for a in Anomaly.select().where(Anomaly.rule == rule_id,
                                                                                Anomaly.status == OPEN)}


def id_of(county, name: str, relation: str) -> str:
    return county.member[(H[name], relation)]["id_number"]


def plant_lists(county, tmp_path: Path) -> None:
    m = county.member
    death = [[m[(H["h0"], "配偶")]["name"], id_of(county, "h0", "配偶"), "2026-04-30"],  # X1
             [m[(H["g2"], "配偶")]["name"], id_of(county, "g2", "配偶"), "2026-05-01"],  # already 死亡
             ["外县人", person(1935), "2026-05-02"]]  # not on the roster
    import_list("death", write(tmp_path / "death5.csv", headers("death", True), death), "2026-05")
    later = [["韦迟", id_of(county, "h2", "户主"), "2026-11-02"]]  # a later month than the period
    import_list("death", write(tmp_path / "death11.csv", headers("death", True), later), "2026-11")
    assistance = [["韦高", id_of(county, "h3", "户主"), "低保"],  # X2: the baseline income is high
                  ["覃低", id_of(county, "g1", "户主"), "特困"]]  # POOR: low income
    import_list("assistance", write(tmp_path / "a10.xlsx", headers("assistance", False), assistance), PERIOD)
    older = [["韦旧", id_of(county, "h4", "户主"), "低保"]]  # only on an older roster
    import_list("assistance", write(tmp_path / "a9.csv", headers("assistance", True), older), "2026-09")
    students = [[m[(H[name], "之子")]["name"], id_of(county, name, "之子"), "融安县实验小学", "小学"]
                for name in ("h5", "h6", "h7", "h8", "h9")]
    import_list("student", write(tmp_path / "s9.csv", headers("student", True), students), "2026-09")
    for name, place, months, month in (("h5", "county", 10, PERIOD),  # X3: months worked
                                       ("h8", "outside", 0, PERIOD),  # X3: worked away
                                       ("h7", "county", 0, PERIOD),  # not counted as a migrant worker
                                       ("h9", "outside", 9, "2026-09")):  # not in the period's visits
        child = id_of(county, name, "之子")
        jobs = [(adult["id_number"], int(month[5:]), 3000) for adult in county.adults(H[name])]
        county.normal_month(H[name], month, 1, jobs=[*jobs, (child, months, 0)])
        VisitEmployment.update(place=place).where(VisitEmployment.id_number == child).execute()


def test_no_cross_check_fires_without_lists_or_on_fine_data(county):
    runner.run(PERIOD, TODAY)
    assert all(not anomalies(rule_id) for rule_id in ("X1", "X2", "X3"))


def test_each_cross_check_finds_its_cases_and_nothing_else(county, tmp_path):
    plant_lists(county, tmp_path)
    first = runner.run(PERIOD, TODAY)
    found = {rule_id: anomalies(rule_id) for rule_id in ("X1", "X2", "X3")}
    assert {rule_id: set(hits) for rule_id, hits in found.items()} == {"X1": {"h0"}, "X2": {"h3"}, "X3": {"h5", "h8"}}
    for hits in found.values():
        for anomaly in hits.values():
            assert not FULL_ID.search(anomaly.subject) and "*" in anomaly.subject
    assert found["X1"]["h0"].key == f"X1:{person_subject(county.ids[H['h0']], id_of(county, 'h0', '配偶'))}"
    assert '"death_date": "2026-04-30"' in found["X1"]["h0"].detail
    assert '"line": 15000' in found["X2"]["h3"].detail
    # the same data again: the same anomalies, none newly opened or closed
    second = runner.run(PERIOD, TODAY)
    assert (second.opened, second.closed) == (0, 0)
    assert {a.key: a.id for hits in found.values() for a in hits.values()} == {
        a.key: a.id for rule_id in ("X1", "X2", "X3") for a in anomalies(rule_id).values()}
    assert first.id != second.id


def test_the_high_income_line_is_a_county_setting(county, tmp_path):
    plant_lists(county, tmp_path)
    set_parameter("x2_high_income", "999999", actor="test", why="测试")
    runner.run(PERIOD, TODAY)
    assert not anomalies("X2")


def test_a_fixed_record_closes_the_cross_check(county, tmp_path):
    plant_lists(county, tmp_path)
    runner.run(PERIOD, TODAY)
    Person.update(status="死亡").where(Person.id_number == id_of(county, "h0", "配偶")).execute()
    newer = [["覃六", person(2016, False), "融安县实验小学", "小学"]]  # a newer student list without h5, h8
    import_list("student", write(tmp_path / "s10.csv", headers("student", True), newer), PERIOD)
    runner.run(PERIOD, TODAY)
    assert not anomalies("X1") and not anomalies("X3")
    assert Anomaly.select().where(Anomaly.rule.in_(["X1", "X3"]), Anomaly.status == CLOSED).count() == 3

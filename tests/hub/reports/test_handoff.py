"""The quarterly hand-off to 县人社局 (002 employment §二(一)2): one workbook, one sheet per list — the quarter's
work per labourer and the five groups needing employment support — in the office form, printed by LibreOffice."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from devtools import synthetic
from hub.accounts.users import Principal
from hub.cleaning import exports, office
from hub.cli.cleaning import export
from hub.reports import figures, handoff
from hub.roster.department_lists import import_list
from hub.store import db
from hub.store.models import AuditLog
from shared.errors import ErrorCode, FieldsyncError
from tests.hub.cleaning.county_factory import baseline, build
from tests.hub.cleaning.test_labour_table import AT_RISK, DISABLED, MONITORED, RETURNED, planted_rows
from tests.hub.cleaning.test_office_pdf import ARTIFACTS, CHINESE, render
from tests.hub.roster.test_table_imports import soffice

FULL_ID = re.compile(r"\d{17}[\dX]")


def test_quarters_are_counted_from_the_month():
    assert handoff.last_quarter_end("2026-09") == "2026-09"
    assert handoff.last_quarter_end("2026-10") == "2026-09"
    assert handoff.last_quarter_end("2026-02") == "2025-12"
    assert handoff.quarter_label("2026-09") == "2026年第3季度"


def test_the_handoff_has_one_sheet_per_list_with_work_and_groups(hub_db, tmp_path):
    county = build(tmp_path, planted_rows())
    baseline(county, skip={MONITORED, RETURNED})  # their labourers did not work: they are on the lists
    written = handoff.quarterly_handoff(tmp_path / "out", "2026-09")
    assert [p.suffix for p in written] == [".xlsx"] and "2026年第3季度" in written[0].name
    workbook = load_workbook(written[0])
    assert workbook.sheetnames == ["务工信息", *exports.PERSON_TYPES]
    work = workbook["务工信息"]
    assert [c.value for c in work[office.HEADER_ROW]] == handoff.WORK_HEADERS
    rows = [r for r in work.iter_rows(min_row=office.HEADER_ROW + 1, values_only=True) if isinstance(r[0], int)]
    assert len(rows) == 36  # eighteen working households of two labourers
    assert {(r[6], r[8], r[9]) for r in rows} == {("县内", 9, 9000)}  # July–September at 3,000 yuan a month
    assert all(isinstance(r[3], str) and "*" in r[5] for r in rows)
    names = {r["id_number"]: r["name"] for r in county.rows}

    def listed(sheet: str) -> set[str]:
        return {r[4] for r in workbook[sheet].iter_rows(min_row=office.HEADER_ROW + 1, values_only=True)
                if isinstance(r[0], int)}

    assert listed("监测对象") == {names[a["id_number"]] for a in county.adults(MONITORED)}
    assert names[county.adults(RETURNED)[0]["id_number"]] in listed("返乡回流脱贫劳动力")
    for kind in exports.PERSON_TYPES[2:]:  # no department list imported yet: the sheet says so
        assert any("尚未导入此名单" in str(c.value) for c in workbook[kind]["A"])
    assert handoff.FROM_ROSTER in [c.value for c in workbook["监测对象"]["A"]]
    text = "".join(page.extract_text() for page in PdfReader(render(written, ARTIFACTS, tmp_path / "lo")[
        written[0].stem]).pages)
    assert not FULL_ID.search(text)
    for kind in exports.PERSON_TYPES:
        assert f"需要就业帮扶的{kind}名单" in re.sub(r"\s+", "", text)


# --- the three groups from the departments' lists, in files LibreOffice wrote --------------------------------------

LISTS = {"welfare_exit": (["姓名", "证件号码", "退出时间", "原岗位"], "xls"),
         "graduate": (["姓名", "证件号码", "毕业院校", "毕业时间"], "ods"),
         "yulu_graduate": (["姓名", "证件号码", "毕业院校", "毕业时间"], "xlsx")}


def libreoffice_lists(tmp_path: Path, people: dict[str, list[dict]]) -> dict[str, Path]:
    """Each kind's list as openpyxl writes it (ID column as text), then saved by LibreOffice as xls, ods or xlsx."""
    sources = {}
    for kind, (header, _suffix) in LISTS.items():
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(header)
        for person in people[kind]:
            extra = "护林员" if kind == "welfare_exit" else ""
            sheet.append([person["name"], person["id_number"], "2026-06-30", extra])
            sheet.cell(sheet.max_row, 2).number_format = "@"
        sources[kind] = tmp_path / f"{kind}.xlsx"
        workbook.save(sources[kind])
    written = {}
    for kind, (_header, suffix) in LISTS.items():
        soffice(tmp_path / "profile", suffix, [sources[kind]], tmp_path / suffix)
        written[kind] = tmp_path / suffix / f"{kind}.{suffix}"
    return written


@pytest.fixture
def typed_county(hub_db, tmp_path):
    return plant_typed_county(tmp_path)


def plant_typed_county(tmp_path: Path):
    """The planted county; the returned household's spouse left a public-welfare post, a disabled household's
    adult is an unemployed graduate, an at-risk household's adult a 雨露计划 graduate; a monitored adult also left
    a post (监测对象 comes first); a later month's list names someone else (not yet known in September)."""
    county = build(tmp_path, planted_rows())
    baseline(county, skip={MONITORED, RETURNED, DISABLED, AT_RISK})
    stranger = {"name": "外县人", "id_number": synthetic.make_id_number(random.Random(3), date(1990, 1, 1), True)}
    people = {"welfare_exit": [county.adults(RETURNED)[1], county.adults(MONITORED)[0], stranger],
              "graduate": [county.adults(DISABLED)[0]], "yulu_graduate": [county.adults(AT_RISK)[0]]}
    for kind, path in libreoffice_lists(tmp_path, people).items():
        report = import_list(kind, path, "2026-09")
        assert (report.imported, report.errors) == (len(people[kind]), []), report.errors
    later = write_csv(tmp_path / "later.csv", ["姓名", "证件号码"], [[county.adults(AT_RISK)[1]["name"],
                                                                     county.adults(AT_RISK)[1]["id_number"]]])
    assert import_list("yulu_graduate", later, "2026-12").imported == 1
    return county, people


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(row) for row in [header, *rows]) + "\n", encoding="utf-8-sig")
    return path


def sheet_names(workbook, sheet: str) -> list[str]:
    return [r[4] for r in workbook[sheet].iter_rows(min_row=office.HEADER_ROW + 1, values_only=True)
            if isinstance(r[0], int)]


def test_the_three_groups_come_from_the_departments_lists(typed_county, tmp_path):
    county, people = typed_county
    names = {r["id_number"]: r["name"] for r in county.rows}
    workbook = load_workbook(handoff.quarterly_handoff(tmp_path / "out", "2026-09")[0])
    assert sheet_names(workbook, "公益性岗位退出人员") == [people["welfare_exit"][0]["name"]]
    assert sheet_names(workbook, "脱贫户高校未就业毕业生") == [people["graduate"][0]["name"]]
    assert sheet_names(workbook, "雨露计划未就业毕业生") == [people["yulu_graduate"][0]["name"]]
    assert names[people["welfare_exit"][1]["id_number"]] in sheet_names(workbook, "监测对象")
    footer = [c.value for c in workbook["公益性岗位退出人员"]["A"] if c.value and "名单来源" in str(c.value)]
    assert footer == ["名单来源：县人社局公益性岗位退出人员名单（2026年9月）。"]

    exports.untransferred_labour(tmp_path / "table", "2026-09")
    sheet = load_workbook(tmp_path / "table" / "未转移就业脱贫劳动力就业情况统计表-2026-09.xlsx").active
    header = [c.value for c in sheet[office.HEADER_ROW]]
    typed = {row[header.index("姓名")]: row[header.index("未转移就业人员类型")]
             for row in sheet.iter_rows(min_row=office.HEADER_ROW + 1, values_only=True) if isinstance(row[0], int)}
    assert typed[people["graduate"][0]["name"]] == "脱贫户高校未就业毕业生"
    assert typed[people["yulu_graduate"][0]["name"]] == "雨露计划未就业毕业生"
    assert typed[names[county.adults(AT_RISK)[1]["id_number"]]] is None  # December's list is not September's

    by_type = figures.untransferred(None, "2026-09")
    totals = {kind: sum(unit[kind] for unit in by_type.values()) for kind in figures.LABOUR_TYPES}
    assert [totals[kind] for kind in exports.PERSON_TYPES[2:]] == [1, 1, 1]
    assert totals == Counter({kind: list(typed.values()).count(kind) for kind in exports.PERSON_TYPES}) | {
        figures.UNTYPED: list(typed.values()).count(None)}


# --- full ID numbers for 县人社局: an administrator only, with a reason, audited -----------------------------------

ADMIN, STAFF = Principal("user", "zhang", "admin", None), Principal("user", "li", "staff", None)


def test_full_ids_only_for_an_administrator_with_a_reason_and_audited(typed_county, tmp_path):
    county, _people = typed_county
    masked = load_workbook(handoff.quarterly_handoff(tmp_path / "masked", "2026-09")[0])
    assert not any(FULL_ID.search(str(c.value or "")) for ws in masked for row in ws.iter_rows() for c in row)
    for who, why, code in ((STAFF, "人社局来函", ErrorCode.FORBIDDEN), (ADMIN, "  ", ErrorCode.INVALID_FIELDS)):
        with pytest.raises(FieldsyncError) as refused:
            handoff.quarterly_handoff(tmp_path / "refused", "2026-09", full_ids=handoff.FullIds(who, why))
        assert refused.value.code is code and CHINESE.search(refused.value.message)
    assert not (tmp_path / "refused").exists() and AuditLog.select().count() == 0

    written = handoff.quarterly_handoff(tmp_path / "full", "2026-09",
                                        full_ids=handoff.FullIds(ADMIN, "县人社局2026年第3季度就业帮扶来函"))
    assert written[0].name == "务工信息及重点群体名单-2026年第3季度-含完整证件号码.xlsx"
    workbook = load_workbook(written[0])
    ids = {r["id_number"] for r in county.rows}
    shown = [row[5] for ws in workbook for row in ws.iter_rows(min_row=office.HEADER_ROW + 1, values_only=True)
             if isinstance(row[0], int)]
    assert shown and set(shown) <= ids  # every row identifies its person in full
    assert all(workbook[name].cell(office.HEADER_ROW + 1, 6).number_format == "@" for name in workbook.sheetnames
               if workbook[name].max_row > office.HEADER_ROW + 2)
    assert "含完整证件号码" in workbook["务工信息"]["A1"].value
    assert handoff.FULL_IDS_WARNING in [c.value for c in workbook["务工信息"]["A"]]
    entry = AuditLog.get(AuditLog.action == "handoff.full_ids")
    assert (entry.actor, entry.subject, entry.why) == ("user:zhang", "handoff:2026-09",
                                                       "县人社局2026年第3季度就业帮扶来函")
    assert not FULL_ID.search(entry.after_json) and json.loads(entry.after_json)["rows"] == len(shown)


def test_the_command_writes_full_ids_only_with_a_reason(app, runner, tmp_path, database_url):
    with app.app_context(), db.database.connection_context():
        plant_typed_county(tmp_path)
    obj = {"DATA_DIR": app.config["DATA_DIR"], "DATABASE_URL": database_url}
    base = ["--out", str(tmp_path / "cli"), "--period", "2026-10"]
    refused = runner.invoke(export, [*base, "--full-ids"], obj=obj)
    assert refused.exit_code != 0 and "原因" in refused.output and not (tmp_path / "cli").exists()
    done = runner.invoke(export, [*base, "--full-ids", "--why", "人社局来函"], obj=obj)
    assert done.exit_code == 0, done.output
    assert (tmp_path / "cli" / "务工信息及重点群体名单-2026年第3季度-含完整证件号码.xlsx").exists()
    assert (tmp_path / "cli" / "务工信息及重点群体名单-2026年第3季度.xlsx").exists()
    with app.app_context(), db.database.connection_context():
        assert [e.actor for e in AuditLog.select().where(AuditLog.action == "handoff.full_ids")] == ["cli:cli"]

"""What a clerk checks before sending a table (issue 16): every XLSX the hub writes, rendered by LibreOffice headless
to PDF, prints the official table with all 14 columns on one landscape page width and its header again on page 2;
sheet names and titles are Chinese; no cell is a formula; household numbers are text in XLSX and CSV.  The PDFs
are kept in artifacts/reports/."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from devtools import synthetic
from hub.cleaning import exports, office, runner
from hub.cleaning.catalogue import Context
from hub.cleaning.rules import facts
from hub.county.parameters import parameters
from hub.roster import support_ledger
from hub.roster.department_lists import import_list
from hub.roster.importer import import_roster
from tests.hub.cleaning.county_factory import PERIOD, TODAY

ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts" / "reports"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
LABOUR_TITLE_IN_NAME = re.compile(rf"^{exports.LABOUR_TITLE}-\d{{4}}-\d{{2}}\.csv$")


def render(sources: list[Path], outdir: Path, profile: Path) -> dict[str, Path]:
    """One LibreOffice run printing every source to PDF; the PDFs by source stem."""
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice is missing: run `make system-deps` (package libreoffice-calc-nogui)")
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(outdir), *map(str, sources)], check=True, capture_output=True, timeout=300)
    return {source.stem: outdir / f"{source.stem}.pdf" for source in sources}


def pages_as_png(pdf: Path, last_page: int = 2) -> list[Path]:
    """Pages 1..``last_page`` of ``pdf`` drawn as PNG beside it (poppler's pdftoppm), kept as artifacts to look at."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: run `make system-deps` (package poppler-utils)")
    for old in pdf.parent.glob(f"{pdf.stem}-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", str(last_page), str(pdf),
                    str(pdf.parent / f"{pdf.stem}-page")], check=True, capture_output=True, timeout=120)
    return sorted(pdf.parent.glob(f"{pdf.stem}-page-*.png"))


def plant_ledger_and_lists(tmp_path: Path) -> None:
    """The first untransferred labourers: one with the whole "251" package, one with part of it; one on 教育局's
    list of unemployed graduates — so the printed table shows every column filled as a clerk would send it."""
    people = [person for person, _kind, _reason in exports.untransferred_people(PERIOD)][:3]
    for action in ("guidance", "guidance", "training", "job", "job", "job", "job", "job"):
        support_ledger.record_action("user:tang", people[0], action, "2026-09-20", "", TODAY)
    support_ledger.record_action("user:tang", people[1], "guidance", "2026-10-08", "", TODAY)
    graduates = tmp_path / "graduates.csv"
    graduates.write_text(f"姓名,证件号码,毕业院校\n{people[2].name},{people[2].id_number},广西大学\n", encoding="utf-8")
    assert import_list("graduate", graduates, PERIOD).imported == 1


@pytest.fixture
def reports(hub_db, tmp_path) -> tuple[list[Path], dict[str, Path]]:
    """A county of three villages, one cleaning run, every report written, every XLSX printed to PDF."""
    villages = [("板榄镇", "东岭村"), ("板榄镇", "下坡村"), ("大将镇", "富乐村")]
    rows = synthetic.generate_roster(7, villages, 30)
    synthetic.write_roster_csv(rows, tmp_path / "county.csv")
    assert not import_roster(tmp_path / "county.csv").errors
    runner.run(PERIOD, TODAY)
    plant_ledger_and_lists(tmp_path)
    ctx = Context(PERIOD, TODAY, parameters())
    facts.build_household_months(ctx)
    out = tmp_path / "out"
    written = exports.anomaly_lists(out) + exports.untransferred_labour(out, PERIOD, per_village=True)
    written += exports.quarterly_income(out, ctx) + exports.coverage_table(out, PERIOD)
    books = [path for path in written if path.suffix == ".xlsx"]
    pdfs = render(books, ARTIFACTS, tmp_path / "profile")
    return written, pdfs


def labour_file(written: list[Path], suffix: str) -> Path:
    return next(p for p in written if p.suffix == suffix and p.stem == f"{exports.LABOUR_TITLE}-{PERIOD}")


def check_the_official_table_prints_one_page_wide_with_its_header_on_every_page(reports):
    written, pdfs = reports
    pages = PdfReader(pdfs[labour_file(written, ".xlsx").stem]).pages
    assert len(pages) >= 2, "the county's table has more rows than one page holds"
    first, second = (re.sub(r"\s+", "", page.extract_text()) for page in pages[:2])
    assert f"融安县{exports.LABOUR_TITLE}" in first and "填报单位：融安县" in first and "统计时间：2026年10月" in first
    for header in exports.LABOUR_TABLE_HEADERS:  # every column on page 1: the table is one page wide
        assert re.sub(r"\s+", "", header) in first, header
    assert "未转移就业原因" in second and "备注" in second and "序号" in second  # the header repeats
    assert "填报单位" not in second  # the title block prints once
    assert "251台账：职业指导2/2次，岗位推荐5/5个，技能培训1/1次" in first and "脱贫户高校未就业毕业生" in first
    width, height = pages[0].mediabox.width, pages[0].mediabox.height
    assert width > height  # landscape
    pictures = pages_as_png(pdfs[labour_file(written, ".xlsx").stem])
    assert len(pictures) == 2 and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pictures)
    assert all(p.stat().st_size > 10_000 for p in pictures)  # drawn pages, not blank ones


def check_the_csv_has_no_title_block(reports):
    """Decided (docs/reports.md): the CSV holds the header row on line 1 and the data only.  Title, 填报单位 and
    统计时间 lines above it would be the first thing every program reading the file takes for its header; Excel
    users have the XLSX, which carries them.  The title and month are in the file's name."""
    written, _ = reports
    path = labour_file(written, ".csv")
    assert path.read_bytes().startswith("\ufeff序号,".encode())  # BOM for Excel, then the header at once
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == exports.LABOUR_TABLE_HEADERS and rows[0]["序号"] == "1"
    assert [row["序号"] for row in rows] == [str(i) for i in range(1, len(rows) + 1)]  # no footer line either
    assert LABOUR_TITLE_IN_NAME.search(path.name)


def check_every_report_has_chinese_sheets_and_titles_and_no_formula(reports):
    written, pdfs = reports
    books = [path for path in written if path.suffix == ".xlsx"]
    assert len(books) >= 7  # 2 townships' anomaly lists, county + 3 village tables, income, coverage
    for path in books:
        workbook = load_workbook(path)
        for sheet in workbook.worksheets:
            assert CHINESE.search(sheet.title) and sheet.title != "Sheet", path.name
            assert CHINESE.search(str(sheet["A1"].value)), path.name
            assert sheet.freeze_panes == f"A{office.HEADER_ROW + 1}"
            assert sheet.print_title_rows == f"${office.HEADER_ROW}:${office.HEADER_ROW}"
            assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
            assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"], path.name
        assert pdfs[path.stem].exists() and PdfReader(pdfs[path.stem]).pages


def check_numbers_stay_numbers_and_identifiers_stay_text(reports):
    written, _ = reports
    listing = next(p for p in written if p.suffix == ".xlsx" and p.name.startswith("异常清单-板榄镇"))
    sheet = load_workbook(listing).active
    header = [c.value for c in sheet[office.HEADER_ROW]]
    number, serial = header.index("户编号"), header.index("序号")
    data = [row for row in sheet.iter_rows(min_row=office.HEADER_ROW + 1) if row[number].value]
    assert data and all(row[number].data_type == "s" and row[number].number_format == "@" for row in data)
    assert all(re.fullmatch(r"\d{15,}", row[number].value) for row in data)
    assert all(isinstance(row[serial].value, int) for row in data)
    coverage = load_workbook(next(p for p in written if p.suffix == ".xlsx" and p.name.startswith("走访覆盖"))).active
    share = coverage.cell(office.HEADER_ROW + 1, len(exports.COVERAGE_HEADERS))
    assert isinstance(share.value, int | float) and share.number_format == office.PERCENT_FORMAT
    with listing.with_suffix(".csv").open(encoding="utf-8-sig", newline="") as handle:
        cells = [row[number] for row in list(csv.reader(handle))[1:] if row[number]]
    assert cells and all(re.fullmatch(r"\t\d{15,}", cell) for cell in cells)  # read by Excel as text


def check_village_tables_are_numbered_from_one_and_name_their_village(reports):
    written, pdfs = reports
    villages = [p for p in written if p.suffix == ".xlsx" and p.parent.name == "各村未转移就业统计表"]
    assert len(villages) == 3
    for path in villages:
        sheet = load_workbook(path).active
        assert sheet.cell(office.HEADER_ROW + 1, 1).value == 1
        village = sheet.cell(office.HEADER_ROW + 1, 4).value
        assert village in path.name and f"填报单位：{sheet.cell(office.HEADER_ROW + 1, 3).value}{village}" == \
            sheet["A2"].value


def check_anomaly_lists_are_dated_and_numbered_and_worded_in_chinese(reports):
    written, pdfs = reports
    lists = [p for p in written if p.suffix == ".xlsx" and p.name.startswith("异常清单")]
    assert lists and all(re.search(r"-\d{4}-\d{2}-\d{2}-第1次$", p.stem) for p in lists)
    sheet = load_workbook(lists[0]).active
    assert re.search(r"第1次清洗", sheet["A1"].value)
    explanations = [row[7] for row in sheet.iter_rows(min_row=office.HEADER_ROW + 1, values_only=True) if row[5]]
    assert explanations and not [text for text in explanations if re.search(r"[a-z_]+=", text or "")]
    text = re.sub(r"\s+", "", PdfReader(pdfs[lists[0].stem]).pages[0].extract_text())
    assert "第1次清洗" in text and "说明" in text


def test_what_a_clerk_checks_before_sending(reports):
    """One county rendered once (LibreOffice takes its time), every check on it."""
    check_the_official_table_prints_one_page_wide_with_its_header_on_every_page(reports)
    check_every_report_has_chinese_sheets_and_titles_and_no_formula(reports)
    check_numbers_stay_numbers_and_identifiers_stay_text(reports)
    check_village_tables_are_numbered_from_one_and_name_their_village(reports)
    check_anomaly_lists_are_dated_and_numbered_and_worded_in_chinese(reports)
    check_the_csv_has_no_title_block(reports)

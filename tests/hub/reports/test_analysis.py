"""The quarterly analysis (002 §二(四)1): per township income by source against the same quarter last year, income
classes, work places and anomalies, each sheet with a native chart, printed by LibreOffice."""

from __future__ import annotations

import re

from openpyxl import load_workbook
from pypdf import PdfReader

from hub.cleaning import office, runner
from hub.county.parameters import parameters
from hub.reports import analysis
from tests.hub.cleaning.county_factory import TODAY, baseline, build
from tests.hub.cleaning.test_office_pdf import ARTIFACTS, render


def test_the_quarterly_analysis_has_its_figures_and_charts(hub_db, tmp_path):
    county = build(tmp_path)
    baseline(county)
    runner.run("2026-09", TODAY)
    written = analysis.quarterly_analysis(tmp_path / "out", "2026-09", parameters())
    workbook = load_workbook(written[0])
    assert workbook.sheetnames == ["收入来源", "收入分档", "务工地点", "异常情况"]

    def rows(name: str) -> dict[str, tuple]:
        sheet = workbook[name]
        return {r[0]: r for r in sheet.iter_rows(min_row=office.HEADER_ROW + 1, values_only=True) if r[0]}

    income = rows("收入来源")["板榄镇"]
    assert income[1] == 20 * 3 * 6000  # twenty households, three months, two wages of 3,000 yuan
    assert income[6] > income[7] > 0 and abs(income[8] - (income[6] / income[7] - 1)) < 0.01  # 25 % growth
    assert workbook["收入来源"].cell(office.HEADER_ROW + 1, 9).number_format == office.PERCENT_FORMAT
    assert sum(rows("收入分档")["合计"][1:4]) == 20
    assert rows("务工地点")["板榄镇"][1:] == (40, 0, 0, 40)
    assert rows("异常情况")["合计"] is not None
    assert all(len(sheet._charts) == 1 for sheet in workbook.worksheets)
    pdf = render(written, ARTIFACTS, tmp_path / "lo")[written[0].stem]
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(pdf).pages))
    assert "2026年第3季度" in text and "务工地点" in text
    assert text.count("各乡(镇)收入来源及同比") >= 2  # the table's title and the chart's, drawn by LibreOffice


def test_work_places_are_in_the_countys_words(hub_db, tmp_path):
    """A Guangxi county (REGION_WORD 区) reads 区内县外 and 区外, never 省外, as its stations' forms say."""
    county = build(tmp_path)
    baseline(county)
    written = analysis.quarterly_analysis(tmp_path / "out", "2026-09", parameters(), "区")
    sheet = load_workbook(written[0])["务工地点"]
    headers = [c.value for c in sheet[office.HEADER_ROW]]
    assert headers == ["乡(镇)", "县内(人)", "区内县外(人)", "区外(人)", "合计(人)"]
    assert not any("省" in str(cell.value or "") for row in sheet.iter_rows() for cell in row)

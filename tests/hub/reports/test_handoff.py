"""The quarterly hand-off to 县人社局 (002 employment §二(一)2): one workbook, one sheet per list — the quarter's
work per labourer and the five groups needing employment support — in the office form, printed by LibreOffice."""

from __future__ import annotations

import re

from openpyxl import load_workbook
from pypdf import PdfReader

from hub.cleaning import exports, office
from hub.reports import handoff
from tests.hub.cleaning.county_factory import baseline, build
from tests.hub.cleaning.test_labour_table import MONITORED, RETURNED, planted_rows
from tests.hub.cleaning.test_office_pdf import ARTIFACTS, render

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
    for kind in exports.PERSON_TYPES[2:]:
        assert handoff.NOT_RECORDED in [c.value for c in workbook[kind]["A"]]
    text = "".join(page.extract_text() for page in PdfReader(render(written, ARTIFACTS, tmp_path / "lo")[
        written[0].stem]).pages)
    assert not FULL_ID.search(text)
    for kind in exports.PERSON_TYPES:
        assert f"需要就业帮扶的{kind}名单" in re.sub(r"\s+", "", text)

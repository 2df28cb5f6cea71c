"""The office form's body rows, written as text straight into the sheet (hub/cleaning/office.py ``_BodyRows``), are
byte for byte the XML openpyxl writes for the same cells one by one — whatever the values hold."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hub.cleaning import office

AWKWARD = [
    [1, "板榄镇", "H00000001", "梁明芬", 27189, 0.125, "=HYPERLINK(\"http://x\")", ""],
    [2, "a & b < c > d", 450224199001011234, " leading and trailing ", -3.5, 1, "+1", None],
    [3, "line\nbreak\ttab\rreturn", None, "😀 non-BMP 𠀋", float("nan"), None, "#N/A", "@SUM(A1)"],
    [4, "\"quoted\" 'single'", "", "-2", 10**15, 0.0, "x" * 40000, "  "],
    [5, "", "0012", "名字", True, 0.5, "是", "否"],  # a bool: the row takes the cell path
]
HEADERS = ["序号", "乡(镇)", "户编号", "姓名", "金额(元)", "比例", "问题", "备注"]


def table(rows: list[list]) -> office.Table:
    return office.Table(sheet="表", title="测试表", unit="测试县", when="2026年10月", headers=HEADERS, rows=rows,
                        text_columns=frozenset({2}), percent_columns=frozenset({5}), footer=["填报人："])


def sheet_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


def written(tmp_path: Path, name: str, rows: list[list]) -> dict[str, bytes]:
    paths = office.write(tmp_path / name, [table(rows), table(rows[:2])], with_csv=False)
    return sheet_parts(paths[0])


def test_body_rows_are_the_bytes_of_the_cell_path(tmp_path, monkeypatch):
    fast = written(tmp_path, "fast", AWKWARD)
    monkeypatch.setattr(office._BodyRows, "takes", lambda self, values: False)
    cells = written(tmp_path, "cells", AWKWARD)
    assert fast.keys() == cells.keys()
    for name, content in cells.items():
        assert fast[name] == content, name
    sheet = load_workbook(tmp_path / "fast.xlsx").worksheets[0]
    first = office.HEADER_ROW + 1
    assert sheet.cell(first, 7).value == "=HYPERLINK(\"http://x\")" and sheet.cell(first, 7).data_type == "s"
    assert sheet.cell(first + 1, 3).value == "450224199001011234"  # an identifier column: text, every digit
    assert sheet.cell(first + 2, 4).value == "😀 non-BMP 𠀋"
    assert sheet.cell(first, 6).number_format == office.PERCENT_FORMAT


def test_a_control_character_is_refused_as_the_cell_path_refuses_it(tmp_path):
    from openpyxl.utils.exceptions import IllegalCharacterError

    with pytest.raises(IllegalCharacterError):
        office.write(tmp_path / "bad", [table([[1, "bell\x07", "H1", "名", 1, 0.1, "", ""]])])

"""Identifier cells in CSV are marked as text with a tab, and only identifiers (a tab before ``=`` may run)."""

from __future__ import annotations

import csv

from openpyxl import Workbook

from shared import safe_cells


def test_only_identifiers_get_the_text_mark():
    assert safe_cells.csv_identifier("450224010010001") == "\t450224010010001"
    assert safe_cells.csv_identifier("450224********123X") == "\t450224********123X"
    assert safe_cells.csv_identifier(450224010010001) == "\t450224010010001"
    assert safe_cells.csv_identifier("=1+1") == "'=1+1"
    assert safe_cells.csv_identifier("\t=1+1") == "'\t=1+1"
    assert safe_cells.csv_identifier(None) == ""


def test_the_csv_keeps_marked_identifiers_and_neutralises_the_rest(tmp_path):
    path = tmp_path / "t.csv"
    safe_cells.write_csv(path, [[safe_cells.csv_identifier("450224010010001"), "\t=1+1", "@SUM(A1)", 3]])
    with path.open(encoding="utf-8-sig", newline="") as handle:
        assert next(csv.reader(handle)) == ["\t450224010010001", "'\t=1+1", "'@SUM(A1)", "3"]


def test_write_only_cells_are_never_formulas():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("表")
    cells = safe_cells.write_only_cells(sheet, ["=HYPERLINK(\"http://x\")", 5, None])
    assert [cell.data_type for cell in cells] == ["s", "n", "n"]

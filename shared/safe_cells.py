"""Export cells that stay data: no name or village typed as ``=HYPERLINK(…)`` becomes a live formula.

Spreadsheet programs (Excel, WPS, LibreOffice) run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in
some versions, a tab or carriage return) as a formula: ``=HYPERLINK("http://…?d="&A1, …)`` sends data away, DDE
payloads start programs.  openpyxl stores any string starting with ``=`` as a formula.  Every export writer goes
through this module (issue 12, item 3): CSV cells get the OWASP leading apostrophe, XLSX text cells are set to the
string type explicitly, and export files are readable by their owner only (0600).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # openpyxl is imported by the writers that use it, not by every page that imports this module
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
IDENTIFIER = re.compile(r"[0-9A-Z*]+")
TEXT_MARK = "\t"  # Excel and WPS read a CSV cell "\t4502…" as text: all 18 digits, no 4.50224E+17
EXPORT_FILE_MODE = 0o600


def csv_text(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would read as a formula gets a leading ``'``; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_identifier(value: Any) -> Any:
    """A CSV cell holding a household or ID number (digits, ``X``, mask stars): marked as text with a leading tab,
    so a spreadsheet keeps every digit.  Only such a cell gets the mark (a tab before ``=`` may run); anything else
    is ``csv_text``."""
    if value is None or value == "":
        return ""
    text = str(value)
    return TEXT_MARK + text if IDENTIFIER.fullmatch(text) else csv_text(text)


def append_xlsx_row(sheet: Worksheet, values: Sequence[Any]) -> None:
    """``sheet.append`` for untrusted values: each text cell typed as a string (append alone makes ``=…`` a
    formula)."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def write_only_cells(sheet: Any, values: Sequence[Any]) -> list[Any]:
    """Cells of a write-only sheet (``Workbook(write_only=True)``) for ``values``, each text cell typed as a string,
    to be styled and then appended as one row."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    return cells


def save_workbook(workbook: Workbook, path: Path) -> None:
    """Save ``workbook`` into a file created 0600."""
    with open_private(path, "wb") as handle:
        workbook.save(handle)


def write_csv(path: Path, rows: Iterable[Sequence[Any]]) -> None:
    """A UTF-8 CSV with BOM (so Excel opens it) of neutralised cells, created 0600.  A cell already marked by
    ``csv_identifier`` is kept as it is."""
    with open_private(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow([value if _marked(value) else csv_text(value) for value in row])


def _marked(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TEXT_MARK) and bool(IDENTIFIER.fullmatch(value[1:]))


def open_private(path: Path, mode: str, **kwargs: Any) -> Any:
    """Open ``path`` for writing with mode 0600, whatever the umask; an existing file is narrowed to 0600 too."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, EXPORT_FILE_MODE)
    os.chmod(path, EXPORT_FILE_MODE)
    return os.fdopen(descriptor, mode, **kwargs)

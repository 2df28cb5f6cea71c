"""The office form every table the county sends is written in (issue 16): a title, 填报单位 and 统计时间 above the
header, borders, a frozen header row that repeats on every printed page, landscape A4 fitted to one page wide,
a filter on the header, Chinese sheet names, numbers as numbers (percentages as percentages) and ID and household
numbers as text, in XLSX and in CSV.  Every cell goes through shared/safe_cells.py.

The XLSX rows: 1 the title, 2 填报单位 (left) and 统计时间 (right), ``HEADER_ROW`` the column headers, then the data,
then the footer lines (填报人, 联系电话 …).  The CSV holds the header and the data only, for the programs that read it.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared import safe_cells

if TYPE_CHECKING:  # openpyxl is loaded by the writers, not by every page that imports this module
    from openpyxl import Workbook

HEADER_ROW = 3
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
FONT_NAME = "宋体"
PERCENT_FORMAT = "0.0%"
TEXT_FORMAT = "@"
HEADER_LINE_POINTS, BODY_LINE_POINTS = 15.0, 13.5  # one wrapped line of the 11 pt bold header, of the 10 pt body
HEADER_CHAR, BODY_SCALE = 1.6, 0.8  # a header character's width in column units; a body text's against ``_width``


@dataclass
class Table:
    """One sheet of an office form.  ``text_columns``: indexes of identifier columns (household and ID numbers),
    written as text; ``percent_columns``: shares (0.0–1.0) shown as percentages."""

    sheet: str
    title: str
    unit: str
    when: str
    headers: list[str]
    rows: list[list[Any]]
    text_columns: frozenset[int] = frozenset()
    percent_columns: frozenset[int] = frozenset()
    footer: list[str] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)


def sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: no ``[]:*?/\\``, at most 31 characters."""
    return SHEET_NAME_FORBIDDEN.sub("", name)[:31] or "表"


def file_name(name: str) -> str:
    """A file name from a place or title: no path separators or characters Windows refuses."""
    return re.sub(r"[\\/:*?\"<>|\t\r\n]", "_", name).strip() or "表"


@functools.lru_cache(maxsize=1 << 16, typed=True)
def _width(value: Any) -> float:
    text = value if isinstance(value, str) else (f"{value:.1%}" if isinstance(value, float) else str(value))
    return sum(2 if ord(char) > 0x2E7F else 1.1 for char in text) + 2


@functools.lru_cache(maxsize=1 << 16)  # a county's names, places and words repeat: most rows ask again
def _lines(value: Any, width: float) -> int:
    """How many lines body text ``value`` wraps to in a column ``width`` units wide (a spreadsheet does not grow a
    row for wrapped text it reads from a file: the row's height must say so)."""
    return max(1, math.ceil((_width(value) - 2) * BODY_SCALE / max(1.0, width - 1.5)))


def _header_lines(header: str, width: float) -> int:
    """The header's lines, estimated generously (a clipped header is worse than a tall one)."""
    return max(1, math.ceil((_width(header) - 2) / max(1.0, width - 1.5)))


def _without_orphan(header: str, width: float) -> float:
    """``width``, or a little wider when the header would leave one character alone on its last line."""
    per_line = max(1, int((width - 1.5) / HEADER_CHAR))
    if len(header) > per_line and len(header) % per_line == 1:
        return math.ceil(len(header) / (len(header) // per_line)) * HEADER_CHAR + 1.5
    return width


def _row_height(values: Sequence[Any], widths: list[float], wrapping: Sequence[int]) -> float | None:
    """The height a body row needs for its wrapped cells, None when one line is enough."""
    lines = max((_lines(values[index], widths[index]) for index in wrapping
                 if isinstance(values[index], str) and values[index]), default=1)
    return lines * BODY_LINE_POINTS + 3 if lines > 1 else None


def _column_widths(table: Table) -> list[float]:
    """Each column as wide as its header's longest line or its widest value, between 6 and 30 (text wraps)."""
    widths = []
    for index, header in enumerate(table.headers):
        if index in table.widths:
            widths.append(table.widths[index])
            continue
        widest = max((_width(row[index]) for row in table.rows[:2000] if row[index] not in (None, "")), default=0)
        head = _width(header) / 2 if len(header) > 6 else _width(header)
        widths.append(_without_orphan(header, max(6.0, min(30.0, max(widest, head)))))
    return widths


class _Styles:
    """The form's styles; the body's as named styles registered once per workbook, so a cell takes one by name
    (setting font, border and alignment cell by cell hashes each style object: minutes for a county)."""

    BODY, NUMBER, IDENTIFIER, PERCENT = "正文", "正文数字", "正文编号", "正文百分比"

    def __init__(self, workbook: Workbook) -> None:
        from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

        thin = Side(style="thin", color="000000")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.title = Font(name=FONT_NAME, size=16, bold=True)
        self.header = Font(name=FONT_NAME, size=11, bold=True)
        self.body = Font(name=FONT_NAME, size=10)
        self.fill = PatternFill("solid", fgColor="D9D9D9")
        self.centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.left = Alignment(horizontal="left", vertical="center", wrap_text=True)
        self.right = Alignment(horizontal="right", vertical="center")
        registered = set(workbook.named_styles)
        for name, alignment, number_format in ((self.BODY, self.left, "General"), (self.NUMBER, self.right, "General"),
                                               (self.IDENTIFIER, self.left, TEXT_FORMAT),
                                               (self.PERCENT, self.right, PERCENT_FORMAT)):
            if name not in registered:
                workbook.add_named_style(NamedStyle(name=name, font=self.body, border=self.border,
                                                    alignment=alignment, number_format=number_format))


def add_sheet(workbook: Workbook, table: Table, first: bool = False) -> Any:
    """Write ``table`` into a new sheet of the write-only ``workbook`` (``new_workbook``): the layout first (the
    writer streams it before the rows), then the rows, each cell styled by name.  Memory stays flat whatever the
    county's size.  ``first`` is kept for callers of the earlier form and changes nothing."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.cell_range import CellRange

    styles = _Styles(workbook)
    sheet = _body_rows_sheet_class()(parent=workbook, title=sheet_name(table.sheet))
    book: Any = workbook  # create_sheet's own step, with the sheet made here
    book._add_sheet(sheet)
    columns, end = len(table.headers), HEADER_ROW + len(table.rows)
    last = get_column_letter(columns)
    widths = _column_widths(table)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{end}"
    _print_setup(sheet)
    half = max(1, columns // 2)
    sheet.merged_cells.add(CellRange(f"A1:{last}1"))
    if half > 1:
        sheet.merged_cells.add(CellRange(f"A2:{get_column_letter(half)}2"))
    if columns > half + 1:
        sheet.merged_cells.add(CellRange(f"{get_column_letter(half + 1)}2:{last}2"))
    sheet.row_dimensions[1].height = 30
    header_lines = max(_header_lines(header, width) for header, width in zip(table.headers, widths, strict=True))
    sheet.row_dimensions[HEADER_ROW].height = header_lines * HEADER_LINE_POINTS + 4
    for cells in _heading(sheet, table, styles, half):
        sheet.append(cells)
    wrapping = [index for index in range(columns) if index not in table.text_columns]
    body = _BodyRows(sheet, table)
    for number, row in enumerate(table.rows, start=HEADER_ROW + 1):
        height = _row_height(row, widths, wrapping)
        if height:  # read by the writer when the row is appended
            sheet.row_dimensions[number].height = height
        sheet.append(body.row(row) if body.takes(row) else _body_cells(sheet, table, styles, row))
    for line in table.footer:
        cells = safe_cells.write_only_cells(sheet, [line])
        cells[0].font = styles.body
        sheet.append(cells)
    return sheet


def _body_cells(sheet: Any, table: Table, styles: _Styles, row: list[Any]) -> list[Any]:
    cells = safe_cells.write_only_cells(sheet, row)
    for index, cell in enumerate(cells):
        if index in table.text_columns:
            cell.style = styles.IDENTIFIER
            if cell.value is not None:
                cell.value, cell.data_type = str(cell.value), "s"
        elif index in table.percent_columns:
            cell.style = styles.PERCENT
        else:
            cell.style = styles.NUMBER if isinstance(cell.value, int | float) else styles.BODY
    return cells


def _body_rows_sheet_class() -> type:
    """openpyxl's write-only sheet (3.1), taking ``_BodyRow`` rows too, whose XML ``_BodyRows`` writes as text.

    The sheet's stream is openpyxl's (``WorksheetWriter.get_stream``), opened on a file this module holds, so
    that between two of openpyxl's elements the body's rows go straight to the file: the XML serialiser is
    flushed, then the rows written, a thousand at a time.  Every other row (title, header, footer) is openpyxl's
    own, cell by cell."""
    global _BODY_ROWS_SHEET
    if _BODY_ROWS_SHEET is None:
        from openpyxl.worksheet._write_only import WriteOnlyWorksheet
        from openpyxl.worksheet._writer import WorksheetWriter
        from openpyxl.xml.constants import SHEET_MAIN_NS
        from openpyxl.xml.functions import xmlfile

        class HeldStreamWriter(WorksheetWriter):
            handle: Any = None

            def get_stream(self) -> Any:  # WorksheetWriter.get_stream, on a file held in ``handle``
                path: Any = self.out  # a temporary file's path: this writer is made without ``out``
                with (open(path, "wb") as self.handle, xmlfile(self.handle) as xf,
                      xf.element("worksheet", xmlns=SHEET_MAIN_NS)):
                    try:
                        while True:
                            element = yield
                            if element is True:
                                yield xf
                            elif element is not None:
                                xf.write(element)
                    except GeneratorExit:
                        pass

        class BodyRowsSheet(WriteOnlyWorksheet):
            body: _BodyRows | None = None

            def _get_writer(self) -> None:
                sheet: Any = self  # openpyxl's private parts, untyped in its stubs
                if sheet._writer is None:
                    sheet._writer = HeldStreamWriter(self)
                    sheet._writer.write_top()

            def _write_rows(self) -> Any:  # WriteOnlyWorksheet._write_rows, body rows kept as text until written
                sheet: Any = self
                writer: Any = sheet._writer
                try:
                    xf = writer.xf.send(True)
                except StopIteration:
                    sheet._already_saved()
                pending: list[str] = []

                def write_pending() -> None:
                    if pending:
                        xf.flush()
                        writer.handle.write("".join(pending).encode("ascii", "xmlcharrefreplace"))
                        pending.clear()

                with xf.element("sheetData"):
                    row_idx = 1
                    try:
                        while True:
                            row = yield
                            if isinstance(row, _BodyRow) and self.body is not None:
                                pending.append(self.body.xml(row, row_idx))
                                if len(pending) >= 1000:
                                    write_pending()
                            else:
                                write_pending()
                                writer.write_row(xf, sheet._values_to_row(row, row_idx), row_idx)
                            row_idx += 1
                    except GeneratorExit:
                        pass
                    write_pending()
                writer.xf.send(None)

        _BODY_ROWS_SHEET = BodyRowsSheet
    return _BODY_ROWS_SHEET


_BODY_ROWS_SHEET: type | None = None


class _BodyRow(list[Any]):
    """A body row's values for ``_BodyRows``, marked so the sheet writes it without a cell object per value."""


class _BodyRows:
    """The body rows of one table written as the XML text openpyxl writes for ``_body_cells``'s cells (issue 16's
    bench: a WriteOnlyCell per value, its style set by name, then serialised element by element, was most of a
    county's report time).  The same bytes (tests/hub/cleaning/test_office_rows.py compares both paths): the
    same named style per column and value type, text typed as a string, identifiers as text, ASCII with
    character references as openpyxl's serialiser writes.  Rows holding anything but text, numbers and blanks
    (a date, a bool) take the cell path."""

    TYPES = frozenset({str, int, float, type(None)})

    def __init__(self, sheet: Any, table: Table) -> None:
        from openpyxl.utils import get_column_letter

        self.sheet, self.table = sheet, table
        self.letters = [get_column_letter(index) for index in range(1, len(table.headers) + 1)]
        self.style_ids: dict[str, str] = {}
        sheet.body = self

    def takes(self, values: Sequence[Any]) -> bool:
        return all(type(value) in self.TYPES for value in values)

    def row(self, values: Sequence[Any]) -> _BodyRow:
        return _BodyRow(values)

    def _style_id(self, name: str) -> str:
        """The workbook's id of the named style's cell format, registered at first use as a styled cell's is."""
        if name not in self.style_ids:
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(self.sheet)
            cell.style = name
            self.style_ids[name] = str(cell.style_id)
        return self.style_ids[name]

    def xml(self, values: Sequence[Any], row_idx: int) -> str:
        """The ``<row>`` of ``values`` as row ``row_idx`` (with its height, when it has one), as text."""
        from openpyxl.compat import safe_string

        attrs = "".join(f' {key}="{value}"' for key, value in self.sheet.row_dimensions.get(row_idx, {}))
        parts = [f'<row r="{row_idx}"{attrs}>']
        text_columns, percent_columns = self.table.text_columns, self.table.percent_columns
        for index, value in enumerate(values):
            if index in text_columns:
                style, value = _Styles.IDENTIFIER, (None if value is None else str(value))
            elif index in percent_columns:
                style = _Styles.PERCENT
            else:
                style = _Styles.NUMBER if isinstance(value, int | float) else _Styles.BODY
            where = f'<c r="{self.letters[index]}{row_idx}" s="{self._style_id(style)}"'
            if isinstance(value, str) and value:
                parts.append(f'{where} t="inlineStr"><is>{_text_element(value)}</is></c>')
            elif value is None or value == "":
                parts.append(f'{where} t="{"n" if value is None else "inlineStr"}"></c>')
            else:
                parts.append(f'{where} t="n"><v>{safe_string(value)}</v></c>')
        parts.append("</row>")
        return "".join(parts)


@functools.lru_cache(maxsize=1 << 16)  # names, places and words repeat down a county's rows
def _text_element(value: str) -> str:
    """``<t>`` of a text cell as the cell path writes it: at most 32,767 characters, no control character,
    xml:space="preserve" when it starts or ends with a space; escaped as lxml escapes text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils.exceptions import IllegalCharacterError

    value = value[:32767]
    if ILLEGAL_CHARACTERS_RE.search(value):
        raise IllegalCharacterError(f"{value} cannot be used in worksheets.")
    space = ' xml:space="preserve"' if value != value.strip() else ""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return f"<t{space}>{escaped}</t>"


def _heading(sheet: Any, table: Table, styles: _Styles, half: int) -> list[list[Any]]:
    """Row 1 the title (merged across every column); row 2 填报单位 on the left half, 统计时间 on the right half;
    row 3 the headers."""
    title = safe_cells.write_only_cells(sheet, [table.title])
    title[0].font, title[0].alignment = styles.title, styles.centre
    unit = safe_cells.write_only_cells(sheet, [f"填报单位：{table.unit}"] + [None] * (half - 1)
                                       + [f"统计时间：{table.when}"])
    unit[0].font, unit[0].alignment = styles.header, styles.left
    unit[half].font, unit[half].alignment = styles.header, styles.right
    headers = safe_cells.write_only_cells(sheet, table.headers)
    for cell in headers:
        cell.font, cell.fill, cell.border, cell.alignment = styles.header, styles.fill, styles.border, styles.centre
    return [title, unit, headers]


def _print_setup(sheet: Any) -> None:
    """Landscape A4, one page wide and as many long as it takes, the header row on every page, page numbers."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top, sheet.page_margins.bottom = 0.6, 0.75  # room under the table for 第 N 页
    sheet.page_margins.footer = 0.3
    footer = sheet.oddFooter
    if footer is not None:
        footer.center.text = "第 &P 页，共 &N 页"


def new_workbook() -> Workbook:
    """A write-only workbook: rows are streamed to disk as they are appended."""
    from openpyxl import Workbook

    return Workbook(write_only=True)


def csv_rows(table: Table) -> list[Sequence[Any]]:
    """The header and the data; identifier cells marked as text for a spreadsheet (shared/safe_cells.py)."""
    rows: list[Sequence[Any]] = [table.headers]
    for row in table.rows:
        rows.append([safe_cells.csv_identifier(value) if index in table.text_columns else value
                     for index, value in enumerate(row)])
    return rows


def write(base: Path, tables: list[Table], with_csv: bool = True) -> list[Path]:
    """``base``.xlsx with one sheet per table, and (``with_csv``, one table) ``base``.csv; return the paths."""
    base.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    workbook = new_workbook()
    for index, table in enumerate(tables):
        add_sheet(workbook, table, first=index == 0)
    xlsx = base.with_name(base.name + ".xlsx")
    safe_cells.save_workbook(workbook, xlsx)
    written = [xlsx]
    if with_csv and len(tables) == 1:
        csv_path = base.with_name(base.name + ".csv")
        safe_cells.write_csv(csv_path, csv_rows(tables[0]))
        written.append(csv_path)
    return written

"""Reading the tables counties import — rosters, postings, other departments' lists — the way Excel, WPS and
LibreOffice really write them (DOMAIN.md §10 "What the files really look like").

One reader for every importer and every upload, so the limits and the normalisation are the same everywhere:

- CSV in UTF-8 (with or without BOM) or GBK/GB18030 (what Chinese Excel and WPS save by default); ``.xlsx``
  (openpyxl, streamed); ``.xls`` and ``.ods`` (python-calamine).
- Every cell and header is NFKC-normalised: full-width digits, Ｘ, 县（区）, U+3000 spaces.
- A title row above the header (often merged across the columns) is skipped: the header is the first of the
  first rows that names every required column.
- Each cell keeps whether the spreadsheet held it as a number, so an importer can refuse an ID number that a
  number cell has damaged (``id_number_damage``).
- Limits on rows, cell length and uncompressed size are checked before or while reading, never after: a
  spreadsheet bomb is refused within seconds and a bounded amount of memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from shared import idnumber
from shared.errors import ErrorCode, FieldsyncError

SUFFIXES = (".csv", ".xlsx", ".xls", ".ods")
HEADER_SEARCH_ROWS = 10  # title rows the national system's exports put above the header
MAX_COLUMNS = 256  # what .xls can hold; no county table comes close
# python-calamine builds a sheet as one dense grid (~64 bytes a cell): filled rows x columns stays under this
MAX_GRID_CELLS = 5_000_000
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class TableLimits:
    """How much of a file an import reads before refusing it (hub settings IMPORT_MAX_*)."""

    rows: int = 200_000
    cell_chars: int = 2_000
    uncompressed_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class TableKind:
    """What the file is, as the clerk calls it (花名册, 岗位表, 死亡登记名单 …), and the code of its file errors."""

    label: str
    unreadable: ErrorCode = ErrorCode.TABLE_UNREADABLE


@dataclass
class TableRow:
    """One data row: its spreadsheet row number, {english key: text}, and the keys whose cell was a number."""

    number: int
    values: dict[str, str]
    number_cells: frozenset[str] = field(default_factory=frozenset)

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)


@dataclass(frozen=True)
class _Cell:
    text: str
    is_number: bool = False


class _TooLarge(Exception):
    """A limit was passed; carries the Chinese reason."""


# --- cells -------------------------------------------------------------------------------------------------


def normalise_text(value: str) -> str:
    """NFKC (full-width digits, Ｘ, （）, U+3000) and trimmed."""
    return unicodedata.normalize("NFKC", value).strip()


def header_key(value: str) -> str:
    """A header as it is compared: NFKC, no spaces, no quote marks (是否开展“251”就业帮扶)."""
    return re.sub(r"[\s\"'“”‘’]", "", normalise_text(value))


def _cell(value: Any) -> _Cell:
    if value is None:
        return _Cell("")
    if isinstance(value, bool):
        return _Cell("是" if value else "否")
    if isinstance(value, datetime):
        return _Cell(value.date().isoformat() if value.time() == time() else value.isoformat(sep=" "))
    if isinstance(value, date):
        return _Cell(value.isoformat())
    if isinstance(value, time | timedelta):
        return _Cell(str(value))
    if isinstance(value, int):
        return _Cell(str(value), True)
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value).upper()
        return _Cell(text, True)
    return _Cell(normalise_text(str(value)))


# --- limits --------------------------------------------------------------------------------------------------


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _check_file_size(path: Path, limits: TableLimits) -> None:
    if path.stat().st_size > limits.uncompressed_bytes:
        raise _TooLarge(f"文件超过 {_mib(limits.uncompressed_bytes)}")


def _check_zip_size(path: Path, limits: TableLimits) -> None:
    """Inflate every member (without keeping it) and stop at the limit: the sizes a ZIP declares can lie.

    On the way, count the rows of each XLSX worksheet, so 2,000,000 rows in 3.5 MB are refused here in about a
    second instead of after minutes of parsing."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError("not a zip") from exc
    with archive:
        if sum(info.file_size for info in archive.infolist()) > limits.uncompressed_bytes:
            raise _TooLarge(f"文件解压后超过 {_mib(limits.uncompressed_bytes)}")
        total = 0
        for info in archive.infolist():
            rows = _RowCounter() if info.filename.startswith("xl/worksheets/") else None
            try:
                with archive.open(info) as member:
                    while chunk := member.read(_READ_CHUNK):
                        total += len(chunk)
                        if total > limits.uncompressed_bytes:
                            raise _TooLarge(f"文件解压后超过 {_mib(limits.uncompressed_bytes)}")
                        if rows is not None and rows.feed(chunk) > limits.rows:
                            raise _TooLarge(f"超过 {limits.rows} 行")
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                raise ValueError("damaged zip member") from exc


class _RowCounter:
    """Counts <row> elements of a worksheet's XML as it streams past in chunks."""

    _TAG = re.compile(rb"<(?:\w+:)?row[\s/>]")
    _OVERLAP = 16

    def __init__(self) -> None:
        self.count = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> int:
        data = self._tail + chunk
        self.count += len(self._TAG.findall(data, len(self._tail) - min(len(self._tail), self._OVERLAP)))
        self._tail = data[-self._OVERLAP:]
        return self.count


_ODS = "{urn:oasis:names:tc:opendocument:xmlns:%s:1.0}"
_ODS_ROW, _ODS_CELL = _ODS % "table" + "table-row", _ODS % "table" + "table-cell"
_ODS_ROWS_REPEATED, _ODS_COLUMNS_REPEATED = (_ODS % "table" + "number-rows-repeated",
                                             _ODS % "table" + "number-columns-repeated")
_ODS_VALUE_TYPE = _ODS % "office" + "value-type"


def _check_ods_extent(path: Path, limits: TableLimits) -> None:
    """Stream content.xml and refuse a sheet whose filled cells, repeats counted, pass the row or column limits.

    LibreOffice ends every sheet with an empty row repeated a million times (harmless); a filled row repeated
    a million times would make the reader build every copy."""
    from xml.etree.ElementTree import ParseError, iterparse

    position = columns = 0
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
            for _event, element in iterparse(content, events=("end",)):
                if element.tag == _ODS_ROW:
                    repeat = int(element.get(_ODS_ROWS_REPEATED, "1"))
                    width = _ods_row_width(element)
                    if width:
                        columns = max(columns, width)
                        _check_grid(position + repeat, columns, limits)
                    position += repeat
                    element.clear()
                elif element.tag.endswith("}table"):
                    break  # only the first sheet is read
    except (KeyError, ParseError, zipfile.BadZipFile, ValueError) as exc:
        raise ValueError("damaged ods") from exc


_BIFF_CELLS = {0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E}  # FORMULA … RK: row, column
_BIFF_SPANS = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column, …, last column
_BIFF_HEADER = struct.Struct("<HH")


def _check_xls_extent(path: Path, limits: TableLimits) -> None:
    """Scan the BIFF records of an XLS for the last row and column any cell sits in.

    Two cells at A1 and IV65536 of a 5 KB file would otherwise make the reader build a 65,536 x 256 grid."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            data = ole.openstream("Workbook" if ole.exists("Workbook") else "Book").read()
    except Exception as exc:  # olefile raises OSError and its own types for a file that is not OLE2
        raise ValueError("not an xls") from exc
    rows = columns = position = 0
    while position + 4 <= len(data):
        kind, size = _BIFF_HEADER.unpack_from(data, position)
        if (kind in _BIFF_CELLS and size >= 4) or (kind in _BIFF_SPANS and size >= 6):
            row, column = _BIFF_HEADER.unpack_from(data, position + 4)
            if kind in _BIFF_SPANS:
                column = struct.unpack_from("<H", data, position + 2 + size)[0]
            rows, columns = max(rows, row + 1), max(columns, column + 1)
            _check_grid(rows, columns, limits)
        position += 4 + size


def _check_grid(rows: int, columns: int, limits: TableLimits) -> None:
    if rows > limits.rows:
        raise _TooLarge(f"超过 {limits.rows} 行")
    if rows * columns > MAX_GRID_CELLS:
        raise _TooLarge(f"有内容的区域超过 {MAX_GRID_CELLS} 格（行数 × 列数）")


def _ods_row_width(row: Any) -> int:
    """The column just after the row's last filled cell (0 for an empty row); refuses too wide a row."""
    column, width = 0, 0
    for cell in row:
        repeat = int(cell.get(_ODS_COLUMNS_REPEATED, "1"))
        if cell.tag == _ODS_CELL and (cell.get(_ODS_VALUE_TYPE) or len(cell)):
            width = column + repeat
            if width > MAX_COLUMNS:
                raise _TooLarge(f"超过 {MAX_COLUMNS} 列")
        column += repeat
    return width


def _bounded(rows: Iterable[Sequence[_Cell]], limits: TableLimits) -> Iterator[tuple[int, list[_Cell]]]:
    """Number the rows from 1 and enforce the row and cell limits as they stream past."""
    for number, cells in enumerate(rows, start=1):
        if number > limits.rows:
            raise _TooLarge(f"超过 {limits.rows} 行")
        cells = list(cells[:MAX_COLUMNS])
        for cell in cells:
            if len(cell.text) > limits.cell_chars:
                raise _TooLarge(f"第 {number} 行有一格超过 {limits.cell_chars} 个字")
        yield number, cells


# --- formats -------------------------------------------------------------------------------------------------


def _decode_csv(data: bytes) -> str:
    """UTF-8 (BOM or not), then GB18030; UTF-16 when it starts with its BOM (Excel's "Unicode 文本")."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("encoding")


def _csv_rows(path: Path, limits: TableLimits) -> Iterator[list[_Cell]]:
    _check_file_size(path, limits)
    text = _decode_csv(path.read_bytes())
    if "\x00" in text:
        raise ValueError("binary")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for values in reader:
            yield [_Cell(normalise_text(value)) for value in values]
    except csv.Error as exc:
        raise _TooLarge("有一格太长或引号不配对") from exc


def _xlsx_rows(path: Path, limits: TableLimits) -> Iterator[list[_Cell]]:
    from openpyxl import load_workbook

    _check_zip_size(path, limits)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ValueError("damaged xlsx") from exc
    try:
        sheet.reset_dimensions()  # a forged <dimension> must not pad every row to 16384 columns
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(value) for value in values[:MAX_COLUMNS]]
    finally:
        workbook.close()


def _calamine_rows(path: Path, limits: TableLimits) -> Iterator[list[_Cell]]:
    from python_calamine import CalamineWorkbook

    if path.suffix.lower() == ".ods":
        _check_zip_size(path, limits)
        _check_ods_extent(path, limits)
    else:
        _check_file_size(path, limits)
        _check_xls_extent(path, limits)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own error types for a damaged file
        raise ValueError("damaged spreadsheet") from exc
    if sheet.height > limits.rows:
        raise _TooLarge(f"超过 {limits.rows} 行")
    for values in sheet.iter_rows():
        yield [_cell(value) for value in values]


_READERS = {".csv": _csv_rows, ".xlsx": _xlsx_rows, ".xls": _calamine_rows, ".ods": _calamine_rows}


# --- the header ----------------------------------------------------------------------------------------------


def _header_map(columns: dict[str, str]) -> dict[str, str]:
    return {**{header_key(key): key for key in columns}, **{header_key(zh): key for key, zh in columns.items()}}


def _semicolon_hint(cells: list[_Cell]) -> str:
    if len([c for c in cells if c.text]) == 1 and (";" in cells[0].text or "\t" in cells[0].text):
        return "文件的各列是用分号（或制表符）隔开的，请在表格软件中“另存为”逗号分隔的 CSV 或 XLSX 后重新导入。"
    return ""


def _find_header(rows: Iterator[tuple[int, list[_Cell]]], columns: dict[str, str], required: Sequence[str],
                 kind: TableKind) -> list[str | None]:
    """Skip title rows: the header is the first row naming every required column."""
    by_header = _header_map(columns)
    best: tuple[int, list[str | None], list[_Cell]] | None = None
    for number, cells in rows:
        keys = [by_header.get(header_key(cell.text)) for cell in cells]
        found = sum(key in keys for key in required)
        if found == len(required):
            return keys
        if any(cell.text for cell in cells) and (best is None or found > best[0]):
            best = (found, keys, cells)
        if number >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise FieldsyncError(kind.unreadable, f"{kind.label}文件是空的。")
    missing = [columns[key] for key in required if key not in best[1]]
    hint = _semicolon_hint(best[2])
    raise FieldsyncError(kind.unreadable, hint or f"{kind.label}缺少必需的列：{'、'.join(missing)}。请检查表头"
                         f"（前 {HEADER_SEARCH_ROWS} 行中应有一行是列名）。", {"missing_columns": missing})


def read_rows(path: Path | str, columns: dict[str, str], required: Sequence[str], kind: TableKind,
              limits: TableLimits = TableLimits()) -> list[TableRow]:
    """Every non-empty data row of the file's first sheet, with its spreadsheet row number.

    ``columns`` maps each English key to its Chinese header; a file may use either.  A file that cannot be
    read, or passes a limit, raises FieldsyncError (``kind.unreadable`` / TABLE_TOO_LARGE) with a Chinese
    message saying what to do; a row is never refused here (that is the importer's job, row by row)."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise FieldsyncError(kind.unreadable, f"{kind.label}只能导入 .csv、.xlsx、.xls 或 .ods 文件。")
    try:
        rows = _bounded(reader(path, limits), limits)
        keys = _find_header(rows, columns, required, kind)
        return [row for number, cells in rows if (row := _table_row(number, keys, cells)) is not None]
    except _TooLarge as exc:
        raise FieldsyncError(ErrorCode.TABLE_TOO_LARGE, f"{kind.label}文件太大（{exc}），没有导入：请把文件拆成"
                             f"几个较小的文件分别导入（上限：{limits.rows} 行、每格 {limits.cell_chars} 个字、"
                             f"解压后 {_mib(limits.uncompressed_bytes)}）。",
                             {"max_rows": limits.rows, "max_cell_chars": limits.cell_chars,
                              "max_uncompressed_bytes": limits.uncompressed_bytes}) from None
    except ValueError as exc:
        raise FieldsyncError(kind.unreadable, f"{kind.label}文件无法读取（文件损坏，或不是它的扩展名所说的格式）："
                             "请用表格软件打开后“另存为” CSV 或 XLSX，再重新导入。") from exc


def _table_row(number: int, keys: list[str | None], cells: list[_Cell]) -> TableRow | None:
    if not any(cell.text for cell in cells):
        return None
    pairs = [(key, cell) for key, cell in zip(keys, cells, strict=False) if key]
    return TableRow(number, {key: cell.text for key, cell in pairs},
                    frozenset(key for key, cell in pairs if cell.is_number))


# --- values a row carries --------------------------------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S",
                 "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's phantom 1900-02-29 included)
_SERIAL = re.compile(r"^\d{1,5}(\.\d+)?$")


def parse_date(text: str, column: str) -> str | None:
    """An ISO date from any way a spreadsheet writes one, None for an empty cell.

    Raises ValueError naming ``column`` (its Chinese header) when the text is not a date; the value itself is
    not repeated (a birth date is personal data, DOMAIN.md §9)."""
    text = normalise_text(text)
    if not text:
        return None
    if _SERIAL.match(text):
        serial = int(float(text))
        if 1 <= serial <= 73_050:  # up to 2099-12-31
            return (_EXCEL_EPOCH + timedelta(days=serial)).isoformat()
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if 1900 <= parsed.year <= 2100:
            return parsed.isoformat()
    raise ValueError(f"“{column}”不是看得懂的日期，请写成 2024-03-01 这样的格式"
                     "（2024/3/1、2024.3.1、20240301、2024年3月1日或日期单元格也可以）")


_PADDED = re.compile(r"^\d{15}000$")
DAMAGED_ID_MESSAGE = ("证件号码被表格软件当成了数字保存，后几位已丢失（变成了 0 或科学计数法），无法恢复："
                      "请把“证件号码”列设为文本格式，按证件重新录入这些号码后再导入。")


def looks_padded(id_number: str) -> bool:
    """18 digits ending in 000: how Excel and LibreOffice show a number cell (15 significant digits)."""
    return bool(_PADDED.match(id_number))


def column_is_text(rows: Sequence[TableRow], key: str = "id_number") -> bool:
    """Whether a CSV's ID column was kept as text, judged from all its values.

    A column a spreadsheet held as numbers ends in 000 on every row but those with an X (text even there), and
    ten in eleven of those padded values fail the check character.  A genuine ID number ends in 000 about
    once in 1,100 (sequence d00, check character 0) and always passes.  So the column is text when none of its
    padded values fails the check and they are at most half of its values."""
    values = [row.get(key) for row in rows if row.get(key)]
    padded = [value for value in values if looks_padded(value)]
    if any(idnumber.check_character(value[:17]) != value[17] for value in padded):
        return False
    return 2 * len(padded) <= len(values)


def id_number_damage(row: TableRow, id_number: str, text_column: bool, key: str = "id_number") -> str:
    """Why a spreadsheet has damaged this ID number beyond repair ('' when it has not).

    - a number cell (XLSX/XLS/ODS) cannot hold 18 exact digits: damaged by definition;
    - E-notation (4.50224E+17) lost its last digits;
    - 18 digits ending in 000 are a number shown with 15 significant digits — unless the check character
      passes and the file's column is text (``column_is_text``): then it is a real number.
    Merely invalid numbers are not damage: they import and rule I1 flags them."""
    if key in row.number_cells:
        return DAMAGED_ID_MESSAGE
    if idnumber.looks_like_excel_number(id_number):
        return DAMAGED_ID_MESSAGE
    check_digit_ok = looks_padded(id_number) and idnumber.check_character(id_number[:17]) == id_number[17]
    if looks_padded(id_number) and not (check_digit_ok and text_column):
        return DAMAGED_ID_MESSAGE
    return ""


@dataclass
@dataclass
class RowError:
    """One refused row of an import: its number in the file (0: the file as a whole) and why, in Chinese."""

    row: int
    message: str

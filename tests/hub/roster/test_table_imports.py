"""Imports of the files Excel, WPS and LibreOffice really write (DOMAIN.md §10, issue 11 "Imports").

The spreadsheets are written at test time by LibreOffice headless (Debian package libreoffice-calc-nogui, which
`make system-deps` installs), from sources openpyxl writes: an ID column held as numbers (format "0") and as text,
title rows, full-width input, GBK CSV, xls and ods.  LibreOffice starts slowly, so one call converts every source to one
format, once per module."""

from __future__ import annotations

import csv
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from devtools import synthetic
from hub.postings import importer
from hub.roster.department_lists import import_list
from hub.roster.importer import import_roster
from hub.store.models import Household, Person
from hub.sync import own_records
from shared.errors import FieldsyncError
from shared.idnumber import check_character
from shared.roster import ROSTER_COLUMNS
from shared.table_files import DAMAGED_ID_MESSAGE, TableKind, TableRow, column_is_text, looks_padded, read_rows
from tests.hub.postings.test_postings import FUTURE
from tests.support import import_county

VILLAGES = synthetic.default_villages(1)[:2]
KEYS = list(ROSTER_COLUMNS)
TITLE = "融安县防返贫监测对象花名册"
FULL_WIDTH = str.maketrans("0123456789X()", "０１２３４５６７８９Ｘ（）")
CSV_AS_SHOWN_GBK = "csv:Text - txt - csv (StarCalc):44,34,85,1,,0,false,true,true"  # 85: GB18030; "as shown"


def real_id_ending_in_000(region: str = "450224") -> tuple[str, str]:
    """A valid ID number that ends in 000 (sequence d00, check character 0), and its birth date."""
    for day in range(1, 29):
        for lead in range(1, 10):
            first17 = f"{region}197003{day:02d}{lead}00"
            if check_character(first17) == "0":
                return first17 + "0", f"1970-03-{day:02d}"
    raise AssertionError("unreachable: a check character 0 comes once in eleven")


@pytest.fixture(scope="module")
def people() -> list[dict]:
    rows = synthetic.generate_roster(23, VILLAGES, 8)
    return [row for row in rows if row["id_number"][-1] != "X"]  # a number cell cannot hold X at all


def _sheet(rows: list[dict], id_as_number: bool, title: bool = False, full_width: bool = False) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    headers = [ROSTER_COLUMNS[k] for k in KEYS]
    if title:
        sheet.append([TITLE])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(KEYS))
    sheet.append([h.translate(FULL_WIDTH) if full_width else h for h in headers])
    for row in rows:
        values = [str(row.get(k, "")) for k in KEYS]
        if full_width:
            values = [v.translate(FULL_WIDTH) for v in values]
            values[KEYS.index("name")] = f"\u3000{values[KEYS.index('name')]}\u3000"
        sheet.append(values)
        cell = sheet.cell(sheet.max_row, KEYS.index("id_number") + 1)
        if id_as_number:
            cell.value, cell.number_format = int(row["id_number"]), "0"
        else:
            cell.number_format = "@"
    return workbook


def soffice(profile: Path, target: str, sources: list[Path], outdir: Path) -> None:
    """One LibreOffice run converting every source to ``target``."""
    outdir.mkdir(exist_ok=True)
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target,
                    "--outdir", str(outdir), *map(str, sources)], check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def written(tmp_path_factory, people) -> dict[str, Path]:
    """Every roster LibreOffice writes here, by name: '<source>.<format>'."""
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice is missing: run `make system-deps` (package libreoffice-calc-nogui)")
    folder = tmp_path_factory.mktemp("libreoffice")
    sources = {"numbers": _sheet(people, id_as_number=True), "text": _sheet(people, id_as_number=False),
               "titled": _sheet(people, id_as_number=False, title=True, full_width=True)}
    paths = []
    for name, workbook in sources.items():
        workbook.save(folder / f"{name}.xlsx")
        paths.append(folder / f"{name}.xlsx")
    corner = folder / "corner.csv"  # one cell in A1, one in the last row and column an XLS can hold
    corner.write_text("a,b\n" + "\n" * 65_534 + "," * 255 + "z\n", encoding="ascii")
    profile = folder / "profile"
    out = {}
    for target, suffix in (("xlsx", "xlsx"), ("xls", "xls"), ("ods", "ods"), (CSV_AS_SHOWN_GBK, "csv")):
        sources = [*paths, corner] if suffix == "xls" else paths
        soffice(profile, target, sources, folder / suffix)
        out.update({f"{p.stem}.{suffix}": folder / suffix / f"{p.stem}.{suffix}" for p in sources})
    assert all(path.exists() for path in out.values()), sorted(out)
    return out


# --- damaged ID numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["numbers.xlsx", "numbers.xls", "numbers.ods", "numbers.csv"])
def test_an_id_column_held_as_numbers_is_refused_row_by_row(hub_db, written, people, name):
    report = import_roster(written[name])
    assert Person.select().count() == 0 and Household.select().count() == 0
    assert [e.row for e in report.errors] == list(range(2, len(people) + 2))
    assert {e.message for e in report.errors} == {DAMAGED_ID_MESSAGE}
    assert "文本" in DAMAGED_ID_MESSAGE


def test_the_csv_of_a_number_column_shows_padded_zeros_some_passing_the_check(written, people):
    """What LibreOffice writes is what the check must catch: 15 digits and 000, ~1 in 11 with a valid check."""
    text = written["numbers.csv"].read_bytes().decode("gb18030")
    ids = [row[KEYS.index("id_number")] for row in csv.reader(text.splitlines()[1:])]
    assert len(ids) == len(people)
    assert all(looks_padded(i) and abs(int(i) - int(r["id_number"])) < 1000 for i, r in zip(ids, people, strict=True))
    assert any(check_character(i[:17]) == i[17] for i in ids)


def test_integer_cells_holding_ids_are_refused_even_when_exact(hub_db, tmp_path, people):
    """Some exporters write a number cell as all 18 digits (<v>450224196612131234</v>): still a number cell."""
    _sheet(people[:3], id_as_number=True).save(tmp_path / "floats.xlsx")
    with zipfile.ZipFile(tmp_path / "floats.xlsx") as source:
        parts = {info: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(tmp_path / "ints.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts.items():
            for row in people[:3]:
                exact = f"<v>{row['id_number']}</v>".encode()
                data = data.replace(f"<v>{float(row['id_number'])!r}</v>".encode(), exact)
            archive.writestr(info, data)
    assert people[0]["id_number"].encode() in zipfile.ZipFile(tmp_path / "ints.xlsx").read("xl/worksheets/sheet1.xml")
    report = import_roster(tmp_path / "ints.xlsx")
    assert [e.message for e in report.errors] == [DAMAGED_ID_MESSAGE] * 3 and Person.select().count() == 0


@pytest.mark.parametrize("households", [1, 12])
def test_a_real_id_ending_in_000_imports_from_a_text_column(hub_db, tmp_path, households):
    """About one woman in 110 of the synthetic rosters has one: a 17-row roster of the browser tests did."""
    rows = synthetic.generate_roster(5, VILLAGES[:1], households)
    real, birth = real_id_ending_in_000()
    rows[0].update(id_number=real, gender="女", birth_date=birth)
    assert len(rows) >= 2
    synthetic.write_roster_csv(rows, tmp_path / "roster.csv")
    report = import_roster(tmp_path / "roster.csv")
    assert not report.errors and Person.select().where(Person.id_number == real).count() == 1
    synthetic.write_roster_csv(rows[:1], tmp_path / "alone.csv")  # alone, nothing shows the column is text
    assert import_roster(tmp_path / "alone.csv").errors[0].message == DAMAGED_ID_MESSAGE


def test_padding_and_text_columns():
    real, _ = real_id_ending_in_000()
    assert looks_padded(real) and looks_padded("450224196612130000") and not looks_padded("450224196612131230")
    assert not looks_padded("45022419661213000X")
    intact = [TableRow(n, {"id_number": f"4502241966121{n:04d}1"}) for n in range(3)]
    assert column_is_text(intact) and column_is_text([*intact, TableRow(9, {"id_number": real})])
    assert not column_is_text([TableRow(1, {"id_number": real})])  # all padded: cannot tell, so damaged
    failing = next(f"4502241966121{n}000" for n in range(10, 99) if check_character(f"4502241966121{n}00") != "0")
    assert not column_is_text([*intact * 5, TableRow(9, {"id_number": real}), TableRow(10, {"id_number": failing})])


def test_merely_invalid_numbers_still_import_and_are_flagged(hub_db, tmp_path):
    rows = synthetic.generate_roster(6, VILLAGES[:1], 3)
    good = rows[0]["id_number"]
    rows[0]["id_number"] = good[:17] + ("1" if good[17] != "1" else "2")  # wrong check character: legacy data
    synthetic.write_roster_csv(rows, tmp_path / "roster.csv")
    report = import_roster(tmp_path / "roster.csv")
    assert not report.errors and report.warnings
    assert Person.get(Person.id_number == rows[0]["id_number"]).id_problem == "check_digit"


# --- formats, title rows, full-width input -----------------------------------------------------------------


def assert_imported(people: list[dict]) -> None:
    stored = {p.id_number: p for p in Person.select()}
    assert sorted(stored) == sorted(r["id_number"] for r in people)
    for row in people:
        person = stored[row["id_number"]]
        assert (person.name, person.gender, person.birth_date) == (row["name"], row["gender"], row["birth_date"])


@pytest.mark.parametrize("name", ["text.xlsx", "text.xls", "text.ods", "text.csv"])
def test_libreoffice_rosters_import_in_every_format(hub_db, written, people, name):
    report = import_roster(written[name])  # text.csv: GB18030, what Chinese Excel and WPS save by default
    assert not report.errors, report.errors[:3]
    assert report.rows == len(people)
    assert_imported(people)


@pytest.mark.parametrize("name", ["titled.xlsx", "titled.ods"])
def test_a_title_row_and_full_width_input_are_read(hub_db, written, people, name):
    report = import_roster(written[name])
    assert not report.errors, report.errors[:3]
    assert_imported(people)  # ASCII digits and X, 县(区) found, U+3000 trimmed from names
    assert Household.select().where(Household.number == people[0]["household_id"]).count() == 1


def test_a_gbk_csv_saved_by_excel_is_read(hub_db, tmp_path):
    rows = synthetic.generate_roster(8, VILLAGES[:1], 2)
    synthetic.write_roster_csv(rows, tmp_path / "utf8.csv", bom=False)
    (tmp_path / "gbk.csv").write_bytes((tmp_path / "utf8.csv").read_text("utf-8").encode("gbk"))
    assert not import_roster(tmp_path / "gbk.csv").errors
    assert_imported(rows)


@pytest.mark.parametrize(("separator", "encoding"), [(";", "utf-8"), ("\t", "utf-16")])
def test_a_semicolon_or_tab_separated_file_gets_a_hint(hub_db, tmp_path, separator, encoding):
    path = tmp_path / "separated.csv"  # utf-16 and tabs: what Excel saves as "Unicode 文本"
    path.write_text(separator.join(ROSTER_COLUMNS.values()) + "\n1;2\n", encoding=encoding)
    with pytest.raises(FieldsyncError) as caught:
        import_roster(path)
    assert "分号" in caught.value.message and caught.value.code.name == "ROSTER_UNREADABLE"


# --- dates -----------------------------------------------------------------------------------------------------

DATE_FORMS = {"serial": 24454, "slash": "1966/12/13", "dots": "1966.12.13", "digits": "19661213",
              "chinese": "1966年12月13日", "cell": datetime(1966, 12, 13)}


def test_dates_in_every_form_spreadsheets_write(hub_db, tmp_path):
    rows = synthetic.generate_roster(9, VILLAGES[:1], 6)[:len(DATE_FORMS) + 1]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["户编号", "乡(镇)", "村(安置点)", "户类型", "姓名", "证件号码", "出生日期", "纳入监测时间"])
    birth = "1966-12-13"
    for row, value in zip(rows, [*DATE_FORMS.values(), "去年冬天"], strict=True):
        first17 = row["id_number"][:6] + "19661213" + row["id_number"][14:17]
        row.update(id_number=first17 + check_character(first17))
        sheet.append([row["household_id"], row["township"], row["village"], "监测户", row["name"],
                      row["id_number"], value, value])
    workbook.save(tmp_path / "dates.xlsx")
    report = import_roster(tmp_path / "dates.xlsx")
    assert [e.row for e in report.errors] == [len(rows) + 1]
    assert "出生日期" in report.errors[0].message and "去年冬天" not in report.errors[0].message
    stored = list(Person.select())
    assert len(stored) == len(DATE_FORMS) and {p.birth_date for p in stored} == {birth}
    assert {h.monitoring_since for h in Household.select()} == {birth}


# --- limits ------------------------------------------------------------------------------------------------------

SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def write_xlsx(path: Path, sheet_chunks, shared_chunks) -> Path:
    """A minimal XLSX whose sheet and shared strings are streamed in, so a bomb costs little to make."""
    Workbook().save(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>'))
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", (
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                archive.writestr(name, data)
        for name, chunks in (("xl/worksheets/sheet1.xml", sheet_chunks), ("xl/sharedStrings.xml", shared_chunks)):
            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
    return path


def many_rows(count: int):
    yield f'<?xml version="1.0"?><worksheet {SHEET_NS}><sheetData>'.encode()
    block = b"<row><c><v>1</v></c></row>" * 10_000
    for _ in range(count // 10_000):
        yield block
    yield b"</sheetData></worksheet>"


def one_string(size: int):
    yield f'<?xml version="1.0"?><sst {SHEET_NS} count="1" uniqueCount="1"><si><t>'.encode()
    for _ in range(size >> 20):
        yield b"A" * (1 << 20)
    yield b"</t></si></sst>"


def assert_too_large(call) -> FieldsyncError:
    with pytest.raises(FieldsyncError) as caught:
        call()
    assert caught.value.code.name == "TABLE_TOO_LARGE" and "拆成" in caught.value.message
    return caught.value


def test_two_million_rows_in_a_small_xlsx_are_refused(app, hub_db, tmp_path):
    path = write_xlsx(tmp_path / "rows.xlsx", many_rows(2_000_000), one_string(0))
    assert path.stat().st_size < 4 * 1024 * 1024
    for call in (lambda: import_roster(path), lambda: importer.import_postings(path, own_records.sign),
                 lambda: import_list("death", path, "2026-10")):
        assert "200000 行" in assert_too_large(call).message


def test_a_shared_string_bigger_than_the_uncompressed_limit_is_refused(app, hub_db, tmp_path):
    app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"] = 32 * 1024 * 1024
    sheet = [f'<?xml version="1.0"?><worksheet {SHEET_NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
             '</row></sheetData></worksheet>'.encode()]
    path = write_xlsx(tmp_path / "string.xlsx", sheet, one_string(64 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    assert "解压后" in assert_too_large(lambda: import_roster(path)).message


def test_an_ods_row_repeated_two_million_times_is_refused(hub_db, written, tmp_path):
    """LibreOffice's own ODS, with its trailing empty rows turned into one filled row repeated 2,000,000 times."""
    with zipfile.ZipFile(written["text.ods"]) as source:
        parts = {info: source.read(info) for info in source.infolist()}
    bomb = (b'<table:table-row table:number-rows-repeated="2000000"><table:table-cell office:value-type="string">'
            b'<text:p>x</text:p></table:table-cell></table:table-row></table:table>')
    path = tmp_path / "bomb.ods"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts.items():
            archive.writestr(info, data.replace(b"</table:table>", bomb, 1) if info.filename == "content.xml"
                             else data)
    assert_too_large(lambda: import_roster(path))
    assert Person.select().count() == 0


def test_an_xls_with_a_cell_in_its_last_row_and_column_is_refused(hub_db, written):
    """5 KB that python-calamine would turn into a 65,536 x 256 grid (about 1 GB) before the first row."""
    assert written["corner.xls"].stat().st_size < 64 * 1024
    assert "格" in assert_too_large(lambda: import_roster(written["corner.xls"])).message


def test_row_and_cell_limits_are_settings(app, hub_db, tmp_path):
    rows = synthetic.generate_roster(3, VILLAGES[:1], 6)
    synthetic.write_roster_csv(rows, tmp_path / "roster.csv")
    app.config["IMPORT_MAX_ROWS"] = len(rows)  # the header is a row too
    assert_too_large(lambda: import_roster(tmp_path / "roster.csv"))
    app.config["IMPORT_MAX_ROWS"] = len(rows) + 1
    rows[1]["measures"] = "帮" * 3000
    synthetic.write_roster_csv(rows, tmp_path / "roster.csv")
    assert "每格" in assert_too_large(lambda: import_roster(tmp_path / "roster.csv")).message
    assert Person.select().count() == 0


def test_the_cli_refuses_a_bomb_with_a_message(app, runner, tmp_path):
    from hub.cli import main

    path = write_xlsx(tmp_path / "rows.xlsx", many_rows(2_000_000), one_string(0))
    args = ["--data-dir", app.config["DATA_DIR"], "--database-url", app.config["DATABASE_URL"]]
    for command in (["import-roster", str(path)], ["import-postings", str(path)],
                    ["import-list", "death", str(path), "--month", "2026-10"]):
        done = runner.invoke(main, [*args, *command])
        assert done.exit_code != 0 and "拆成" in done.output, done.output
        assert "Traceback" not in done.output


# --- postings and department lists -----------------------------------------------------------------------------

POSTING_HEADER = ["用人单位", "岗位名称", "工作地点", "薪酬", "薪酬单位", "联系人", "联系电话", "有效期至"]


def posting_list(path: Path, valid_until: list) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["融安县2027年春季用工岗位表"])  # a title row
    sheet.append(POSTING_HEADER)
    for number, value in enumerate(valid_until):
        sheet.append([f"融安县竹编车间{number}", "竹编工", "泗顶镇", 3000, "月", "莫师傅", "13807721111", value])
    workbook.save(path)
    return path


def test_posting_dates_as_chinese_text_or_serial_import_and_a_bad_one_is_a_row_error(app, hub_db, tmp_path):
    import_county(tmp_path)
    path = posting_list(tmp_path / "岗位表.xlsx", ["2027年3月31日", 46477, "2027.3.31", "三月底"])
    report = importer.import_postings(path, own_records.sign)
    assert (report.rows, report.created) == (4, 3)
    assert [e.row for e in report.errors] == [6] and "有效期至" in report.errors[0].message


def test_the_posting_upload_never_answers_500(app, client, tmp_path):
    with app.app_context():
        from hub.store import db

        with db.database.connection_context():
            import_county(tmp_path)
    path = posting_list(tmp_path / "list.xlsx", ["2027年3月31日", "三月底", FUTURE])
    with path.open("rb") as handle:
        reply = client.post("/postings/import", data={"file": (handle, "岗位表.xlsx")},
                            content_type="multipart/form-data")
    text = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "新增 2 个岗位" in text and "第 4 行" in text, text[-800:]
    bomb = write_xlsx(tmp_path / "rows.xlsx", many_rows(2_000_000), one_string(0))
    with bomb.open("rb") as handle:
        reply = client.post("/postings/import", data={"file": (handle, "big.xlsx")},
                            content_type="multipart/form-data")
    assert reply.status_code == 422 and "拆成" in reply.get_data(as_text=True)


def test_posting_and_department_lists_speak_of_their_own_files(app, hub_db, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("甲,乙\n1,2\n", encoding="utf-8")
    for call, label in ((lambda: importer.import_postings(path, own_records.sign), "岗位表"),
                        (lambda: import_list("death", path, "2026-10"), "死亡登记名单")):
        with pytest.raises(FieldsyncError) as caught:
            call()
        assert label in caught.value.message and "花名册" not in caught.value.message


def test_department_lists_read_dates_and_refuse_damaged_ids(app, hub_db, tmp_path):
    rows = synthetic.generate_roster(4, VILLAGES[:1], 3)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "证件号码", "死亡日期"])
    for row, value in zip(rows[:4], ["2026年10月3日", 46298, "十月", "2026/10/5"], strict=True):
        sheet.append([row["name"], row["id_number"], value])
    sheet.append([rows[4]["name"], int(rows[4]["id_number"][:17] + "0"), "2026-10-06"])
    workbook.save(tmp_path / "death.xlsx")
    report = import_list("death", tmp_path / "death.xlsx", "2026-10")
    assert report.imported == 3
    assert [e.row for e in report.errors] == [4, 6]
    assert "死亡日期" in report.errors[0].message and report.errors[1].message == DAMAGED_ID_MESSAGE


def test_the_reader_refuses_other_suffixes_with_the_files_own_name(tmp_path):
    path = tmp_path / "list.numbers"
    path.write_bytes(b"x")
    with pytest.raises(FieldsyncError) as caught:
        read_rows(path, {"a": "甲"}, ["a"], TableKind("岗位表"))
    assert caught.value.message.startswith("岗位表") and ".ods" in caught.value.message

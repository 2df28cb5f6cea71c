"""Other departments' monthly lists: the death register, the 低保/特困 roster, the student list (DOMAIN.md §6), and
the three groups of labourers needing employment support that no roster column records (DOMAIN.md §4; issue 16):
公益性岗位退出人员 (人社局), 脱贫户高校未就业毕业生 (教育局), 雨露计划未就业毕业生 (乡村振兴局).

Each month the county imports what public security / health, civil affairs, education, HR and rural revitalisation
send it (CSV, XLSX, XLS or ODS, Chinese or English headers; shared/table_files.py); the next cleaning run compares
the first three with the roster and the visits (rules X1–X3, hub/cleaning/rules/cross_checks.py); the last three give
the type of an untransferred labourer (``hub.cleaning.exports.person_type``, the monthly table, the quarterly
hand-off and the dashboard), from the latest list of each kind for a month up to the one reported
(``latest_lists``).  A row that cannot be read is reported with
its row number and the reason; the rest still imports.  Importing the same file again for the same month
changes nothing; a new file for the same kind and month replaces that month's list of that kind.  A file none
of whose rows could be read replaces nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hub.settings import import_limits
from hub.store.db import insert_rows, write_transaction
from hub.store.models import DepartmentEntry, DepartmentList
from shared import idnumber
from shared.errors import ErrorCode, FieldsyncError
from shared.months import check_month
from shared.rows import tuples
from shared.table_files import RowError, TableKind, TableRow, column_is_text, id_number_damage, parse_date, read_rows

DEATH, ASSISTANCE, STUDENT = "death", "assistance", "student"
WELFARE_EXIT, GRADUATE, YULU_GRADUATE = "welfare_exit", "graduate", "yulu_graduate"
KIND_NAMES = {DEATH: "死亡登记名单", ASSISTANCE: "低保/特困名单", STUDENT: "在校生名单",
              WELFARE_EXIT: "公益性岗位退出人员名单", GRADUATE: "脱贫户高校未就业毕业生名单",
              YULU_GRADUATE: "雨露计划未就业毕业生名单"}
# The lists that name a type of untransferred labourer (DOMAIN.md §4), the department keeping each, in the
# order of the official types.
TYPE_LISTS = {WELFARE_EXIT: "县人社局", GRADUATE: "县教育局", YULU_GRADUATE: "县乡村振兴局"}


# English key -> Chinese header, per kind; a file may use either.
LIST_COLUMNS: dict[str, dict[str, str]] = {
    DEATH: {"name": "姓名", "id_number": "证件号码", "death_date": "死亡日期"},
    ASSISTANCE: {"name": "姓名", "id_number": "证件号码", "assistance_class": "救助类别"},
    STUDENT: {"name": "姓名", "id_number": "证件号码", "school": "学校", "stage": "学段"},
    WELFARE_EXIT: {"name": "姓名", "id_number": "证件号码", "exit_date": "退出时间", "post": "原岗位"},
    GRADUATE: {"name": "姓名", "id_number": "证件号码", "school": "毕业院校", "graduated": "毕业时间"},
    YULU_GRADUATE: {"name": "姓名", "id_number": "证件号码", "school": "毕业院校", "graduated": "毕业时间"},
}
REQUIRED_LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    DEATH: ("name", "id_number", "death_date"),
    ASSISTANCE: ("name", "id_number", "assistance_class"),
    STUDENT: ("name", "id_number"),
    WELFARE_EXIT: ("name", "id_number", "exit_date"),
    GRADUATE: ("name", "id_number"),
    YULU_GRADUATE: ("name", "id_number"),
}
ASSISTANCE_CLASSES = ("低保", "特困")


@dataclass
class ListImport:
    kind: str
    month: str
    rows: int = 0  # data rows read from the file
    imported: int = 0  # entries written (0 when nothing changed)
    unchanged: bool = False  # the same file was already imported for this kind and month
    replaced: int = 0  # entries of an earlier file for this kind and month that this one replaced
    errors: list[RowError] = field(default_factory=list)


def _detail(kind: str, row: dict[str, str]) -> str:
    """The kind's detail of a row; ValueError with a Chinese reason when it cannot be read."""
    if kind == DEATH:
        if not row.get("death_date"):
            raise ValueError("“死亡日期”不能为空")
        return parse_date(row["death_date"], "死亡日期") or ""
    if kind == ASSISTANCE:
        value = row.get("assistance_class", "")
        found = [name for name in ASSISTANCE_CLASSES if name in value]  # 农村低保, 特困供养 …
        if len(found) != 1:
            raise ValueError(f"“救助类别”应为 低保 / 特困 之一，现在是“{value}”")
        return found[0]
    if kind == WELFARE_EXIT:
        if not row.get("exit_date"):
            raise ValueError("“退出时间”不能为空")
        exited = parse_date(row["exit_date"], "退出时间") or ""
        return " ".join(part for part in (exited, row.get("post", "").strip()) if part)
    if kind in (GRADUATE, YULU_GRADUATE):
        return " ".join(part for part in (row.get("school", "").strip(), row.get("graduated", "").strip()) if part)
    return " ".join(part for part in (row.get("school", ""), row.get("stage", "")) if part)


def parse_row(kind: str, table_row: TableRow | dict[str, str], text_id_column: bool = False) -> dict[str, str]:
    """One list row as an entry {id_number, name, detail}; raise ValueError with a Chinese reason."""
    if not isinstance(table_row, TableRow):
        table_row = TableRow(0, dict(table_row))
    row = table_row.values
    name = row.get("name", "").strip()
    if not name:
        raise ValueError("“姓名”不能为空")
    if not row.get("id_number"):
        raise ValueError("“证件号码”不能为空")
    id_number = idnumber.normalise(row["id_number"])
    damage = id_number_damage(table_row, id_number, text_id_column)
    problem = idnumber.problem(id_number)
    if damage:
        raise ValueError(damage)
    if problem:
        raise ValueError(problem.message)
    return {"id_number": id_number, "name": name, "detail": _detail(kind, row)}


def _read(kind: str, path: Path, report: ListImport) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    rows = read_rows(path, LIST_COLUMNS[kind], REQUIRED_LIST_COLUMNS[kind], TableKind(KIND_NAMES[kind]),
                     import_limits())
    text_id_column = column_is_text(rows)
    for row in rows:
        number = row.number
        report.rows += 1
        try:
            entry = parse_row(kind, row, text_id_column)
        except ValueError as exc:
            report.errors.append(RowError(number, str(exc)))
            continue
        if entry["id_number"] in seen:
            report.errors.append(RowError(number, f"证件号码与第 {seen[entry['id_number']]} 行重复，本行未导入"))
            continue
        seen[entry["id_number"]] = number
        entries.append(entry)
    return entries


def import_list(kind: str, path: Path | str, month: str) -> ListImport:
    """Import one department's list for ``month``; see the module docstring for the guarantees."""
    if kind not in LIST_COLUMNS:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"名单类型“{kind}”不认识，应为：{'、'.join(LIST_COLUMNS)}。")
    path = Path(path)
    report = ListImport(kind, check_month(month))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    entries = _read(kind, path, report)
    if report.errors and not entries:
        return report  # nothing readable: keep whatever the month had
    with write_transaction():
        held = list(tuples(DepartmentList.select(DepartmentList.id, DepartmentList.file_digest)
                           .where(DepartmentList.kind == kind, DepartmentList.month == month)))
        if any(held_digest == digest for _, held_digest in held):
            report.unchanged = True
            return report
        old = [list_id for list_id, _ in held]
        if old:
            report.replaced = DepartmentEntry.delete().where(DepartmentEntry.department_list.in_(old)).execute()
            DepartmentList.delete().where(DepartmentList.id.in_(old)).execute()
        list_id = insert_rows(DepartmentList, [{"kind": kind, "month": month, "file_digest": digest,
                                                "rows": len(entries), "imported_at": datetime.utcnow()}],
                              returning=("id",))[0][0]
        insert_rows(DepartmentEntry, [{"department_list": list_id, **entry} for entry in entries])
        report.imported = len(entries)
    return report


def latest_lists(kinds: tuple[str, ...], month: str) -> dict[str, tuple[int, str]]:
    """Kind -> (list id, month) of the latest list of each of ``kinds`` imported for a month up to ``month``:
    what a department sent last is what the county knows (a kind never imported is absent)."""
    query = (DepartmentList.select(DepartmentList.kind, DepartmentList.id, DepartmentList.month)
             .where(DepartmentList.kind.in_(list(kinds)), DepartmentList.month <= month)
             .order_by(DepartmentList.month, DepartmentList.id))
    return {kind: (list_id, listed_month) for kind, list_id, listed_month in tuples(query)}


def listed_kinds(month: str) -> dict[str, str]:
    """ID number -> the first of ``TYPE_LISTS``' kinds whose latest list up to ``month`` names the person."""
    found: dict[str, str] = {}
    latest = latest_lists(tuple(TYPE_LISTS), month)
    for kind in TYPE_LISTS:
        if kind in latest:
            query = DepartmentEntry.select(DepartmentEntry.id_number).where(
                DepartmentEntry.department_list == latest[kind][0])
            for (id_number,) in tuples(query):
                found.setdefault(id_number, kind)
    return found

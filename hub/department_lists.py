"""Other departments' monthly lists: the death register, the 低保/特困 roster, the student list (DOMAIN.md §6).

Each month the county imports what public security / health, civil affairs and education send it (CSV, XLSX,
XLS or ODS, Chinese or English headers; shared/table_files.py); the next cleaning run compares them with the
roster and the visits (rules X1–X3, hub/cleaning/cross_checks.py).  A row that cannot be read is reported with
its row number and the reason; the rest still imports.  Importing the same file again for the same month
changes nothing; a new file for the same kind and month replaces that month's list of that kind.  A file none
of whose rows could be read replaces nothing.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click
from peewee import AutoField, BigIntegerField, DateTimeField, ForeignKeyField, TextField

from hub.db import insert_rows, write_transaction
from hub.models import BaseModel
from hub.roster import RowError
from hub.settings import import_limits
from shared import idnumber
from shared.errors import ErrorCode, FieldsyncError
from shared.months import check_month
from shared.table_files import TableKind, TableRow, column_is_text, id_number_damage, parse_date, read_rows

DEATH, ASSISTANCE, STUDENT = "death", "assistance", "student"
KIND_NAMES = {DEATH: "死亡登记名单", ASSISTANCE: "低保/特困名单", STUDENT: "在校生名单"}

# English key -> Chinese header, per kind; a file may use either.
LIST_COLUMNS: dict[str, dict[str, str]] = {
    DEATH: {"name": "姓名", "id_number": "证件号码", "death_date": "死亡日期"},
    ASSISTANCE: {"name": "姓名", "id_number": "证件号码", "assistance_class": "救助类别"},
    STUDENT: {"name": "姓名", "id_number": "证件号码", "school": "学校", "stage": "学段"},
}
REQUIRED_LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    DEATH: ("name", "id_number", "death_date"),
    ASSISTANCE: ("name", "id_number", "assistance_class"),
    STUDENT: ("name", "id_number"),
}
ASSISTANCE_CLASSES = ("低保", "特困")


class DepartmentList(BaseModel):
    """One imported file: a kind of list for one month (schema: hub/migrations/0010_department_lists.sql)."""

    id = AutoField()
    kind = TextField()
    month = TextField()
    file_digest = TextField()
    rows = BigIntegerField()
    imported_at = DateTimeField()


class DepartmentEntry(BaseModel):
    """One person on a list; ``detail`` is the death date, 低保/特困, or school and stage."""

    id = AutoField()
    department_list = ForeignKeyField(DepartmentList, backref="entries", column_name="list_id")
    id_number = TextField()
    name = TextField()
    detail = TextField(default="")


DEPARTMENT_MODELS = [DepartmentList, DepartmentEntry]


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
    if damage or problem:
        raise ValueError(damage or problem.message)
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
        held = list(DepartmentList.select(DepartmentList.id, DepartmentList.file_digest)
                    .where(DepartmentList.kind == kind, DepartmentList.month == month).tuples())
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


def _in_app(command: Callable) -> Callable:
    """``hub.cli.run_in_app``, looked up when the command runs: hub/cli.py imports this module to register it."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from hub.cli import run_in_app

        return run_in_app()(command)(*args, **kwargs)

    return wrapper


@click.command("import-list")
@click.argument("kind", type=click.Choice(list(LIST_COLUMNS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--month", required=True, help="Month the list is for, YYYY-MM.")
@_in_app
def import_list_command(app: Any, kind: str, file: Path, month: str) -> None:
    """Import another department's monthly list (death: death register; assistance: 低保/特困 roster; student:
    student list) from CSV, XLSX, XLS or ODS, for the cross-checks X1–X3 of the next cleaning run."""
    report = import_list(kind, file, month)
    label = f"{month} {KIND_NAMES[kind]}"
    if report.unchanged:
        click.echo(f"{label}：这个文件已经导入过，未作改动（读取 {report.rows} 行）。")
    elif report.errors and not report.imported:
        click.echo(f"{label}：读取 {report.rows} 行，没有一行可以导入，原有名单保持不变。")
    else:
        replaced = f"，替换了原先的 {report.replaced} 条" if report.replaced else ""
        click.echo(f"{label}：读取 {report.rows} 行，导入 {report.imported} 条{replaced}。")
    for error in report.errors:
        click.echo(f"未导入 第 {error.row} 行：{error.message}", err=True)
    if report.errors:
        click.echo(f"{len(report.errors)} 行未导入。请修改这些行后重新导入整个文件（新文件会替换本月的这份名单）。",
                   err=True)
        sys.exit(2)

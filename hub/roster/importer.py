"""The county's household roster at the hub: importing the spreadsheets counties keep, serving changes.

An import reads a CSV (UTF-8 or GBK), XLSX, XLS or ODS file with Chinese or English headers, one row per
person (shared/table_files.py says how).  A row that cannot be read is reported with its row number and the
reason; the rest still imports.  An ID number a spreadsheet has damaged (a number cell, 4.50224E+17,
450224196612130000) is such a row: it must never become a person's key.  Households are written as units and
only when their content changed, so importing the same file twice changes nothing.  Every changed household
takes the next value of the roster clock, which nodes use as their pull cursor (a counter that only grows,
never a wall-clock time).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.roster import sealing_keys
from hub.settings import import_limits
from hub.store.db import write_transaction
from hub.store.models import Household, Person, RosterClock, Township, Village, next_change_seq
from shared import idnumber
from shared.errors import ErrorCode
from shared.pinyin import syllables
from shared.roster import (
    HOUSEHOLD_TYPES,
    MONITORING_TYPES,
    REQUIRED_COLUMNS,
    ROSTER_COLUMNS,
    YES_NO,
)
from shared.table_files import (
    RowError,
    TableKind,
    TableRow,
    column_is_text,
    id_number_damage,
    normalise_text,
    parse_date,
    read_rows,
)
from shared.vocabulary import LIVING, PERSON_STATUSES

BOOLEAN_COLUMNS = ("dibao", "tekun", "relocated", "disabled", "support_251")
SUPPORT_COLUMNS = ("household_type", "monitoring_type", "monitoring_since", "helper", "helper_since", "plan_date",
                   "measures", "risk_eliminated")
WRITE_CHUNK = 500
PROGRESS_EVERY = 1000  # rows between two progress reports while checking
# What a long import says while it runs: progress(step, done, total), the step in Chinese (web bar, CLI bar).
Progress = Callable[[str, int, int], None]
READING, CHECKING, WRITING = "读取文件", "检查各行", "写入各户"
MOBILE = re.compile(r"^1[3-9]\d{9}$")  # DOMAIN.md I9


@dataclass
class ImportReport:
    rows: int = 0
    households_created: int = 0
    households_changed: int = 0
    households_unchanged: int = 0
    villages_created: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)


ROSTER = TableKind("花名册", ErrorCode.ROSTER_UNREADABLE)


def read_roster(path: Path) -> list[TableRow]:
    """The roster's data rows (shared/table_files.py: formats, normalisation, title rows, limits)."""
    return read_rows(path, ROSTER_COLUMNS, REQUIRED_COLUMNS, ROSTER, import_limits())


def _date(row: dict[str, str], key: str) -> str | None:
    return parse_date(row.get(key, ""), ROSTER_COLUMNS[key])


def parse_roster_date(text: str, column: str = "日期") -> str | None:
    """The former name of ``table_files.parse_date``, kept for callers written before it (ValueError as before)."""
    return parse_date(text, column)


def _choice(row: dict[str, str], key: str, allowed: Iterable[str], default: str = "") -> str:
    value = row.get(key, "") or default
    if value not in allowed:
        raise ValueError(f"“{ROSTER_COLUMNS[key]}”应为 {' / '.join(a for a in allowed if a)} 之一")
    return value


def id_disagreement(id_number: str, problem: str, gender: str, birth: str | None) -> str:
    """I1: the ID number's own problem, or its disagreement with the recorded gender or birth date."""
    if problem:
        return problem
    if gender and gender != idnumber.gender(id_number):
        return "gender_mismatch"
    encoded = idnumber.birth_date(id_number)
    if birth and (encoded is None or birth != encoded.isoformat()):
        return "birth_mismatch"
    return ""


def parse_row(table_row: TableRow | dict[str, str], text_id_column: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Turn one spreadsheet row (or a plain {key: text} from a form) into a clean person record; raise
    ValueError with a Chinese reason.

    ``text_id_column``: the file's ID column is intact text (``table_files.column_is_text``)."""
    if not isinstance(table_row, TableRow):
        table_row = TableRow(0, {key: normalise_text(value or "") for key, value in table_row.items()})
    row = table_row.values
    for key in REQUIRED_COLUMNS:
        if not row.get(key):
            raise ValueError(f"“{ROSTER_COLUMNS[key]}”不能为空")
    warnings = []
    id_number = idnumber.normalise(row["id_number"])
    problem = idnumber.problem(id_number)
    damage = id_number_damage(table_row, id_number, text_id_column)
    if damage:
        raise ValueError(damage)
    if problem and problem.code in ("excel_number", "shape"):
        raise ValueError(problem.message)
    if problem:
        warnings.append(f"{problem.message}（已导入，清洗时会列入异常清单）")
    gender = row.get("gender") or (idnumber.gender(id_number) if not problem else "")
    encoded = idnumber.birth_date(id_number)  # a date whenever there is no problem
    birth = _date(row, "birth_date") or (
        encoded.isoformat() if encoded is not None and not problem else None)
    phone = row.get("phone", "").replace(" ", "")
    person = {
        "id_problem": id_disagreement(id_number, problem.code if problem else "", gender, birth),
        "phone_problem": "" if not phone or MOBILE.match(phone) else "invalid", "checked": True,
        "id_number": id_number, "name": row["name"], "name_pinyin": "".join(syllables(row["name"])),
        "gender": _choice({"gender": gender}, "gender", ("男", "女")), "birth_date": birth,
        "relation": row.get("relation", ""), "labour_ability": row.get("labour_ability", ""),
        "student": row.get("student", ""), "phone": phone,
        "status": _choice(row, "status", PERSON_STATUSES, default=LIVING),
        "returned_since": _date(row, "returned_since"),
        **{key: YES_NO[_choice(row, key, tuple(YES_NO))] for key in BOOLEAN_COLUMNS},
    }
    household = {
        "number": row["household_id"], "township": row["township"], "village": row["village"],
        "household_type": _choice(row, "household_type", HOUSEHOLD_TYPES),
        "monitoring_type": _choice(row, "monitoring_type", ("", *MONITORING_TYPES)),
        "monitoring_since": _date(row, "monitoring_since"),
        "helper": row.get("helper", ""), "helper_since": _date(row, "helper_since"),
        "plan_date": _date(row, "plan_date"), "measures": row.get("measures", ""),
        "risk_eliminated": _date(row, "risk_eliminated"),
    }
    return {"household": household, "person": person}, warnings


@dataclass
class _HouseholdDraft:
    fields: dict[str, Any]
    first_row: int
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    complete: bool = True

    def digest(self) -> str:
        content = {"household": self.fields, "members": [self.members[k] for k in sorted(self.members)]}
        return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def _collect(path: Path, report: ImportReport, progress: Progress) -> dict[str, _HouseholdDraft]:
    drafts: dict[str, _HouseholdDraft] = {}
    progress(READING, 0, 1)
    rows = read_roster(path)
    text_id_column = column_is_text(rows)
    for table_row in rows:
        number, row = table_row.number, table_row.values
        if report.rows % PROGRESS_EVERY == 0:
            progress(CHECKING, report.rows, len(rows))
        report.rows += 1
        try:
            parsed, warnings = parse_row(table_row, text_id_column)
        except ValueError as exc:
            report.errors.append(RowError(number, str(exc)))
            if row.get("household_id") in drafts:
                drafts[row["household_id"]].complete = False
            continue
        report.warnings += [RowError(number, text) for text in warnings]
        household, person = parsed["household"], parsed["person"]
        draft = drafts.setdefault(household["number"], _HouseholdDraft(household, number))
        if draft.fields != household:
            report.errors.append(RowError(number, "同一户编号的各行户信息（乡镇、村、户类型等）不一致，本行未导入"))
            draft.complete = False
        elif person["id_number"] in draft.members:
            report.errors.append(RowError(number, "同一户中证件号码重复，本行未导入"))
        else:
            draft.members[person["id_number"]] = person
    progress(CHECKING, report.rows, len(rows))
    return drafts


def _villages(drafts: dict[str, _HouseholdDraft], report: ImportReport) -> dict[tuple[str, str], int]:
    """Village ids by (township, village), creating villages of known townships as the roster names them."""
    townships = {t.name: t.id for t in Township.select()}
    found = {(v.township.name, v.name): v.id for v in Village.select(Village, Township).join(Township)}
    for number, draft in list(drafts.items()):
        place = (draft.fields["township"], draft.fields["village"])
        if place in found:
            continue
        if place[0] not in townships:
            report.errors.append(RowError(draft.first_row, f"户 {number}：县里没有乡镇“{place[0]}”，该户未导入"
                                                           f"（已有：{'、'.join(townships)}）"))
            del drafts[number]
            continue
        found[place] = Village.create(township=townships[place[0]], name=place[1]).id
        report.villages_created.append("/".join(place))
    return found


def _write_chunk(chunk: list[_HouseholdDraft], villages: dict[tuple[str, str], int], report: ImportReport,
                 clock: list[int]) -> None:
    existing = {h.number: h for h in Household.select().where(
        Household.number.in_([draft.fields["number"] for draft in chunk]))}
    for draft in chunk:
        digest = draft.digest()
        current = existing.get(draft.fields["number"])
        if current is not None and current.digest == digest:
            report.households_unchanged += 1
            continue
        if not clock:
            clock.append(next_change_seq(RosterClock))
        village_id = villages[(draft.fields["township"], draft.fields["village"])]
        values = {key: draft.fields[key] for key in SUPPORT_COLUMNS}
        values.update(village=village_id, digest=digest, change_seq=clock[0])
        if current is None:
            household_id = Household.insert(number=draft.fields["number"], **values).execute()
            report.households_created += 1
        else:
            if current.village_id != village_id:
                values["previous_village"] = current.village_id
            Household.update(**values).where(Household.id == current.id).execute()
            household_id = current.id
            report.households_changed += 1
        _write_members(household_id, draft)


def _write_members(household_id: int, draft: _HouseholdDraft) -> None:
    """Upsert members by ID number; drop members absent from the file only when all the household's rows
    were readable (a half-read household must not lose people)."""
    held = {p.id_number: p.id for p in Person.select(Person.id, Person.id_number)
            .where(Person.household == household_id)}
    for id_number, person in draft.members.items():
        person = {**person, "person_key": sealing_keys.stored_person_key(id_number)}
        if id_number in held:
            Person.update(**person).where(Person.id == held[id_number]).execute()
        else:
            Person.insert(household=household_id, **person).execute()
    gone = [pid for number, pid in held.items() if number not in draft.members]
    if gone and draft.complete:
        Person.delete().where(Person.id.in_(gone)).execute()


def import_roster(path: Path, progress: Progress = _no_progress) -> ImportReport:
    """Import a roster file; see the module docstring for the guarantees.  ``progress(step, done, total)`` hears
    how far it got: reading the file, checking its rows, writing its households (every thousand rows, every
    chunk of households)."""
    report = ImportReport()
    drafts = _collect(Path(path), report, progress)
    clock: list[int] = []  # one clock value for the whole import, taken on the first change
    with write_transaction():
        villages = _villages(drafts, report)
        ordered = list(drafts.values())
        for start in range(0, len(ordered), WRITE_CHUNK):
            progress(WRITING, start, len(ordered))
            _write_chunk(ordered[start:start + WRITE_CHUNK], villages, report, clock)
        progress(WRITING, len(ordered), len(ordered))
    return report

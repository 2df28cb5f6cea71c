"""The quarterly hand-off to 县人社局 (002 employment §二(一)2; issue 16): in the first month of each quarter the
county's rural-revitalisation bureau gives the HR bureau the previous quarter's work place, months and wage per
labourer, and the lists of the five groups needing employment support — one workbook, one sheet per list, each in
the office form of hub/cleaning/office.py.

ID numbers are masked (DOMAIN.md §9), each beside the person's name and household number.  县人社局 must identify the
people it helps, so a county administrator may write the variant with full ID numbers (``FullIds``): only for an
admin, only with a reason, audited (who, the quarter, the rows, why; never a number), the file named and titled as
holding full numbers, with a line asking that it go to 县人社局 only.  监测对象 and
返乡回流脱贫劳动力 come from the roster; the other three groups from the lists the departments keep
(hub/roster/department_lists.py, hub/cleaning/exports.py ``person_type``), each sheet naming the list it was drawn
from, or saying that no such list has been imported yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from hub import audit
from hub.accounts.users import Principal
from hub.cleaning import exports, office
from hub.roster import department_lists, support_ledger
from hub.store.db import database
from hub.store.models import Household, Person, Township, Village, Visit, VisitEmployment
from shared.errors import ErrorCode, FieldsyncError
from shared.idnumber import mask
from shared.months import add_months, month_span, quarter_of, quarter_start
from shared.schemas import place_labels

WORK_HEADERS = ["序号", "乡(镇)", "村(安置点)", "户编号", "姓名", "证件号码", "务工地点", "务工省份",
                "年内累计务工时长(月)", "本季度工资收入(元)"]
GROUP_HEADERS = ["序号", "乡(镇)", "村(安置点)", "户编号", "姓名", "证件号码", "性别", "年龄", "家庭类型",
                 "是否开展\"251\"就业帮扶", "开展\"251\"帮扶是否有台账", "未转移就业原因"]
FROM_ROSTER = "名单来源：防返贫监测花名册及走访记录。"
NOT_IMPORTED = "名单来源：{department}{list}——本系统尚未导入此名单（fieldsync-hub import-list {kind}），本表为空。"
FROM_LIST = "名单来源：{department}{list}（{month}）。"
RECEIVER = "县人力资源和社会保障局"
FULL_IDS_MARK = "含完整证件号码"
FULL_IDS_WARNING = "本表含完整证件号码，仅限报送县人力资源和社会保障局用于就业帮扶，不得转发、公开或张贴。"


@dataclass(frozen=True)
class FullIds:
    """A request for the hand-off with full ID numbers: who asks (a county administrator) and why."""

    who: Principal
    why: str

    def check(self) -> None:
        """Refuse anyone but a county administrator, and a request without a reason (Chinese messages)."""
        if self.who.role != "admin":
            raise FieldsyncError(ErrorCode.FORBIDDEN, "只有县级管理员可以导出含完整证件号码的名单。")
        if not self.why.strip():
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请写明导出完整证件号码的原因（例如人社局的来函）。",
                                 {"why": ["请写明原因。"]})


def quarter_label(quarter_end: str) -> str:
    """2026-09 -> 2026年第3季度."""
    return f"{quarter_end[:4]}年第{quarter_of(quarter_end)}季度"


def previous_quarter_end(month: str) -> str:
    """The last month of the quarter before the one ``month`` is in."""
    return add_months(quarter_start(month), -1)


def last_quarter_end(month: str) -> str:
    """The last month of the latest quarter ended by ``month``: ``month`` itself when it closes a quarter."""
    return month if quarter_start(month) == add_months(month, -2) else previous_quarter_end(month)


def quarterly_handoff(out: Path, quarter_end: str, days_back: int | None = None,
                      full_ids: FullIds | None = None, region_word: str = "省") -> list[Path]:
    """The hand-off workbook for the quarter ending with the month ``quarter_end`` (YYYY-MM): ID numbers masked,
    or in full for ``full_ids`` (checked, then audited once the file is written); work places in the county's
    words (``region_word``)."""
    if full_ids:
        full_ids.check()
    identify: Callable[[str], str] = (lambda id_number: id_number) if full_ids else mask
    county, label = exports.county_name(), quarter_label(quarter_end)
    marked = f"（{label}，{FULL_IDS_MARK}）" if full_ids else f"（{label}）"
    warning = [FULL_IDS_WARNING] if full_ids else []
    when = f"{label}（{exports.month_text(quarter_start(quarter_end))}至{exports.month_text(quarter_end)}）"
    tables = [office.Table(sheet="务工信息", title=f"{county}脱贫劳动力务工信息{marked}", unit=county, when=when,
                           headers=WORK_HEADERS, rows=work_rows(quarter_end, identify, region_word),
                           text_columns=frozenset({3, 5}),
                           footer=[*warning, f"报送：{RECEIVER}", "填报人：", "联系电话："])]
    people = exports.untransferred_labourers(quarter_end, days_back)
    sources, ledger = group_sources(quarter_end), support_ledger.Ledger.of_year(quarter_end)
    on = date.fromisoformat(f"{quarter_end}-01")
    for kind in exports.PERSON_TYPES:
        rows = [[index, person.township, person.village, person.household_number, person.name,
                 identify(person.id_number), person.gender, exports.age_on(person.birth_date, on),
                 person.household_type, *exports.ledger_columns(ledger, person), reason]
                for index, (person, _found, reason) in enumerate((p for p in people if p[1] == kind), start=1)]
        tables.append(office.Table(sheet=kind, title=f"{county}需要就业帮扶的{kind}名单{marked}", unit=county,
                                   when=when, headers=GROUP_HEADERS, rows=rows, text_columns=frozenset({3, 5}),
                                   footer=[*warning, sources[kind]]))
    name = f"务工信息及重点群体名单-{quarter_end[:4]}年第{quarter_of(quarter_end)}季度"
    written = office.write(out / (f"{name}-{FULL_IDS_MARK}" if full_ids else name), tables, with_csv=False)
    if full_ids:
        audit.record(full_ids.who.actor, "handoff.full_ids", f"handoff:{quarter_end}", None,
                     {"quarter": quarter_end, "rows": sum(len(table.rows) for table in tables),
                      "file": written[0].name}, full_ids.why.strip()[:500])
    return written


def group_sources(quarter_end: str) -> dict[str, str]:
    """Official type -> the line saying where its sheet's people come from."""
    latest = department_lists.latest_lists(tuple(department_lists.TYPE_LISTS), quarter_end)
    found = dict.fromkeys(exports.PERSON_TYPES, FROM_ROSTER)
    for kind, person_type in exports.LISTED_TYPES.items():
        words = {"department": department_lists.TYPE_LISTS[kind], "list": department_lists.KIND_NAMES[kind],
                 "kind": kind}
        found[person_type] = (FROM_LIST.format(month=exports.month_text(latest[kind][1]), **words) if kind in latest
                              else NOT_IMPORTED.format(**words))
    return found


def work_rows(quarter_end: str, identify: Callable[[str], str] = mask, region_word: str = "省") -> list[list[Any]]:
    """Per labourer with work recorded in the quarter: the latest place, the year's months so far, the quarter's
    wage (the current visits' employment records of its three months)."""
    months = month_span(quarter_start(quarter_end), quarter_end)
    query = (VisitEmployment.select(VisitEmployment.id_number, Visit.month, VisitEmployment.place,
                                    VisitEmployment.province, VisitEmployment.months, VisitEmployment.wage,
                                    Household.id)
             .join(Visit).join(Household)
             .where(Visit.is_current(), Visit.month.in_(months)).order_by(Visit.month))
    found: dict[str, dict[str, Any]] = {}
    places = place_labels(region_word)
    for id_number, _month, place, province, worked, wage, household_id in database.execute_sql(*query.sql()):
        entry = found.setdefault(id_number, {"household": household_id, "wage": 0, "months": 0})
        entry.update(place=places.get(place, place), province=province, months=max(entry["months"], worked))
        entry["wage"] += wage
    return _named_rows(found, identify)


def _named_rows(found: dict[str, dict[str, Any]], identify: Callable[[str], str]) -> list[list[Any]]:
    if not found:
        return []
    households = {entry["household"] for entry in found.values()}
    query = (Person.select(Person.household, Person.id_number, Person.name, Household.number, Village.name,
                           Township.name, Township.position).join(Household).join(Village).join(Township))
    # every member read once and kept when their household worked (a county's households do not fit an IN list)
    people = {id_number: rest for household, id_number, *rest in database.execute_sql(*query.sql())
              if household in households}
    rows = []
    for id_number, entry in found.items():
        name, number, village, township, position = people.get(id_number, ("", "", "", "", 999))
        rows.append([position, township, village, number, name, identify(id_number), entry["place"], entry["province"],
                     entry["months"], entry["wage"]])
    rows.sort(key=lambda row: (row[0], row[2], row[3], row[4]))
    return [[index, *row[1:]] for index, row in enumerate(rows, start=1)]

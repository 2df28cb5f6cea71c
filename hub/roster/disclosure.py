"""What is shown beside a masked ID number, and the audited reveal of a full one (issue 12, item 1; DOMAIN.md §9).

The 8 characters a mask hides are the birth date, so no page, export or reply shows a birth date beside a masked
number: it shows the age.  A person is always named beside their masked number (two members of one household can
share the masked form).  The full number and birth date are shown to county roles (admin, staff) only, signed in
as a user (never to a token), one person at a time, on an explicit request with a reason, and each reveal is written
to the audit log (without the number).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from hub.accounts.users import COUNTY_ROLES, Principal
from hub.store.models import Person
from shared.idnumber import age, mask
from shared.rows import tuples

MONTH_SHAPE = re.compile(r"^\d{4}-\d{2}$")
MASKED = re.compile(r"(?<![0-9A-Za-z*])\d{6}\*{8}[\dX]{4}(?![0-9A-Za-z*])")


def may_reveal(who: Principal) -> bool:
    """Whether ``who`` may see full ID numbers and birth dates: signed-in county staff and administrators."""
    return who.kind == "user" and who.role in COUNTY_ROLES


def age_text(birth: Any, on: date) -> str:
    found = age(birth, on)
    return "" if found is None else f"{found} 岁"


def named_subjects(anomalies: list[Any]) -> dict[int, str]:
    """Anomaly id -> its subject with every masked number it carries named ("证件号码 韦某（4502…1234）有误"): the
    rules write the masked number alone, and two members of one household can share it (then both are named)."""
    households = {a.household_id for a in anomalies if a.household_id and MASKED.search(a.subject or "")}
    names: dict[tuple[int, str], list[str]] = {}
    if households:
        for household_id, name, id_number in (tuples(Person.select(Person.household, Person.name, Person.id_number)
                                                     .where(Person.household.in_(households)))):
            names.setdefault((household_id, mask(id_number)), []).append(name)

    def named(anomaly: Any) -> str:
        def one(match: re.Match[str]) -> str:
            who = names.get((anomaly.household_id, match[0]))
            return f"{'或'.join(who)}（{match[0]}）" if who else match[0]
        return MASKED.sub(one, anomaly.subject or "")

    return {a.id: named(a) for a in anomalies}


def _month_text(value: Any) -> str:
    """"2026-10" -> "2026年10月"; anything else as it is."""
    text = str(value)
    return f"{text[:4]}年{int(text[5:7])}月" if MONTH_SHAPE.match(text) else text


def _list_text(value: Any) -> str:
    return "、".join(str(item) for item in value) if isinstance(value, list) else str(value)


def _per_cent(value: Any) -> str:
    return f"{float(value) * 100:.1f}%"


ID_PROBLEMS: dict[str, str] = {  # I1's stored codes (shared/idnumber.py, hub/roster/importer.py)
    "excel_number": "号码被表格软件转成科学计数法，后几位已丢失", "shape": "号码不是18位",
    "birth_date": "号码中的出生日期无效", "check_digit": "校验位不对",
    "gender_mismatch": "号码与登记的性别不一致", "birth_mismatch": "号码与登记的出生日期不一致"}
FORMATS: dict[str, Callable[[Any], str]] = {
    "yuan_year": lambda v: f"{int(v):,} 元/人/年", "yuan_month": lambda v: f"{int(v):,} 元/月",
    "yuan": lambda v: f"{int(v):,} 元", "months": lambda v: f"{v} 个月", "people": lambda v: f"{v} 人",
    "records": lambda v: f"{v} 条", "month": _month_text, "text": str, "list": _list_text, "per_cent": _per_cent,
    "yes_no": lambda v: "是" if v else "否", "score": lambda v: f"{v}（稳健 z 分数，大于阈值即偏离）",
    "id_problem": lambda v: ID_PROBLEMS.get(str(v), str(v)),
}
# detail key -> (label, format); (rule, key) overrides where one key means another thing in that rule
DETAIL_LABELS: dict[str | tuple[str, str], tuple[str, str]] = {
    "per_capita": ("年人均纯收入", "yuan_year"), "line": ("帮扶线", "yuan_year"),
    ("X2", "line"): ("高收入档下限", "yuan_year"), "months_recorded": ("有收入记录的月数", "months"),
    "monthly_this_year": ("今年月均纯收入", "yuan_month"), "monthly_last_year": ("上年同期月均纯收入", "yuan_month"),
    "growth": ("收入增速", "per_cent"), "target": ("目标增速", "per_cent"),
    "months_worked": ("本年务工月数", "months"), "required": ("要求务工月数", "months"),
    "members": ("在世成员", "people"), "labourers": ("劳动力", "people"), "quarter_end": ("季度末月份", "month"),
    "returned_since": ("返乡日期", "text"), "months": ("本年务工月数", "months"),
    ("P11", "months"): ("收入相同的连续月数", "months"), ("X3", "months"): ("务工月数", "months"),
    "wage": ("本月工资", "yuan"), "months_last_month": ("上月记录的本年务工月数", "months"),
    "problems": ("问题", "list"), "monitoring_since": ("纳入监测日期", "text"),
    "risk_eliminated": ("风险消除日期", "text"), "month": ("月份", "month"), "records": ("记录条数", "records"),
    "visit_date": ("走访日期", "text"), "to": ("截至月份", "month"),
    "confirmed_unchanged": ("已与户确认未变", "yes_no"),
    "score": ("偏离程度", "score"), "death_date": ("死亡日期", "text"), "register_month": ("死亡登记名单月份", "month"),
    "name_matches": ("姓名一致", "yes_no"), "classes": ("享受", "list"), "school": ("学校", "text"),
    "places": ("务工地点", "list"), "problem": ("问题", "id_problem"),
}

def detail_label(rule: str, key: str) -> tuple[str, str]:
    """The Chinese label and format of one detail key (an unknown key shows as 其他)."""
    return DETAIL_LABELS.get((rule, key)) or DETAIL_LABELS.get(key) or ("其他", "text")


def _value_text(value: Any) -> str:
    if isinstance(value, dict):
        return "，".join(f"{_value_text(v)}" for v in value.values())
    return _list_text(value)


def anomaly_detail(detail: dict[str, Any], on: date, rule: str = "",
                   household_numbers: dict[int, str] | None = None) -> dict[str, str]:
    """An anomaly's detail as shown on pages and in exports, every value in Chinese with its unit (the one table
    ``DETAIL_LABELS``): a birth date becomes an age, a list of persons their names with masked numbers (I3 stores
    both beside each other) and, when ``household_numbers`` names them, their household numbers (the internal
    household ids are never shown)."""
    shown: dict[str, str] = {}
    for key, value in detail.items():
        if key == "birth_date":
            shown["年龄"] = age_text(value, on)
        elif key == "persons" and isinstance(value, list):
            shown["涉及人员"] = "、".join(_person(item, household_numbers or {}) for item in value
                                      if isinstance(item, dict))
        else:
            label, shape = detail_label(rule, key)
            try:
                text = FORMATS[shape](value) if value is not None and not isinstance(value, dict) else ""
            except (TypeError, ValueError):
                text = _value_text(value)
            shown[label] = (text or _value_text(value)) if value is not None else "无"
    return shown


def _person(item: dict[str, Any], household_numbers: dict[int, str]) -> str:
    number = household_numbers.get(item.get("household") or 0, "")
    where = f"，户编号 {number}" if number else ""
    return f"{item.get('name', '')}（{item.get('id', '')}{where}）"


def anomaly_detail_text(detail_json: str, on: date, rule: str = "",
                        household_numbers: dict[int, str] | None = None) -> str:
    """The detail of an anomaly on one line, for an export cell: the same labels and units as the pages."""
    shown = anomaly_detail(json.loads(detail_json), on, rule, household_numbers)
    return "，".join(f"{key} {value}" for key, value in shown.items())

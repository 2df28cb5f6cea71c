"""An anomaly's detail in Chinese words with units, for the lists a township reads (issue 16): "务工 0 个月，要求不少于
6 个月", never ``months_worked=0，required=6``.  A birth date is never written (only an age: DOMAIN.md §9); the
persons of a duplicate (I3) are each named with their masked number and household number."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from hub.roster.disclosure import age_text


def _yuan(value: Any) -> str:
    return f"{value:,} 元" if isinstance(value, int | float) else str(value)


def _months(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(_month(str(item)) for item in value)
    return f"{value} 个月"


def _month(value: Any) -> str:
    text = str(value)
    if len(text) == 7 and text[4] == "-":
        return f"{text[:4]}年{int(text[5:])}月"
    return text


def _share(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else str(value)


def _yes(value: Any) -> str:
    return "是" if value else "否"


def _items(value: Any) -> str:
    return "、".join(str(item) for item in value) if isinstance(value, list) else str(value)


def _people(value: Any) -> str:
    return f"{value} 人"


def _count(value: Any) -> str:
    return f"{value} 条"


# detail key -> (label, how its value is written)
WORDS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "per_capita": ("年人均纯收入", _yuan),
    "line": ("标准", _yuan),
    "months_recorded": ("已记录月数", _months),
    "monthly_this_year": ("今年月均收入", _yuan),
    "monthly_last_year": ("去年同期月均收入", _yuan),
    "growth": ("收入增速", _share),
    "target": ("目标增速", _share),
    "months_worked": ("全年务工", _months),
    "required": ("要求不少于", _months),
    "members": ("家庭人口", _people),
    "labourers": ("劳动力", _people),
    "wage": ("工资收入", _yuan),
    "months_last_month": ("上月累计务工", _months),
    "problems": ("问题", _items),
    "problem": ("问题", str),
    "month": ("月份", _month),
    "records": ("走访记录", _count),
    "quarter_end": ("季度末月份", _month),
    "returned_since": ("返乡日期", str),
    "monitoring_since": ("纳入监测日期", str),
    "risk_eliminated": ("风险消除日期", str),
    "visit_date": ("走访日期", str),
    "death_date": ("死亡日期", str),
    "register_month": ("死亡登记月份", _month),
    "name_matches": ("姓名一致", _yes),
    "classes": ("低保/特困类别", _items),
    "school": ("在校情况", str),
    "places": ("务工地点", _items),
    "score": ("偏离村内中位数（稳健 Z 值）", str),
    "to": ("截至", _month),
    "confirmed_unchanged": ("经户确认未变", _yes),
}


def detail_words(detail_json: str, on: date, household_numbers: dict[int, str]) -> str:
    """The detail of one anomaly on one line of Chinese words; ``household_numbers`` names the households of an
    I3 pair."""
    parts = []
    for key, value in json.loads(detail_json).items():
        if key == "birth_date":
            parts.append(f"年龄 {age_text(value, on)}")
        elif key == "persons" and isinstance(value, list):
            parts.append("涉及人员：" + "、".join(_person(item, household_numbers) for item in value
                                              if isinstance(item, dict)))
        elif key == "months" and not isinstance(value, list):
            parts.append(f"务工 {_months(value)}")
        elif key == "months":
            parts.append(f"相同月份 {_months(value)}")
        elif key in WORDS:
            label, how = WORDS[key]
            parts.append(f"{label} {how(value)}")
        else:
            parts.append(f"{key} {value}")
    return "，".join(parts)


def _person(item: dict[str, Any], household_numbers: dict[int, str]) -> str:
    number = household_numbers.get(item.get("household") or 0, "")
    where = f"，户编号 {number}" if number else ""
    return f"{item.get('name', '')}（{item.get('id', '')}{where}）"


def persons_households(details: list[str]) -> set[int]:
    """The household ids the I3 persons of these details belong to."""
    found: set[int] = set()
    for detail_json in details:
        for item in json.loads(detail_json).get("persons") or []:
            if isinstance(item, dict) and isinstance(item.get("household"), int):
                found.add(item["household"])
    return found

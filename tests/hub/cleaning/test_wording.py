"""An anomaly's detail in an exported list is Chinese words with units (issue 16), never ``key=value``; a duplicate
pair (I3) names both persons with their households; a birth date shows only as an age (DOMAIN.md §9)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from hub.cleaning import wording

ON = date(2026, 11, 11)


def words(detail: dict) -> str:
    return wording.detail_words(json.dumps(detail, ensure_ascii=False), ON, {7: "450224010010007",
                                                                              8: "450224010020003"})


def test_units_and_words():
    assert words({"months_worked": 0, "required": 6}) == "全年务工 0 个月，要求不少于 6 个月"
    assert words({"per_capita": 8650, "line": 10000, "months_recorded": 12}) == \
        "年人均纯收入 8,650 元，标准 10,000 元，已记录月数 12 个月"
    assert words({"growth": 0.052, "target": 0.2}) == "收入增速 5.2%，目标增速 20.0%"
    assert words({"months": ["2026-08", "2026-09", "2026-10"], "to": "2026-10", "confirmed_unchanged": False}) == \
        "相同月份 2026年8月、2026年9月、2026年10月，截至 2026年10月，经户确认未变 否"
    assert words({"month": "2026-10"}) == "月份 2026年10月"


def test_both_persons_of_a_duplicate_are_named_with_their_households():
    text = words({"persons": [{"name": "张丽", "id": "450224********1234", "household": 7},
                              {"name": "张莉", "id": "450224********5678", "household": 8}]})
    assert text == ("涉及人员：张丽（450224********1234，户编号 450224010010007）、"
                    "张莉（450224********5678，户编号 450224010020003）")
    assert wording.persons_households([json.dumps({"persons": [{"household": 7}, {"household": 8}]})]) == {7, 8}


def test_a_birth_date_is_an_age():
    assert words({"birth_date": "1980-05-02"}) == "年龄 46 岁"


def test_every_detail_key_the_rules_write_has_its_words():
    rules = Path(__file__).resolve().parents[3] / "hub" / "cleaning" / "rules"
    source = "".join(path.read_text(encoding="utf-8") for path in rules.glob("*.py"))
    found = set(re.findall(r'[{,] ?"([a-z_]+)": ', source))
    assert {"per_capita", "months_worked", "persons", "quarter_end"} <= found  # the scan sees the details
    missing = found - set(wording.WORDS) - {"persons", "months", "birth_date", "name", "id", "household"}
    assert not missing, f"detail keys without Chinese words: {sorted(missing)}"

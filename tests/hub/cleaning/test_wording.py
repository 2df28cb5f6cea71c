"""An anomaly's detail in an exported list is Chinese words with units (issue 16), never ``key=value``, in the same
labels and units as the anomaly page (one table, hub/roster/disclosure.py); a duplicate pair (I3) names both persons
with their households; a birth date shows only as an age (DOMAIN.md §9)."""

from __future__ import annotations

import ast
import json
from datetime import date
from pathlib import Path

from hub.cleaning import wording
from hub.roster.disclosure import DETAIL_LABELS, anomaly_detail, detail_label

ON = date(2026, 11, 11)
RULES = Path(__file__).resolve().parents[3] / "hub" / "cleaning" / "rules"
SPECIAL_KEYS = {"persons", "birth_date"}  # written by anomaly_detail itself (names, age)


def words(detail: dict, rule: str = "") -> str:
    return wording.detail_words(json.dumps(detail, ensure_ascii=False), ON, {7: "450224010010007",
                                                                              8: "450224010020003"}, rule)


def test_units_and_words():
    assert words({"months_worked": 0, "required": 6}, "P4") == "本年务工月数 0 个月，要求务工月数 6 个月"
    assert words({"per_capita": 8650, "line": 10000, "months_recorded": 12}, "P1") == \
        "年人均纯收入 8,650 元/人/年，帮扶线 10,000 元/人/年，有收入记录的月数 12 个月"
    assert words({"per_capita": 16000, "line": 15000}, "X2") == \
        "年人均纯收入 16,000 元/人/年，高收入档下限 15,000 元/人/年"
    assert words({"growth": 0.052, "target": 0.2}, "P3") == "收入增速 5.2%，目标增速 20.0%"
    assert words({"months": 4, "to": "2026-10", "confirmed_unchanged": False}, "P11") == \
        "收入相同的连续月数 4 个月，截至月份 2026年10月，已与户确认未变 否"
    assert words({"month": "2026-10"}) == "月份 2026年10月"
    assert words({"problem": "check_digit"}, "I1") == "问题 校验位不对"


def test_the_list_and_the_page_say_the_same():
    detail = {"months_worked": 2, "required": 6, "birth_date": "1980-05-02"}
    page = anomaly_detail(detail, ON, "P4")
    assert words(detail, "P4") == "，".join(f"{label} {value}" for label, value in page.items())


def test_both_persons_of_a_duplicate_are_named_with_their_households():
    text = words({"persons": [{"name": "张丽", "id": "450224********1234", "household": 7},
                              {"name": "张莉", "id": "450224********5678", "household": 8}]}, "I3")
    assert text == ("涉及人员 张丽（450224********1234，户编号 450224010010007）、"
                    "张莉（450224********5678，户编号 450224010020003）")
    assert wording.persons_households([json.dumps({"persons": [{"household": 7}, {"household": 8}]})]) == {7, 8}


def test_a_birth_date_is_an_age():
    assert words({"birth_date": "1980-05-02"}) == "年龄 46 岁"


def _dict_keys(node: ast.AST) -> set[str]:
    return {key.value for key in getattr(node, "keys", []) if isinstance(key, ast.Constant)
            and isinstance(key.value, str)}


def emitted_keys() -> tuple[set[tuple[str, str]], set[str]]:
    """(rule, key) of every detail dict written literally in a Finding(...) of the rules, and every other string
    key of a dict literal in the rules' source (details built up before the Finding)."""
    paired: set[tuple[str, str]] = set()
    loose: set[str] = set()
    for path in RULES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                loose |= _dict_keys(node)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Finding" and node.args \
                    and isinstance(node.args[0], ast.Constant):
                details = [*node.args[4:5], *(k.value for k in node.keywords if k.arg == "detail")]
                paired |= {(node.args[0].value, key) for detail in details for key in _dict_keys(detail)}
    return paired, loose


def test_every_detail_key_a_rule_can_emit_has_a_label():
    paired, loose = emitted_keys()
    assert {("P1", "per_capita"), ("P4", "months_worked"), ("I3", "persons"), ("P9", "quarter_end")} <= paired
    unlabelled = sorted(f"{rule}:{key}" for rule, key in paired if key not in SPECIAL_KEYS
                        and detail_label(rule, key)[0] == "其他")
    unlabelled += sorted(key for key in loose - SPECIAL_KEYS - {"name", "id", "household"}
                         if detail_label("", key)[0] == "其他")
    assert not unlabelled, f"detail keys without a Chinese label: {unlabelled}"


def test_every_label_has_a_unit_format():
    from hub.roster.disclosure import FORMATS

    assert all(shape in FORMATS for _label, shape in DETAIL_LABELS.values())

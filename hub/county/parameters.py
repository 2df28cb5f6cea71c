"""The county's parameters: every threshold and deadline a rule or a posting check uses, with its default and
meaning (DOMAIN.md §6).  Thresholds change every year, so a county's own values live in the ``cleaning_setting``
table (`fieldsync-hub rule-setting`), each change audited."""

from __future__ import annotations

import json
from typing import Any

from hub import audit
from hub.store.db import write_transaction
from hub.store.models import CleaningSetting

# name -> (default, meaning)
PARAMETERS: dict[str, tuple[Any, str]] = {
    "p1_min_income": (10_000, "P1: annual per-capita net income below this is a key support target, yuan"),
    "p3_min_growth": (0.20, "P3: yearly income growth below this share is slow growth (003 §二: 20 %)"),
    "p4_min_months": (6, "P4: a labourer working fewer months than this in the year is flagged"),
    "p7_helper_days": (5, "P7: a monitored household needs a helper within this many days of entering monitoring"),
    "p7_plan_days": (10, "P7: and a support plan within this many days"),
    "p8_min_months": (6, "P8: a risk marked eliminated sooner than this many months after entry is flagged"),
    "p10_days_back": (30, "P10: a returned labourer back longer than this many days needs employment support"),
    "p11_same_months": (3, "P11: identical income figures this many months in a row look copied"),
    "p11_confirmed_months": (6, "P11: figures confirmed with the household as unchanged (body.unchanged) are "
                                "flagged only when they stay the same more months in a row than this — a "
                                "half-year of unchanged income asks for a fresh look (001 §32; 002 §二(四)3)"),
    "i6_min_wage": (1_810, "I6: a monthly wage below this (the region's minimum wage) is implausible, yuan"),
    "posting_min_wage_day": (83, "Job postings: pay per day below this is held for a county decision, yuan"),
    "posting_min_wage_hour": (17, "Job postings: pay per hour below this is held for a county decision, yuan "
                                  "(per month: i6_min_wage)"),
    "i6_max_wage": (50_000, "I6: a monthly wage above this is implausible, yuan"),
    "i7_threshold": (3.5, "I7: modified z-score beyond which an income is an outlier in its village"),
    "i7_min_households": (8, "I7: villages with fewer households with income records are not judged"),
    "x2_high_income": (15_000, "X2: a household on the 低保/特困 roster with annual per-capita net income at or above "
                               "this is in the high class and is flagged, yuan"),
}


def parameters() -> dict[str, Any]:
    """The county's parameter values: the defaults, overridden by the ``cleaning_setting`` table."""
    values = {name: default for name, (default, _) in PARAMETERS.items()}
    for setting in CleaningSetting.select():
        if setting.key in values:
            values[setting.key] = type(values[setting.key])(json.loads(setting.value))
    return values


def set_parameter(name: str, value: str, actor: str = "cli") -> Any:
    if name not in PARAMETERS:
        raise KeyError(name)
    typed = type(PARAMETERS[name][0])(float(value) if isinstance(PARAMETERS[name][0], float) else int(value))
    with write_transaction():
        audit.record(actor, "setting.change", f"setting:{name}", parameters()[name], typed, "县级参数调整")
        (CleaningSetting.insert(key=name, value=json.dumps(typed))
         .on_conflict(conflict_target=[CleaningSetting.key], preserve=[CleaningSetting.value]).execute())
    return typed

"""The rule catalogue: every rule's id, names, policy source, severity and parameters (DOMAIN.md §6).

Parameters are county configuration — thresholds and deadlines change every year — so their defaults live
here and a county's values in the ``cleaning_setting`` table (`fieldsync-hub rule-setting`).  A rule is one
function registered with ``@rule``; it returns findings, and the runner turns findings into anomalies.

Each rule also says what a run re-examines (its *scopes*): the period's month, the period's year, the twelve
months to the period, or the current state (``""``).  Every finding carries the scope it rests on, and a run
closes an anomaly only when it re-examined that scope — running November never closes October's "not visited".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.months import add_months, parse_month

RULES_VERSION = "2026.1"

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
}


@dataclass(frozen=True)
class Finding:
    """One problem found by a rule: a stable subject key, where it belongs, and the data it rests on."""

    rule: str
    subject_key: str
    household_id: int | None
    subject: str
    detail: dict[str, Any] = field(default_factory=dict)
    scope: str = ""  # the month (YYYY-MM) or year (YYYY) the finding rests on; "" for the current state

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.subject_key}"

    @property
    def digest(self) -> str:
        """Hash of the data behind the finding: an answer "correct as it is" holds until this changes."""
        return hashlib.sha256(json.dumps(self.detail, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Context:
    """What a run examines: the month (``period``), the hub's date, and the county's parameters."""

    period: str
    today: date
    params: dict[str, Any]

    def month(self, back: int) -> str:
        """The month ``back`` months before the period, as YYYY-MM."""
        return add_months(self.period, -back)

    @property
    def year(self) -> int:
        return parse_month(self.period)[0]

    @property
    def month_number(self) -> int:
        return parse_month(self.period)[1]


@dataclass(frozen=True)
class Rule:
    id: str
    zh: str
    en: str
    source: str
    severity: str  # high | medium | low
    find: Callable[[Context], Iterable[Finding]]
    scopes: Callable[[Context], Collection[str]]  # what a run for the context re-examines


Scopes = Callable[[Context], Collection[str]]


def current_state(ctx: Context) -> Collection[str]:
    """Rules about how things stand now (the roster, a rolling year of income): every run re-examines them."""
    return ("",)


def the_period(ctx: Context) -> Collection[str]:
    """Rules about the period's own month: a run re-examines that month only."""
    return (ctx.period,)


def the_year(ctx: Context) -> Collection[str]:
    """Rules about the period's calendar year (months worked this year)."""
    return (f"{ctx.year:04d}",)


def twelve_months(ctx: Context) -> Collection[str]:
    """Rules judging each of the twelve months to the period."""
    return tuple(ctx.month(back) for back in range(12))


CATALOGUE: dict[str, Rule] = {}


def rule(rule_id: str, zh: str, en: str, source: str, severity: str, scopes: Scopes = current_state) -> Callable:
    """Register a rule function in the catalogue; ``scopes`` says what a run of it re-examines."""

    def register(find: Callable[[Context], Iterable[Finding]]) -> Callable[[Context], Iterable[Finding]]:
        CATALOGUE[rule_id] = Rule(rule_id, zh, en, source, severity, find, scopes)
        return find

    return register

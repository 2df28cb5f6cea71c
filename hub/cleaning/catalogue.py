"""The rule catalogue: every rule's id, names, policy source, severity and parameters (DOMAIN.md §6).

A rule is one function made a ``Rule`` by ``@rule``, in a module of hub/cleaning/rules/ by concern; it returns
findings, and the runner turns findings into anomalies.  The catalogue itself, ``hub.cleaning.rules.CATALOGUE``,
gathers every rule module.  The county's parameters the rules read are hub/county/parameters.py.

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
from types import ModuleType
from typing import Any

from hub.roster import sealing_keys
from shared.months import add_months, parse_month

RULES_VERSION = "2026.1"



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


def person_subject(household_id: int, id_number: str, *scope: str) -> str:
    """The subject key of a finding about one person: the household and the person's key, never the ID number
    (an anomaly's key is stored, kept and compared; a full number has no place in it).  ``scope`` adds the
    month or year the finding rests on."""
    return ":".join([str(household_id), sealing_keys.person_key(id_number), *scope])


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


def rule(rule_id: str, zh: str, en: str, source: str, severity: str,
         scopes: Scopes = current_state) -> Callable[[Callable[[Context], Iterable[Finding]]], Rule]:
    """Make a rule of the function below it; ``scopes`` says what a run of it re-examines.  The rule modules
    of hub/cleaning/rules/ are gathered into the catalogue by ``collect``."""

    def make(find: Callable[[Context], Iterable[Finding]]) -> Rule:
        return Rule(rule_id, zh, en, source, severity, find, scopes)

    return make


def _catalogue_order(rule_id: str) -> tuple[int, int]:
    """P1…P11 (policy), then I1…I9 (integrity), then X1…X3 (cross-checks)."""
    return "PIX".index(rule_id[0]), int(rule_id[1:])


def collect(*modules: ModuleType) -> dict[str, Rule]:
    """Rule id -> rule, for every rule the modules define, in catalogue order; a rule id given twice is refused."""
    found: dict[str, Rule] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Rule):
                assert value.id not in found, f"rule {value.id} defined twice"
                found[value.id] = value
    return {rule_id: found[rule_id] for rule_id in sorted(found, key=_catalogue_order)}

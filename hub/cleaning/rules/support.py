"""Support for monitored households: measures in time (P7), risk not eliminated too soon (P8)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from peewee import fn

from hub.cleaning.catalogue import Context, Finding, rule
from hub.store.models import Household, Person
from shared.months import add_months, month_of
from shared.rows import tuples
from shared.vocabulary import FULL_LABOUR, LIVING

DEVELOPMENTAL = ("产业", "就业", "务工", "技能", "培训", "公益性岗位", "小额信贷", "以工代赈")


def _days_after(start: str, days: int) -> str:
    return (date.fromisoformat(start) + timedelta(days=days)).isoformat()


@rule("P7", "监测户帮扶措施不到位", "Monitored household without a helper, a plan, or a developmental measure",
      "002 §二(二)3", "high")
def monitoring_without_support(ctx: Context) -> Iterator[Finding]:
    labour = dict(tuples(Person.select(Person.household, fn.COUNT(Person.id))
                         .where(Person.status == LIVING, Person.labour_ability.in_(FULL_LABOUR))
                         .group_by(Person.household)))
    query = (Household.select(Household.id, Household.monitoring_since, Household.helper, Household.helper_since,
                              Household.plan_date, Household.measures)
             .where(Household.household_type == "监测户", Household.monitoring_since.is_null(False),
                    Household.risk_eliminated.is_null()))
    today = ctx.today.isoformat()
    for household_id, since, helper, helper_since, plan_date, measures in tuples(query):
        problems = []
        helper_due = _days_after(since, ctx.params["p7_helper_days"])
        if helper_due < today and (not helper or (helper_since or today) > helper_due):
            problems.append(f"纳入监测 {ctx.params['p7_helper_days']} 天内未落实帮扶责任人")
        plan_due = _days_after(since, ctx.params["p7_plan_days"])
        if plan_due < today and (plan_date or today) > plan_due:
            problems.append(f"纳入监测 {ctx.params['p7_plan_days']} 天内未制定帮扶计划")
        if labour.get(household_id) and not any(word in measures for word in DEVELOPMENTAL):
            problems.append("有劳动力但没有开发式帮扶措施")
        if problems:
            yield Finding("P7", str(household_id), household_id, "；".join(problems),
                          {"monitoring_since": since, "problems": problems})


@rule("P8", "风险消除过快", "Risk marked eliminated less than the configured months after entering monitoring",
      "002 §二(三)", "medium")
def eliminated_too_soon(ctx: Context) -> Iterator[Finding]:
    months = ctx.params["p8_min_months"]
    query = (Household.select(Household.id, Household.monitoring_since, Household.risk_eliminated)
             .where(Household.monitoring_since.is_null(False), Household.risk_eliminated.is_null(False)))
    for household_id, since, eliminated in tuples(query):
        start = date.fromisoformat(since)
        earliest = f"{add_months(month_of(start), months)}-{min(start.day, 28):02d}"
        if eliminated < earliest:
            yield Finding("P8", str(household_id), household_id, f"纳入监测不足 {months} 个月即标注风险消除",
                          {"monitoring_since": since, "risk_eliminated": eliminated})


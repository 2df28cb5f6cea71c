"""Visit rules: not visited this month (P5), two records disagreeing (I5), dated in the future (I8)."""

from __future__ import annotations

from collections.abc import Iterator

from peewee import fn

from hub.cleaning.catalogue import Context, Finding, rule, the_period, twelve_months
from hub.cleaning.rules.facts import query_rows
from hub.store.models import Household, Visit, current_visits, current_visits_sql
from shared.rows import tuples


@rule("P5", "当月未走访", "Household not visited or contacted this month", "002 §二(一)3; 004 §二(一)3", "high",
      scopes=the_period)
def not_visited(ctx: Context) -> Iterator[Finding]:
    # NOT EXISTS, not NOT IN: PostgreSQL hashes a NOT IN list only while it fits in work_mem, and beyond that
    # (a region's 1.5 M households) compares every household with every visit; an anti-join stays linear.
    visited = current_visits(Visit.id).where(Visit.month == ctx.period, Visit.household == Household.id)
    for (household_id,) in tuples(Household.select(Household.id).where(~fn.EXISTS(visited))):
        yield Finding("P5", f"{household_id}:{ctx.period}", household_id, f"{ctx.period} 未走访或联系",
                      {"month": ctx.period}, scope=ctx.period)


@rule("I5", "同户同月记录不一致", "Two visit records for one household and month disagree", "DOMAIN.md §6",
      "medium", scopes=twelve_months)
def disagreeing_visits(ctx: Context) -> Iterator[Finding]:
    differs = " OR ".join(f"MIN({column}) <> MAX({column})" for column in
                          ("wage", "business", "property", "transfer", "expenses"))
    for household_id, month, count in query_rows(
            f"SELECT household_id, month, COUNT(*) FROM {current_visits_sql()} v WHERE month BETWEEN ? AND ? "
            f"GROUP BY household_id, month HAVING COUNT(*) > 1 AND ({differs})",
            (ctx.month(11), ctx.period)):
        yield Finding("I5", f"{household_id}:{month}", household_id, f"{month} 有 {count} 条不一致的走访记录",
                      {"month": month, "records": count}, scope=month)


@rule("I8", "走访日期在未来", "Visit dated in the future", "DOMAIN.md §6", "medium")
def future_visits(ctx: Context) -> Iterator[Finding]:
    for household_id, visit_date, record_id in (tuples(current_visits(Visit.household, Visit.visit_date, Visit.record)
                                                       .where(Visit.visit_date > ctx.today.isoformat()))):
        yield Finding("I8", f"{household_id}:{record_id}", household_id, f"走访日期 {visit_date} 晚于今天",
                      {"visit_date": visit_date})


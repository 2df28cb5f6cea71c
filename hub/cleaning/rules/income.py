"""Income rules: below the support line (P1), falling (P2), slow growth (P3), unacknowledged or copied
figures (P11), outliers in the village (I7)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from itertools import pairwise

from hub.cleaning.catalogue import Context, Finding, rule, the_period
from hub.cleaning.rules.facts import annual_per_capita, query_rows
from hub.store.models import Household
from shared.rows import tuples


@rule("P1", "人均纯收入低于帮扶线", "Annual per-capita net income below the support line", "000 §24 §30; 001 §26 §33",
      "high")
def low_income(ctx: Context) -> Iterator[Finding]:
    line = ctx.params["p1_min_income"]
    for household_id, (income, months) in annual_per_capita(ctx).items():
        if income < line:
            yield Finding("P1", str(household_id), household_id, "户年人均纯收入偏低",
                          {"per_capita": round(income), "line": line, "months_recorded": months})


def _year_on_year(ctx: Context) -> Iterator[tuple[int, float, float]]:
    """Household, monthly average this year to the period, and over the same months last year."""
    last_year = f"{ctx.year - 1:04d}"
    rows = query_rows(
        "SELECT household_id, SUM(CASE WHEN month >= ? THEN net ELSE 0 END), "
        "SUM(CASE WHEN month >= ? THEN 1 ELSE 0 END), SUM(CASE WHEN month < ? THEN net ELSE 0 END), "
        "SUM(CASE WHEN month < ? THEN 1 ELSE 0 END) FROM household_month "
        "WHERE (month BETWEEN ? AND ?) OR (month BETWEEN ? AND ?) GROUP BY household_id",
        (f"{ctx.year:04d}-01", f"{ctx.year:04d}-01", f"{ctx.year:04d}-01", f"{ctx.year:04d}-01",
         f"{ctx.year:04d}-01", ctx.period, f"{last_year}-01", f"{last_year}{ctx.period[4:]}"))
    for household_id, this_total, this_months, last_total, last_months in rows:
        if this_months and last_months:
            yield household_id, float(this_total) / this_months, float(last_total) / last_months


@rule("P2", "收入不增反降", "Income fell against the same period last year", "000 §30; 001 §33", "high")
def income_fell(ctx: Context) -> Iterator[Finding]:
    for household_id, this, last in _year_on_year(ctx):
        if this < last:
            yield Finding("P2", str(household_id), household_id, "收入比上年同期下降",
                          {"monthly_this_year": round(this), "monthly_last_year": round(last)})


@rule("P3", "收入增速缓慢", "Income grew slower than the configured rate", "001 §33; 003 §二", "medium")
def slow_growth(ctx: Context) -> Iterator[Finding]:
    target = ctx.params["p3_min_growth"]
    for household_id, this, last in _year_on_year(ctx):
        if last > 0 and 0 <= (this - last) / last < target:
            yield Finding("P3", str(household_id), household_id, "收入增速低于目标",
                          {"growth": round((this - last) / last, 3), "target": target})


INCOME_FIGURES = ("wage", "business", "property", "transfer", "expenses")


def _confirmed_unchanged(unchanged: str) -> bool:
    """Did the record confirm every income figure with the household as unchanged (body.unchanged)?"""
    return set(INCOME_FIGURES) <= set(unchanged.split(","))


def repeated_figures(ctx: Context, least: int, window: int) -> Iterator[tuple[int, int, list[bool]]]:
    """Household, the months in a row (to the period) with identical income figures, and for each repeated
    month, newest first, whether its record confirmed the figures unchanged.  Only households whose figures
    stayed the same for at least ``least`` months are read (one SQL pass); their rows ``window`` months back."""
    columns = ", ".join(INCOME_FIGURES)
    same = " AND ".join(f"MIN({column}) = MAX({column})" for column in INCOME_FIGURES)
    rows = query_rows(f"SELECT household_id, month, {columns}, unchanged FROM household_month "
                 f"WHERE month BETWEEN ? AND ? AND household_id IN (SELECT household_id FROM household_month "
                 f"WHERE month BETWEEN ? AND ? GROUP BY household_id HAVING COUNT(*) = ? AND {same}) "
                 f"ORDER BY household_id, month DESC",
                 (ctx.month(window - 1), ctx.period, ctx.month(least - 1), ctx.period, least))
    by_household: dict[int, list[tuple]] = defaultdict(list)
    for household_id, month, *figures, unchanged in rows:
        by_household[household_id].append((month, tuple(figures), unchanged or ""))
    for household_id, months in by_household.items():
        if months[0][0] != ctx.period:
            continue
        confirmed: list[bool] = []
        for back, ((_, figures, unchanged), (month, earlier, _)) in enumerate(pairwise(months), start=1):
            if month != ctx.month(back) or earlier != figures:
                break
            confirmed.append(_confirmed_unchanged(unchanged))
        yield household_id, len(confirmed) + 1, confirmed


@rule("P11", "收入未经户认可或照抄", "Income not acknowledged, or the same figures copied month after month",
      "001 §32; 002 §二(四)3", "high", scopes=the_period)
def unacknowledged_or_copied(ctx: Context) -> Iterator[Finding]:
    """Identical figures month after month are a silent copy unless each repeat was confirmed with the household
    as unchanged; confirmed figures are flagged only once they stay the same past ``p11_confirmed_months``."""
    for (household_id,) in query_rows("SELECT household_id FROM household_month WHERE month = ? AND ack_status <> ?",
                                 (ctx.period, "confirmed")):
        yield Finding("P11", f"{household_id}:ack:{ctx.period}", household_id, f"{ctx.period} 收入未经户认可",
                      {"month": ctx.period}, scope=ctx.period)
    same, confirmed_limit = ctx.params["p11_same_months"], ctx.params["p11_confirmed_months"]
    for household_id, months, confirmed in repeated_figures(ctx, same, max(same, confirmed_limit + 1)):
        if months < same:
            continue
        silent = not all(confirmed[:same - 1])
        if silent:
            subject = f"连续 {months} 个月收入完全相同，且未与户确认未变（疑似照抄）"
        elif months > confirmed_limit:
            subject = f"收入已连续 {months} 个月经户确认未变，超过 {confirmed_limit} 个月，请重新入户核实"
        else:
            continue
        yield Finding("P11", f"{household_id}:copied:{ctx.period}", household_id, subject,
                      {"months": months, "to": ctx.period, "confirmed_unchanged": not silent}, scope=ctx.period)


def modified_z_scores(values: list[float]) -> list[float]:
    """0.6745·|x − median| / MAD; all zeros where the MAD is 0 (DHIS2's convention)."""
    median = statistics.median(values)
    mad = statistics.median(abs(value - median) for value in values)
    return [0.0 if mad == 0 else 0.6745 * abs(value - median) / mad for value in values]


@rule("I7", "收入明显偏离同村", "Income far outside its village peers (modified z-score)", "DOMAIN.md §6", "low")
def income_outliers(ctx: Context) -> Iterator[Finding]:
    incomes = annual_per_capita(ctx)
    villages = dict(tuples(Household.select(Household.id, Household.village)))
    by_village: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for household_id, (income, _) in incomes.items():
        if household_id in villages:
            by_village[villages[household_id]].append((household_id, income))
    for members in by_village.values():
        if len(members) < ctx.params["i7_min_households"]:
            continue
        for (household_id, income), score in zip(members, modified_z_scores([m[1] for m in members]), strict=True):
            if score > ctx.params["i7_threshold"]:
                yield Finding("I7", str(household_id), household_id, "人均收入明显偏离同村",
                              {"per_capita": round(income), "score": round(score, 1)})


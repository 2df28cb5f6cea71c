"""The rules of DOMAIN.md §6, each a small function whose heavy work is one SQL query.

Rules read the roster tables and ``household_month`` — a temporary table the runner builds once per run
with one figure per household and month (the latest record; disagreements are rule I5's business).
Every rule reads visits through ``Visit.is_current`` (hub/models.py): a corrected visit no longer counts.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import pairwise

from peewee import JOIN, Case, fn

from hub.cleaning.catalogue import Context, Finding, rule, the_period, the_year, twelve_months
from hub.db import database
from hub.models import Household, Person, Visit, VisitEmployment, current_visits, current_visits_sql
from shared.idnumber import mask
from shared.months import add_months, month_of
from shared.vocabulary import DECEASED, FULL_LABOUR, LIVING


def build_household_months(ctx: Context) -> None:
    """One row per household and month over the two years the rules look at: the latest current visit's figures."""
    database.execute_sql("DROP TABLE IF EXISTS household_month")
    param = database.param
    database.execute_sql(
        f"CREATE TEMPORARY TABLE household_month AS "
        f"SELECT v.household_id, v.month, v.wage, v.business, v.property, v.transfer, v.expenses, "
        f"v.wage + v.business + v.property + v.transfer - v.expenses AS net, v.ack_status, v.unchanged "
        f"FROM visit v JOIN (SELECT MAX(c.id) AS id FROM {current_visits_sql()} c "
        f"WHERE c.month BETWEEN {param} AND {param} "
        f"GROUP BY c.household_id, c.month) latest ON latest.id = v.id",
        (ctx.month(23), ctx.period))
    database.execute_sql("CREATE INDEX household_month_key ON household_month (household_id, month)")


def _rows(sql: str, params: tuple = ()) -> list[tuple]:
    return database.execute_sql(sql.replace("?", database.param), params).fetchall()


def living_members() -> dict[int, int]:
    query = (Person.select(Person.household, fn.COUNT(Person.id)).where(Person.status == LIVING)
             .group_by(Person.household))
    return dict(query.tuples())


def annual_per_capita(ctx: Context) -> dict[int, tuple[float, int]]:
    """Household -> (annualised per-capita net income over the 12 months to the period, months recorded)."""
    members = living_members()
    found = {}
    for household_id, total, months in _rows(
            "SELECT household_id, SUM(net), COUNT(*) FROM household_month WHERE month BETWEEN ? AND ? "
            "GROUP BY household_id", (ctx.month(11), ctx.period)):
        if members.get(household_id):
            found[household_id] = (float(total) * 12 / months / members[household_id], months)
    return found


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
    rows = _rows(
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


@rule("P4", "劳动力务工不足", "Labourer not working, or fewer than the configured months", "000 §30; 001 §33",
      "medium", scopes=the_year)
def underemployed(ctx: Context) -> Iterator[Finding]:
    """A finding of the period's year: a run of next year's January neither sees nor closes it."""
    year = f"{ctx.year:04d}"
    worked = (VisitEmployment.select(VisitEmployment.id_number, fn.MAX(VisitEmployment.months).alias("months"))
              .join(Visit).where(Visit.is_current(), Visit.month.between(f"{year}-01", ctx.period))
              .group_by(VisitEmployment.id_number).alias("worked"))
    query = (Person.select(Person.household, Person.id_number, worked.c.months)
             .join(worked, JOIN.LEFT_OUTER, on=(worked.c.id_number == Person.id_number))
             .where(Person.status == LIVING, Person.labour_ability.in_(FULL_LABOUR),
                    Person.birth_date <= f"{ctx.year - 16:04d}-12-31",
                    Person.birth_date > f"{ctx.year - 60:04d}-12-31"))
    required = ctx.params["p4_min_months"]
    for household_id, id_number, months in query.tuples():
        if months is None or (ctx.month_number == 12 and months < required):
            yield Finding("P4", f"{household_id}:{id_number}:{year}", household_id,
                          f"劳动力 {mask(id_number)} {year} 年务工不足",
                          {"months_worked": months or 0, "required": required}, scope=year)


@rule("P5", "当月未走访", "Household not visited or contacted this month", "002 §二(一)3; 004 §二(一)3", "high",
      scopes=the_period)
def not_visited(ctx: Context) -> Iterator[Finding]:
    visited = current_visits(Visit.household).where(Visit.month == ctx.period)
    for (household_id,) in Household.select(Household.id).where(Household.id.not_in(visited)).tuples():
        yield Finding("P5", f"{household_id}:{ctx.period}", household_id, f"{ctx.period} 未走访或联系",
                      {"month": ctx.period}, scope=ctx.period)


@rule("P6", "无劳动力或劳动力不足", "No labour, weak labour only, or labour under a quarter of members",
      "000 §27; 001 §29", "medium")
def lacking_labour(ctx: Context) -> Iterator[Finding]:
    """Counted from every household, so one whose members have all died (no living member) has no labour."""
    living = Person.status == LIVING
    members = fn.SUM(Case(None, [(living, 1)], 0))
    labour = fn.SUM(Case(None, [(living & Person.labour_ability.in_(FULL_LABOUR), 1)], 0))
    covered = fn.MAX(Case(None, [(living & ((Person.dibao == True) | (Person.tekun == True)), 1)], 0))  # noqa: E712
    query = (Household.select(Household.id, members, labour, covered)
             .join(Person, JOIN.LEFT_OUTER, on=(Person.household == Household.id)).group_by(Household.id))
    for household_id, members, labourers, has_cover in query.tuples():
        members, labourers = int(members or 0), int(labourers or 0)
        if (labourers == 0 or labourers * 4 < members) and not has_cover:
            subject = ("户内已无在世成员，无劳动力：请核实该户是否应注销或由他人承接" if not members
                       else "无劳动力或劳动力不足，且未享受低保/特困")
            yield Finding("P6", str(household_id), household_id, subject,
                          {"members": members, "labourers": labourers})


DEVELOPMENTAL = ("产业", "就业", "务工", "技能", "培训", "公益性岗位", "小额信贷", "以工代赈")


def _days_after(start: str, days: int) -> str:
    return (date.fromisoformat(start) + timedelta(days=days)).isoformat()


@rule("P7", "监测户帮扶措施不到位", "Monitored household without a helper, a plan, or a developmental measure",
      "002 §二(二)3", "high")
def monitoring_without_support(ctx: Context) -> Iterator[Finding]:
    labour = dict(Person.select(Person.household, fn.COUNT(Person.id))
                  .where(Person.status == LIVING, Person.labour_ability.in_(FULL_LABOUR))
                  .group_by(Person.household).tuples())
    query = (Household.select(Household.id, Household.monitoring_since, Household.helper, Household.helper_since,
                              Household.plan_date, Household.measures)
             .where(Household.household_type == "监测户", Household.monitoring_since.is_null(False),
                    Household.risk_eliminated.is_null()))
    today = ctx.today.isoformat()
    for household_id, since, helper, helper_since, plan_date, measures in query.tuples():
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
    for household_id, since, eliminated in query.tuples():
        start = date.fromisoformat(since)
        earliest = f"{add_months(month_of(start), months)}-{min(start.day, 28):02d}"
        if eliminated < earliest:
            yield Finding("P8", str(household_id), household_id, f"纳入监测不足 {months} 个月即标注风险消除",
                          {"monitoring_since": since, "risk_eliminated": eliminated})


def quarter_end(ctx: Context) -> tuple[str, ...]:
    """P9 judges a quarter at its last month; a run of any other month re-examines nothing of it."""
    return () if ctx.month_number % 3 else (ctx.period,)


@rule("P9", "本季度务工信息未核实", "Labourer's employment information not verified this quarter",
      "002 employment §二(一)1(1)", "medium", scopes=quarter_end)
def employment_unverified(ctx: Context) -> Iterator[Finding]:
    if ctx.month_number % 3:
        return  # checked at the end of each quarter
    quarter_start = ctx.month(2)
    worked_before = (VisitEmployment.select(VisitEmployment.id_number).join(Visit)
                     .where(Visit.is_current(), Visit.month.between(f"{ctx.year:04d}-01", ctx.month(3))))
    verified = (VisitEmployment.select(VisitEmployment.id_number).join(Visit)
                .where(Visit.is_current(), Visit.month.between(quarter_start, ctx.period)))
    query = (Person.select(Person.household, Person.id_number)
             .where(Person.status == LIVING, Person.id_number.in_(worked_before), Person.id_number.not_in(verified)))
    for household_id, id_number in query.tuples():
        yield Finding("P9", f"{household_id}:{id_number}:{ctx.period}", household_id,
                      f"{mask(id_number)} 本季度务工信息未核实", {"quarter_end": ctx.period}, scope=ctx.period)


@rule("P10", "返乡劳动力未获就业帮扶", "Returned labourer (back more than a month) without employment support",
      "002 employment §二(一)1(2)", "medium")
def returned_without_support(ctx: Context) -> Iterator[Finding]:
    back_since = (ctx.today - timedelta(days=ctx.params["p10_days_back"])).isoformat()
    query = (Person.select(Person.household, Person.id_number, Person.returned_since)
             .where(Person.status == LIVING, Person.returned_since.is_null(False),
                    Person.returned_since < back_since, Person.support_251 == False))  # noqa: E712
    for household_id, id_number, since in query.tuples():
        yield Finding("P10", f"{household_id}:{id_number}", household_id,
                      f"返乡劳动力 {mask(id_number)} 未开展就业帮扶", {"returned_since": since})


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
    rows = _rows(f"SELECT household_id, month, {columns}, unchanged FROM household_month "
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
    for (household_id,) in _rows("SELECT household_id FROM household_month WHERE month = ? AND ack_status <> ?",
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


@rule("I1", "身份证号码无效或不一致", "ID number invalid, or disagreeing with birth date / gender", "GB 11643-1999",
      "high")
def invalid_id(ctx: Context) -> Iterator[Finding]:
    for household_id, id_number, problem in (Person.select(Person.household, Person.id_number, Person.id_problem)
                                             .where(Person.id_problem != "").tuples()):
        yield Finding("I1", f"{household_id}:{id_number}", household_id, f"证件号码 {mask(id_number)} 有误",
                      {"problem": problem})


@rule("I2", "同一人在两户", "The same person (ID number) in two households", "DOMAIN.md §6", "high")
def same_person_twice(ctx: Context) -> Iterator[Finding]:
    shared = (Person.select(Person.id_number).group_by(Person.id_number)
              .having(fn.COUNT(Person.household.distinct()) > 1))
    for household_id, id_number in (Person.select(Person.household, Person.id_number)
                                    .where(Person.id_number.in_(shared)).tuples()):
        yield Finding("I2", f"{household_id}:{id_number}", household_id, f"{mask(id_number)} 同时在多户", {})


@rule("I3", "疑似重复人员", "Probable duplicate persons: same birth date and same name or pinyin in one village",
      "DOMAIN.md §6", "medium")
def probable_duplicates(ctx: Context) -> Iterator[Finding]:
    groups = (Person.select(Household.village, Person.birth_date, Person.name_pinyin).join(Household)
              .where(Person.birth_date.is_null(False), Person.name_pinyin != "")
              .group_by(Household.village, Person.birth_date, Person.name_pinyin)
              .having(fn.COUNT(Person.id_number.distinct()) > 1))
    keys = {(village, birth, pinyin) for village, birth, pinyin in groups.tuples()}
    if not keys:
        return
    members: dict[tuple, list[tuple[int, str, str]]] = defaultdict(list)
    query = (Person.select(Household.village, Person.birth_date, Person.name_pinyin, Person.household, Person.name,
                           Person.id_number).join(Household)
             .where(Person.birth_date.in_({birth for _, birth, _ in keys})))
    for village, birth, pinyin, household_id, name, id_number in query.tuples():
        if (village, birth, pinyin) in keys:
            members[(village, birth, pinyin)].append((household_id, name, id_number))
    for (village, birth, pinyin), people in members.items():
        people.sort()
        yield Finding("I3", f"{village}:{birth}:{pinyin}", people[0][0], "疑似同一人重复登记（同村同生日，同名或同音）",
                      {"persons": [{"name": name, "id": mask(id_number), "household": household_id}
                                   for household_id, name, id_number in people], "birth_date": birth})


@rule("I4", "已故人员仍有务工或走访记录", "Deceased member still counted or paid", "DOMAIN.md §6", "high",
      scopes=the_period)
def deceased_still_counted(ctx: Context) -> Iterator[Finding]:
    query = (VisitEmployment.select(Visit.household, VisitEmployment.id_number).join(Visit)
             .join(Person, on=((Person.id_number == VisitEmployment.id_number) & (Person.household == Visit.household)))
             .where(Visit.is_current(), Visit.month == ctx.period, Person.status == DECEASED).distinct())
    for household_id, id_number in query.tuples():
        yield Finding("I4", f"{household_id}:{id_number}:{ctx.period}", household_id,
                      f"{ctx.period} 已故人员 {mask(id_number)} 仍有务工记录", {"month": ctx.period}, scope=ctx.period)


@rule("I5", "同户同月记录不一致", "Two visit records for one household and month disagree", "DOMAIN.md §6",
      "medium", scopes=twelve_months)
def disagreeing_visits(ctx: Context) -> Iterator[Finding]:
    differs = " OR ".join(f"MIN({column}) <> MAX({column})" for column in
                          ("wage", "business", "property", "transfer", "expenses"))
    for household_id, month, count in _rows(
            f"SELECT household_id, month, COUNT(*) FROM {current_visits_sql()} v WHERE month BETWEEN ? AND ? "
            f"GROUP BY household_id, month HAVING COUNT(*) > 1 AND ({differs})",
            (ctx.month(11), ctx.period)):
        yield Finding("I5", f"{household_id}:{month}", household_id, f"{month} 有 {count} 条不一致的走访记录",
                      {"month": month, "records": count}, scope=month)


def _age_16_birth(ctx: Context) -> str:
    return f"{ctx.year - 16:04d}{ctx.period[4:]}-01"


def months_worked(month: str) -> dict[tuple[int, str], int]:
    """(household, ID number) -> months worked so far this year, as the current visits of ``month`` record it."""
    query = (VisitEmployment.select(Visit.household, VisitEmployment.id_number, fn.MAX(VisitEmployment.months))
             .join(Visit).where(Visit.is_current(), Visit.month == month)
             .group_by(Visit.household, VisitEmployment.id_number))
    return {(household_id, id_number): months for household_id, id_number, months in query.tuples()}


def work_problems(ctx: Context, months: int, wage: int, before: int | None) -> list[str]:
    """I6's checks of one labourer's line, from the record's own meaning (docs/records.md): ``months`` counts
    the months worked so far this year, ``wage`` is this month's wage, ``before`` is the count at last month's
    visit (0 in January: a new year starts from nothing; None when last month recorded no line for them).

    A count that did not grow with no wage is correct (worked January–April, home since); a count that grew
    by one is a month worked, which pays a wage; a count can never fall within a year, nor grow by more than
    one month in a month."""
    problems = []
    if months > ctx.month_number:
        problems.append("本年务工月数超过本年已过月数")
    if wage and not months:
        problems.append("有本月工资但本年务工月数为0")
    if before is not None and months < before:
        problems.append("本年务工月数比上月记录的少")
    elif before is not None and months > before + 1:
        problems.append("本年务工月数比上月记录的多出不止1个月")
    elif before is not None and months == before + 1 and not wage:
        problems.append("本月计入务工月数但本月工资为0")
    if wage and wage < ctx.params["i6_min_wage"]:
        problems.append("月工资低于最低工资标准")
    if wage > ctx.params["i6_max_wage"]:
        problems.append("月工资异常偏高")
    return problems


@rule("I6", "不可能或不合理的数值", "Impossible or implausible values", "DOMAIN.md §6", "high", scopes=the_period)
def implausible_values(ctx: Context) -> Iterator[Finding]:
    query = (VisitEmployment.select(Visit.household, VisitEmployment.id_number, VisitEmployment.months,
                                    VisitEmployment.wage, Person.birth_date).join(Visit)
             .join(Person, JOIN.LEFT_OUTER,
                   on=((Person.id_number == VisitEmployment.id_number) & (Person.household == Visit.household)))
             .where(Visit.is_current(), Visit.month == ctx.period))
    last_month = {} if ctx.month_number == 1 else months_worked(ctx.month(1))
    for household_id, id_number, months, wage, birth in query.tuples():
        before = 0 if ctx.month_number == 1 else last_month.get((household_id, id_number))
        problems = work_problems(ctx, months, wage, before)
        if birth and birth > _age_16_birth(ctx):
            problems.append("务工人员未满16岁")
        if problems:
            yield Finding("I6", f"{household_id}:{id_number}:{ctx.period}", household_id,
                          f"{ctx.period} {mask(id_number)}：{'；'.join(problems)}",
                          {"months": months, "wage": wage, "months_last_month": before, "problems": problems},
                          scope=ctx.period)


def modified_z_scores(values: list[float]) -> list[float]:
    """0.6745·|x − median| / MAD; all zeros where the MAD is 0 (DHIS2's convention)."""
    median = statistics.median(values)
    mad = statistics.median(abs(value - median) for value in values)
    return [0.0 if mad == 0 else 0.6745 * abs(value - median) / mad for value in values]


@rule("I7", "收入明显偏离同村", "Income far outside its village peers (modified z-score)", "DOMAIN.md §6", "low")
def income_outliers(ctx: Context) -> Iterator[Finding]:
    incomes = annual_per_capita(ctx)
    villages = dict(Household.select(Household.id, Household.village).tuples())
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


@rule("I8", "走访日期在未来", "Visit dated in the future", "DOMAIN.md §6", "medium")
def future_visits(ctx: Context) -> Iterator[Finding]:
    for household_id, visit_date, record_id in (current_visits(Visit.household, Visit.visit_date, Visit.record)
                                                .where(Visit.visit_date > ctx.today.isoformat()).tuples()):
        yield Finding("I8", f"{household_id}:{record_id}", household_id, f"走访日期 {visit_date} 晚于今天",
                      {"visit_date": visit_date})


@rule("I9", "手机号码格式不对", "Mobile number not 11 digits starting 1[3-9]", "DOMAIN.md §6", "low")
def invalid_phone(ctx: Context) -> Iterator[Finding]:
    for household_id, id_number in (Person.select(Person.household, Person.id_number)
                                    .where(Person.phone_problem != "").tuples()):
        yield Finding("I9", f"{household_id}:{id_number}", household_id, f"{mask(id_number)} 的手机号码格式不对", {})


from hub.cleaning import cross_checks  # noqa: E402,F401 - registers X1–X3

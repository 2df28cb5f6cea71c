"""Labour and employment rules: underemployed labourers (P4), households lacking labour (P6), employment not
verified this quarter (P9), returned labourers without support (P10), impossible work figures (I6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from peewee import JOIN, Case, fn

from hub.cleaning.catalogue import Context, Finding, person_subject, rule, the_period, the_year
from hub.store.models import Household, Person, Visit, VisitEmployment
from shared.idnumber import mask
from shared.rows import tuples
from shared.vocabulary import FULL_LABOUR, LIVING


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
    for household_id, id_number, months in tuples(query):
        if months is None or (ctx.month_number == 12 and months < required):
            yield Finding("P4", person_subject(household_id, id_number, year), household_id,
                          f"劳动力 {mask(id_number)} {year} 年务工不足",
                          {"months_worked": months or 0, "required": required}, scope=year)


@rule("P6", "无劳动力或劳动力不足", "No labour, weak labour only, or labour under a quarter of members",
      "000 §27; 001 §29", "medium")
def lacking_labour(ctx: Context) -> Iterator[Finding]:
    """Counted from every household, so one whose members have all died (no living member) has no labour."""
    living = Person.status == LIVING
    member_count = fn.SUM(Case(None, [(living, 1)], 0))
    labour = fn.SUM(Case(None, [(living & Person.labour_ability.in_(FULL_LABOUR), 1)], 0))
    covered = fn.MAX(Case(None, [(living & ((Person.dibao == True) | (Person.tekun == True)), 1)], 0))  # noqa: E712
    query = (Household.select(Household.id, member_count, labour, covered)
             .join(Person, JOIN.LEFT_OUTER, on=(Person.household == Household.id)).group_by(Household.id))
    for household_id, members, labourers, has_cover in tuples(query):
        members, labourers = int(members or 0), int(labourers or 0)
        if (labourers == 0 or labourers * 4 < members) and not has_cover:
            subject = ("户内已无在世成员，无劳动力：请核实该户是否应注销或由他人承接" if not members
                       else "无劳动力或劳动力不足，且未享受低保/特困")
            yield Finding("P6", str(household_id), household_id, subject,
                          {"members": members, "labourers": labourers})


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
    verified = (VisitEmployment.select(VisitEmployment.id).join(Visit)
                .where(Visit.is_current(), Visit.month.between(quarter_start, ctx.period),
                       VisitEmployment.id_number == Person.id_number))  # NOT EXISTS: see P5 (visits.py)
    query = (Person.select(Person.household, Person.id_number)
             .where(Person.status == LIVING, Person.id_number.in_(worked_before), ~fn.EXISTS(verified)))
    for household_id, id_number in tuples(query):
        yield Finding("P9", person_subject(household_id, id_number, ctx.period), household_id,
                      f"{mask(id_number)} 本季度务工信息未核实", {"quarter_end": ctx.period}, scope=ctx.period)


@rule("P10", "返乡劳动力未获就业帮扶", "Returned labourer (back more than a month) without employment support",
      "002 employment §二(一)1(2)", "medium")
def returned_without_support(ctx: Context) -> Iterator[Finding]:
    back_since = (ctx.today - timedelta(days=ctx.params["p10_days_back"])).isoformat()
    query = (Person.select(Person.household, Person.id_number, Person.returned_since)
             .where(Person.status == LIVING, Person.returned_since.is_null(False),
                    Person.returned_since < back_since, Person.support_251 == False))  # noqa: E712
    for household_id, id_number, since in tuples(query):
        yield Finding("P10", person_subject(household_id, id_number), household_id,
                      f"返乡劳动力 {mask(id_number)} 未开展就业帮扶", {"returned_since": since})


def _age_16_birth(ctx: Context) -> str:
    return f"{ctx.year - 16:04d}{ctx.period[4:]}-01"


def months_worked(month: str) -> dict[tuple[int, str], int]:
    """(household, ID number) -> months worked so far this year, as the current visits of ``month`` record it."""
    query = (VisitEmployment.select(Visit.household, VisitEmployment.id_number, fn.MAX(VisitEmployment.months))
             .join(Visit).where(Visit.is_current(), Visit.month == month)
             .group_by(Visit.household, VisitEmployment.id_number))
    return {(household_id, id_number): months for household_id, id_number, months in tuples(query)}


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
    for household_id, id_number, months, wage, birth in tuples(query):
        before = 0 if ctx.month_number == 1 else last_month.get((household_id, id_number))
        problems = work_problems(ctx, months, wage, before)
        if birth and birth > _age_16_birth(ctx):
            problems.append("务工人员未满16岁")
        if problems:
            yield Finding("I6", person_subject(household_id, id_number, ctx.period), household_id,
                          f"{ctx.period} {mask(id_number)}：{'；'.join(problems)}",
                          {"months": months, "wage": wage, "months_last_month": before, "problems": problems},
                          scope=ctx.period)


"""What the county sends out each month: per-township anomaly lists, the untransferred-labour table (county and
villages), income classes with P1–P4, and visit coverage per village — as XLSX in the office form of
hub/cleaning/office.py and as CSV (UTF-8 with BOM, so Excel opens it); docs/reports.md.

ID numbers never appear in full: subjects are written with masked numbers, each named (DOMAIN.md §9).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from flask import has_app_context
from peewee import JOIN, Case, ModelSelect, fn

from hub.cleaning import office, wording
from hub.cleaning.anomalies import CLOSED, STATUS_ZH
from hub.cleaning.catalogue import Context
from hub.cleaning.rules import CATALOGUE, facts
from hub.county.clock import local_time
from hub.roster import department_lists, support_ledger
from hub.roster.disclosure import named_subjects
from hub.store.db import database
from hub.store.models import (
    Anomaly,
    CleaningRun,
    County,
    Household,
    Person,
    Township,
    Village,
    Visit,
    VisitEmployment,
    current_visits,
)
from shared.rows import tuples
from shared.schemas import RISKS
from shared.vocabulary import FULL_LABOUR, HEAD, LIVING

ANOMALY_HEADERS = ["序号", "乡(镇)", "村(安置点)", "户编号", "户主", "规则", "问题", "说明", "严重程度", "状态",
                   "首次发现"]
LABOUR_TABLE_HEADERS = ["序号", "县(区)", "乡(镇)", "村(安置点)", "姓名", "性别", "年龄", "未转移就业人员类型",
                        "家庭类型", "是否开展\"251\"就业帮扶", "开展\"251\"帮扶是否有台账", "目前转移就业状况",
                        "未转移就业原因", "备注"]
INCOME_HEADERS = ["序号", "乡(镇)", "村(安置点)", "户编号", "户主", "户类型", "年人均纯收入(元)", "收入档次",
                  "预警(P1–P4)"]
COVERAGE_HEADERS = ["序号", "乡(镇)", "村(安置点)", "户数", "已走访(户)", "未走访(户)", "走访率"]
SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}


def write_table(base: Path, headers: list[str], rows: Iterable[list[Any]], *, title: str | None = None,
                unit: str = "", when: str = "", sheet: str = "表", text_columns: Iterable[int] = (),
                percent_columns: Iterable[int] = (), footer: list[str] | None = None) -> list[Path]:
    """Write ``base``.xlsx (in the office form of hub/cleaning/office.py) and ``base``.csv with the same rows;
    return both paths.  Every cell goes through shared/safe_cells.py: text is never a formula, identifiers stay
    text, and both files are readable by their owner only."""
    table = office.Table(sheet=sheet, title=title or base.name, unit=unit or county_name(), when=when,
                         headers=headers, rows=list(rows), text_columns=frozenset(text_columns),
                         percent_columns=frozenset(percent_columns), footer=footer or [])
    return office.write(base, [table])


def county_name() -> str:
    county = County.select().first()
    return county.name if county else ""


def month_text(period: str) -> str:
    """2026-10 -> 2026年10月."""
    return f"{period[:4]}年{int(period[5:7])}月"


def day_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _heads() -> dict[int | None, str]:  # looked up by a household id that may be None
    query = Person.select(Person.household, Person.name).where(Person.relation == HEAD)
    return dict(tuples(query))


def run_label(run: CleaningRun | None) -> tuple[date, int]:
    """The day a cleaning run started (the county's clock) and its number within that month (1st, 2nd, 3rd …)."""
    if run is None:
        return date.today(), 0

    def local_day(started: datetime) -> date:
        return date.fromisoformat(local_time(started)[:10]) if has_app_context() else started.date()

    day = local_day(run.started_at)
    window = datetime(day.year, day.month, 1) - timedelta(days=1)  # any time zone's month starts after this
    earlier = CleaningRun.select(CleaningRun.started_at).where(CleaningRun.id <= run.id,
                                                               CleaningRun.started_at > window)
    number = len([started for (started,) in tuples(earlier) if local_day(started).replace(day=1) == day.replace(day=1)])
    return day, max(1, number)


def anomaly_lists(out: Path, township: str | None = None) -> list[Path]:
    """One list per township of its open and answered anomalies, grouped by village and household, for the latest
    cleaning run: dated and numbered in the file name and the title (the three runs of a month never overwrite
    each other), each person named beside the masked number, the detail in Chinese words with units."""
    heads = _heads()
    run = CleaningRun.select().order_by(CleaningRun.id.desc()).first()
    day, number = run_label(run)
    written = []
    townships = Township.select().order_by(Township.position)
    if township:
        townships = townships.where(Township.name == township)
    for place in townships:
        query = (Anomaly.select(Anomaly.id, Anomaly.household, Anomaly.subject, Anomaly.rule, Anomaly.detail,
                                Anomaly.status, Anomaly.opened_at, Village.name, Household.number)
                 .join(Village, JOIN.LEFT_OUTER).switch(Anomaly).join(Household, JOIN.LEFT_OUTER)
                 .where(Anomaly.township == place.id, Anomaly.status != CLOSED)
                 .order_by(Village.name, Household.number, Anomaly.rule))
        found = [Listed(*row) for row in tuples(query)]
        rows = _anomaly_rows(place.name, found, heads, day)
        month = f"{day.year}年{day.month}月第{number}次清洗"
        written += write_table(out / f"异常清单-{place.name}-{day.isoformat()}-第{number}次", ANOMALY_HEADERS, rows,
                               title=f"{place.name}防返贫监测数据异常清单（{month}）", sheet="异常清单",
                               when=f"{day_text(day)}（{month}，数据月份 {month_text(run.period) if run else ''}）",
                               text_columns=(3,), footer=["核实人：", "联系电话：", "核实日期："])
    return written


class Listed(NamedTuple):
    """One anomaly of a list, with its village's name and household's number (a row, not a model: a county's
    lists hold a hundred thousand)."""

    id: int
    household_id: int | None
    subject: str
    rule: str
    detail: str
    status: str
    opened_at: datetime
    village: str | None
    household: str | None


def _anomaly_rows(township: str, found: list[Listed], heads: dict[int | None, str], on: date) -> list[list[Any]]:
    subjects = named_subjects(found)
    households = wording.persons_households([a.detail for a in found if a.rule == "I3"])
    numbers = dict(tuples(Household.select(Household.id, Household.number).where(Household.id.in_(households))))
    rows = []
    for index, a in enumerate(found, start=1):
        rule = CATALOGUE.get(a.rule)
        rows.append([index, township, a.village or "", a.household or "", heads.get(a.household_id, ""), a.rule,
                     rule.zh if rule else a.rule,
                     "；".join(filter(None, [subjects[a.id], wording.detail_words(a.detail, on, numbers, a.rule)])),
                     SEVERITY_ZH.get(rule.severity, "") if rule else "", STATUS_ZH[a.status],
                     a.opened_at.strftime("%Y-%m-%d")])
    return rows


def age_on(birth: str | None, on: date) -> int | str:
    if not birth:
        return ""
    born = date.fromisoformat(birth)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# 未转移就业人员类型: the five official types (DOMAIN.md §4; 002 employment §二(一)1(2) and annex 2), in that order.
PERSON_TYPES = ("监测对象", "返乡回流脱贫劳动力", "公益性岗位退出人员", "脱贫户高校未就业毕业生",
                "雨露计划未就业毕业生")
# The last three come from the lists the departments keep (hub/roster/department_lists.py), one kind each.
LISTED_TYPES = dict(zip(department_lists.TYPE_LISTS, PERSON_TYPES[2:], strict=True))


class Labourer(NamedTuple):
    """A labourer of the untransferred-labour table and the hand-off, with the facts of their household, village
    and township the rows show (a row, not joined models: a county has a hundred thousand)."""

    id: int
    id_number: str
    name: str
    gender: str
    birth_date: str | None
    disabled: bool
    returned_since: str | None
    support_251: bool
    household_id: int
    household_number: str
    household_type: str
    risk_eliminated: str | None
    village: str
    township: str


LABOURER_COLUMNS = (Person.id, Person.id_number, Person.name, Person.gender, Person.birth_date, Person.disabled,
                    Person.returned_since, Person.support_251, Household.id, Household.number,
                    Household.household_type, Household.risk_eliminated, Village.name, Township.name)


def person_type(labourer: Labourer, returned_before: str, listed: dict[str, str]) -> str:
    """The first official type the data show, or "" when none does.

    监测对象: a member of a monitored household whose risk is not marked eliminated.  返乡回流脱贫劳动力: back in
    the county since before ``returned_before`` (more than a month, P10's ``p10_days_back``).  The other three:
    named on the latest list of that kind up to the month (``listed``: ID number -> list kind,
    ``department_lists.listed_kinds``)."""
    if labourer.household_type == "监测户" and not labourer.risk_eliminated:
        return PERSON_TYPES[0]
    if labourer.returned_since and labourer.returned_since < returned_before:
        return PERSON_TYPES[1]
    kind = listed.get(labourer.id_number)
    return LISTED_TYPES[kind] if kind else ""


def ledger_columns(ledger: support_ledger.Ledger, labourer: Labourer) -> tuple[str, str]:
    """The two "251" columns of ``labourer`` (``Ledger.columns``, which reads a person's ``id_number`` and
    ``support_251`` only)."""
    return ledger.columns(labourer)  # type: ignore[arg-type]


def not_transferred_reason(person: Person | Labourer, risks: list[str]) -> str:
    """未转移就业原因 as far as the data tell it: the labourer's own disability, and the risks the household's
    current visit of the month recorded; "" when the data say nothing (the village fills it in)."""
    reasons = ["本人残疾"] if person.disabled else []
    if risks:
        reasons.append("家庭风险：" + "、".join(RISKS.get(risk, risk) for risk in risks))
    return "；".join(reasons)


def _month_risks(period: str) -> dict[int, list[str]]:
    """Household -> risks recorded by its current visits of ``period``."""
    found: dict[int, list[str]] = {}
    for household_id, risks in tuples(current_visits(Visit.household, Visit.risks).where(Visit.month == period)):
        for risk in filter(None, (risks or "").split(",")):
            if risk not in found.setdefault(household_id, []):
                found[household_id].append(risk)
    return found


LABOUR_TITLE = "未转移就业脱贫劳动力就业情况统计表"
LABOUR_FOOTER = ["填报人：", "联系电话："]


def untransferred_labour(out: Path, period: str, days_back: int | None = None, *,
                         per_village: bool = False) -> list[Path]:
    """The monthly table of labourers not in transferred employment (DOMAIN.md §4; 002 employment annex 2), in
    its exact columns, for the county (due by the 5th) and, with ``per_village``, one per village (due by the
    3rd, in the folder 各村未转移就业统计表).  The county's two files come first.

    ``days_back``: how long a returned labourer must have been back (default: the county's ``p10_days_back``)."""
    county, rows = county_name(), labour_rows(period, days_back)
    when = month_text(period)
    written = write_table(out / f"{LABOUR_TITLE}-{period}", LABOUR_TABLE_HEADERS, rows, title=f"{county}{LABOUR_TITLE}",
                          unit=county, when=when, sheet="统计表", footer=LABOUR_FOOTER)
    if per_village:
        by_village: dict[tuple[str, str], list[list[Any]]] = {}
        for row in rows:
            by_village.setdefault((row[2], row[3]), []).append(row)
        for (township, village), found in by_village.items():
            village_rows = [[index, *row[1:]] for index, row in enumerate(found, start=1)]
            base = out / "各村未转移就业统计表" / office.file_name(f"{LABOUR_TITLE}-{period}-{township}-{village}")
            written += write_table(base, LABOUR_TABLE_HEADERS, village_rows, title=f"{county}{LABOUR_TITLE}",
                                   unit=f"{township}{village}", when=when, sheet="统计表", footer=LABOUR_FOOTER)
    return written


def labour_rows(period: str, days_back: int | None = None) -> list[list[Any]]:
    """The rows of the untransferred-labour table, in its 14 columns; the two "251" columns and 备注 from the
    year's support ledger (hub/roster/support_ledger.py)."""
    county, on, ledger = county_name(), date.fromisoformat(f"{period}-01"), support_ledger.Ledger.of_year(period)
    return [[index, county, person.township, person.village, person.name, person.gender,
             age_on(person.birth_date, on), kind, person.household_type, *ledger_columns(ledger, person),
             "未转移就业", reason, ledger.progress(person.id_number)]
            for index, (person, kind, reason) in enumerate(untransferred_labourers(period, days_back), start=1)]


def _untransferred(period: str, *columns: Any) -> ModelSelect[Person]:
    """Every living full labourer with no current employment record in ``period``, by township, village and
    household: ``columns`` of the person joined to household, village and township."""
    working = (VisitEmployment.select(VisitEmployment.id_number).join(Visit)
               .where(Visit.is_current(), Visit.month == period))
    return (Person.select(*columns).join(Household).join(Village).join(Township)
            .where(Person.status == LIVING, Person.labour_ability.in_(FULL_LABOUR), Person.id_number.not_in(working))
            .order_by(Township.position, Village.name, Household.number))


def untransferred_labourers(period: str, days_back: int | None = None) -> list[tuple[Labourer, str, str]]:
    """Every living full labourer with no current employment record in the month, by township, village and
    household: the labourer, the official type and the reason.  Read as raw rows (peewee's per-value
    conversion of a county's labourers costs more than the query)."""
    on = date.fromisoformat(f"{period}-01")
    month_end = (on.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if days_back is None:
        from hub.county.parameters import parameters

        days_back = parameters()["p10_days_back"]
    returned_before = (month_end - timedelta(days=days_back)).isoformat()
    risks, listed = _month_risks(period), department_lists.listed_kinds(period)
    found = []
    for row in database.execute_sql(*_untransferred(period, *LABOURER_COLUMNS).sql()):
        labourer = Labourer(*row)
        found.append((labourer, person_type(labourer, returned_before, listed),
                      not_transferred_reason(labourer, risks.get(labourer.household_id, []))))
    return found


def untransferred_people(period: str, days_back: int | None = None) -> list[tuple[Person, str, str]]:
    """``untransferred_labourers`` with each person as a model (household, village and township joined), for
    callers that act on the person (e.g. record a support action)."""
    found = untransferred_labourers(period, days_back)
    people = {person.id: person for person in _untransferred(period, Person, Household, Village, Township)}
    return [(people[labourer.id], kind, reason) for labourer, kind, reason in found]


def income_class(per_capita: float) -> str:
    """DOMAIN.md §2 (004 §二(一)): high ≥ 15,000, middle 11,000–15,000, low < 11,000 yuan per person."""
    return "高收入" if per_capita >= 15_000 else ("中等收入" if per_capita >= 11_000 else "低收入")


def quarterly_income(out: Path, ctx: Context) -> list[Path]:
    """Income classes per household with the alerts P1–P4 it carries (named, not only numbered)."""
    incomes = facts.annual_per_capita(ctx)
    alerts: dict[int | None, list[str]] = {}
    for rule_id in ("P1", "P2", "P3", "P4"):
        for finding in CATALOGUE[rule_id].find(ctx):
            alerts.setdefault(finding.household_id, []).append(rule_id)
    heads = _heads()
    query = (Household.select(Household.id, Township.name, Village.name, Household.number, Household.household_type)
             .join(Village).join(Township).order_by(Township.position, Village.name, Household.number))
    rows: list[list[Any]] = []
    for household_id, township, village, number, household_type in database.execute_sql(*query.sql()):
        if household_id in incomes:
            income = incomes[household_id][0]
            found = sorted(set(alerts.get(household_id, [])), key=lambda rule: int(rule[1:]))
            named = "、".join(f"{rule}{CATALOGUE[rule].zh}" for rule in found)
            rows.append([len(rows) + 1, township, village, number, heads.get(household_id, ""), household_type,
                         round(income), income_class(income), named])
    return write_table(out / f"收入分档与预警-{ctx.period}", INCOME_HEADERS, rows, sheet="收入分档",
                       title=f"{county_name()}脱贫户和监测户收入分档与预警表", when=f"截至{month_text(ctx.period)}",
                       text_columns=(3,))


def coverage(period: str) -> list[dict[str, Any]]:
    """Visit coverage per village for a month: households, households visited or contacted, share."""
    visited = current_visits(Visit.household).where(Visit.month == period).distinct()
    query = (Village.select(Township.name, Village.name, fn.COUNT(Household.id),
                            fn.SUM(Case(None, [(Household.id.in_(visited), 1)], 0)))
             .join(Township).switch(Village).join(Household, JOIN.LEFT_OUTER, on=(Household.village == Village.id))
             .group_by(Township.name, Township.position, Village.name).order_by(Township.position, Village.name))
    return [{"township": t, "village": v, "households": n, "visited": int(seen or 0),
             "share": (int(seen or 0) / n) if n else 0.0} for t, v, n, seen in tuples(query)]


def coverage_table(out: Path, period: str) -> list[Path]:
    """Visit coverage per village; the share is a number shown as a percentage."""
    rows = [[index, c["township"], c["village"], c["households"], c["visited"], c["households"] - c["visited"],
             c["share"]] for index, c in enumerate(coverage(period), start=1)]
    return write_table(out / f"走访覆盖-{period}", COVERAGE_HEADERS, rows, sheet="走访覆盖",
                       title=f"{county_name()}农户走访覆盖情况表", when=month_text(period), percent_columns=(6,))

"""What the county sends out: per-township anomaly lists, the monthly untransferred-labour table, the quarterly
income classes, and visit coverage per village — as XLSX and as CSV (UTF-8 with BOM, so Excel opens it).

ID numbers never appear in full: subjects are written with masked numbers (DOMAIN.md §9).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from peewee import JOIN, Case, fn

from hub.cleaning.anomalies import CLOSED, STATUS_ZH
from hub.cleaning.catalogue import Context
from hub.cleaning.rules import CATALOGUE, facts
from hub.roster.disclosure import anomaly_detail_text, named_subjects
from hub.store.models import (
    Anomaly,
    County,
    Household,
    Person,
    Township,
    Village,
    Visit,
    VisitEmployment,
    current_visits,
)
from shared import safe_cells
from shared.rows import tuples
from shared.schemas import RISKS
from shared.vocabulary import FULL_LABOUR, HEAD, LIVING

ANOMALY_HEADERS = ["乡(镇)", "村(安置点)", "户编号", "户主", "规则", "问题", "说明", "严重程度", "状态", "首次发现"]
LABOUR_TABLE_HEADERS = ["序号", "县(区)", "乡(镇)", "村(安置点)", "姓名", "性别", "年龄", "未转移就业人员类型",
                        "家庭类型", "是否开展\"251\"就业帮扶", "开展\"251\"帮扶是否有台账", "目前转移就业状况",
                        "未转移就业原因", "备注"]
INCOME_HEADERS = ["乡(镇)", "村(安置点)", "户编号", "户主", "户类型", "年人均纯收入(元)", "收入档次", "预警"]
COVERAGE_HEADERS = ["乡(镇)", "村(安置点)", "户数", "已走访", "走访率"]
SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}


def write_table(base: Path, headers: list[str], rows: Iterable[list[Any]]) -> list[Path]:
    """Write ``base``.xlsx and ``base``.csv with the same rows; return both paths.  Every cell goes through
    shared/safe_cells.py: text is never a formula, and both files are readable by their owner only."""
    from openpyxl import Workbook  # here: the pages and commands that import this module need not load it
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    rows = list(rows)
    base.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook opens on its one worksheet
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        safe_cells.append_xlsx_row(sheet, row)
    for index, column in enumerate(sheet.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, max(len(str(c.value or ""))
                                                                                      for c in column) * 2))
    sheet.freeze_panes = "A2"
    xlsx, csv_path = base.with_suffix(".xlsx"), base.with_suffix(".csv")
    safe_cells.save_workbook(workbook, xlsx)
    safe_cells.write_csv(csv_path, [headers, *rows])
    return [xlsx, csv_path]


def _heads() -> dict[int | None, str]:  # looked up by a household id that may be None
    query = Person.select(Person.household, Person.name).where(Person.relation == HEAD)
    return dict(tuples(query))


def anomaly_lists(out: Path, township: str | None = None) -> list[Path]:
    """One list per township of its open and answered anomalies, grouped by village and household."""
    heads = _heads()
    written = []
    townships = Township.select().order_by(Township.position)
    if township:
        townships = townships.where(Township.name == township)
    today = date.today()
    for place in townships:
        query = (Anomaly.select(Anomaly, Village, Household).join(Village, JOIN.LEFT_OUTER)
                 .switch(Anomaly).join(Household, JOIN.LEFT_OUTER)
                 .where(Anomaly.township == place.id, Anomaly.status != CLOSED)
                 .order_by(Village.name, Household.number, Anomaly.rule))
        found = list(query)
        subjects = named_subjects(found)
        rows = [[place.name, a.village.name if a.village else "", a.household.number if a.household else "",
                 heads.get(a.household_id, ""), a.rule, CATALOGUE[a.rule].zh if a.rule in CATALOGUE else a.rule,
                 f"{subjects[a.id]}；{anomaly_detail_text(a.detail, today, a.rule)}",
                 SEVERITY_ZH.get(CATALOGUE[a.rule].severity, ""),
                 STATUS_ZH[a.status], a.opened_at.strftime("%Y-%m-%d")] for a in found]
        written += write_table(out / f"异常清单-{place.name}", ANOMALY_HEADERS, rows)
    return written


def _age(birth: str | None, on: date) -> int | str:
    if not birth:
        return ""
    born = date.fromisoformat(birth)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# 未转移就业人员类型: the five official types (DOMAIN.md §4; 002 employment §二(一)1(2) and annex 2), in that order.
PERSON_TYPES = ("监测对象", "返乡回流脱贫劳动力", "公益性岗位退出人员", "脱贫户高校未就业毕业生",
                "雨露计划未就业毕业生")


def person_type(household: Household, person: Person, returned_before: str) -> str:
    """The first official type the hub's data show, or "" when none does.

    监测对象: a member of a monitored household whose risk is not marked eliminated.  返乡回流脱贫劳动力: back in
    the county since before ``returned_before`` (more than a month, P10's ``p10_days_back``).  The other three
    types (公益性岗位退出人员 and the two kinds of unemployed graduates) are recorded nowhere in the roster or the
    visits, so the hub never fills them: the village adds them (docs/cleaning.md)."""
    if household.household_type == "监测户" and not household.risk_eliminated:
        return PERSON_TYPES[0]
    if person.returned_since and person.returned_since < returned_before:
        return PERSON_TYPES[1]
    return ""


def not_transferred_reason(person: Person, risks: list[str]) -> str:
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


def untransferred_labour(out: Path, period: str, days_back: int | None = None) -> list[Path]:
    """The monthly table of labourers not in transferred employment (DOMAIN.md §4), in its exact columns.

    ``days_back``: how long a returned labourer must have been back (default: the county's ``p10_days_back``)."""
    on = date.fromisoformat(f"{period}-01")
    month_end = (on.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if days_back is None:
        from hub.county.parameters import parameters

        days_back = parameters()["p10_days_back"]
    returned_before = (month_end - timedelta(days=days_back)).isoformat()
    working = (VisitEmployment.select(VisitEmployment.id_number).join(Visit)
               .where(Visit.is_current(), Visit.month == period))
    risks = _month_risks(period)
    county = County.select().first()
    query = (Person.select(Person, Household, Village, Township).join(Household).join(Village).join(Township)
             .where(Person.status == LIVING, Person.labour_ability.in_(FULL_LABOUR),
                    Person.id_number.not_in(working))
             .order_by(Township.position, Village.name, Household.number))
    rows = []
    for index, person in enumerate(query, start=1):
        household = person.household
        rows.append([index, county.name if county else "", household.village.township.name, household.village.name,
                     person.name, person.gender, _age(person.birth_date, on),
                     person_type(household, person, returned_before), household.household_type,
                     "", "", "未转移就业", not_transferred_reason(person, risks.get(household.id, [])), ""])
    return write_table(out / f"未转移就业脱贫劳动力就业情况统计表-{period}", LABOUR_TABLE_HEADERS, rows)


def income_class(per_capita: float) -> str:
    """DOMAIN.md §2 (004 §二(一)): high ≥ 15,000, middle 11,000–15,000, low < 11,000 yuan per person."""
    return "高收入" if per_capita >= 15_000 else ("中等收入" if per_capita >= 11_000 else "低收入")


def quarterly_income(out: Path, ctx: Context) -> list[Path]:
    incomes = facts.annual_per_capita(ctx)
    alerts: dict[int | None, list[str]] = {}
    for rule_id in ("P1", "P2", "P3", "P4"):
        for finding in CATALOGUE[rule_id].find(ctx):
            alerts.setdefault(finding.household_id, []).append(rule_id)
    heads = _heads()
    query = (Household.select(Household, Village, Township).join(Village).join(Township)
             .order_by(Township.position, Village.name, Household.number))
    rows = []
    for household in query:
        if household.id in incomes:
            income = incomes[household.id][0]
            rows.append([household.village.township.name, household.village.name, household.number,
                         heads.get(household.id, ""), household.household_type, round(income), income_class(income),
                         "、".join(sorted(set(alerts.get(household.id, []))))])
    return write_table(out / f"收入分档与预警-{ctx.period}", INCOME_HEADERS, rows)


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
    rows = [[c["township"], c["village"], c["households"], c["visited"], f"{c['share']:.0%}"] for c in coverage(period)]
    return write_table(out / f"走访覆盖-{period}", COVERAGE_HEADERS, rows)

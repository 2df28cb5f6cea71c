"""The quarterly analysis (季度分析, 002 §二(四)1; issue 16): per township, income by source and class against the
same quarter last year, employment by place, anomalies found and resolved — an XLSX a county leader reads, one
sheet per subject in the office form, each with a native bar chart under its table (LibreOffice and Excel draw
and print them).  Figures only: no person is named."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hub.cleaning import exports, office
from hub.cleaning.anomalies import ANSWERED, CLOSED
from hub.cleaning.catalogue import Context
from hub.cleaning.rules import facts
from hub.reports.handoff import quarter_label
from hub.store.db import database
from hub.store.models import Anomaly, Household, Township, Village, Visit, VisitEmployment
from shared import safe_cells
from shared.months import add_months, month_span, quarter_start
from shared.rows import tuples
from shared.schemas import WORK_PLACES, place_labels

SOURCES = ["工资性收入", "经营性收入", "财产性收入", "转移性收入", "生产经营性支出"]
INCOME_HEADERS = ["乡(镇)", *[f"{s}(元)" for s in SOURCES], "本季度人均纯收入(元)", "上年同期人均纯收入(元)",
                  "同比增长"]
CLASS_HEADERS = ["乡(镇)", "高收入(户)", "中等收入(户)", "低收入(户)", "人均纯收入低于1万元(户)"]
def place_headers(region_word: str = "省") -> list[str]:
    return ["乡(镇)", *[f"{name}(人)" for name in place_labels(region_word).values()], "合计(人)"]
ANOMALY_HEADERS = ["乡(镇)", "本季度发现(条)", "本季度已核实或消除(条)", "季末仍待处理(条)"]
TOTAL = "合计"


def quarterly_analysis(out: Path, quarter_end: str, params: dict[str, Any], region_word: str = "省") -> list[Path]:
    """The analysis workbook for the quarter ending with the month ``quarter_end``; work places in the county's
    words (``region_word``)."""
    from openpyxl.chart import BarChart, Reference

    ctx = Context(quarter_end, date.today(), params)
    facts.build_household_months(ctx)
    townships = [name for (name,) in tuples(Township.select(Township.name).order_by(Township.position))]
    places = _township_of_household()  # read once, for both income sheets
    county, label = exports.county_name(), quarter_label(quarter_end)
    when = f"{label}（{exports.month_text(quarter_start(quarter_end))}至{exports.month_text(quarter_end)}）"
    sheets = [
        ("收入来源", "各乡(镇)收入来源及同比", INCOME_HEADERS, income_rows(townships, quarter_end, places), [6, 7],
         "元"),
        ("收入分档", "各乡(镇)收入分档", CLASS_HEADERS, class_rows(townships, ctx, places), [1, 2, 3], "户"),
        ("务工地点", "各乡(镇)脱贫劳动力务工地点", place_headers(region_word), place_rows(townships, quarter_end),
         [1, 2, 3], "人"),
        ("异常情况", "各乡(镇)数据异常发现与处理", ANOMALY_HEADERS, anomaly_rows(townships, quarter_end), [1, 2, 3],
         "条"),
    ]
    workbook = office.new_workbook()
    for index, (name, subject, headers, rows, charted, unit) in enumerate(sheets):
        table = office.Table(sheet=name, title=f"{county}{subject}（{label}）", unit=county, when=when,
                             headers=headers, rows=rows,
                             percent_columns=frozenset({len(headers) - 1}) if name == "收入来源" else frozenset())
        sheet = office.add_sheet(workbook, table, first=index == 0)
        chart = BarChart()
        chart.type, chart.title, chart.y_axis.title = "col", subject, unit
        chart.width, chart.height = 26, 11
        last = office.HEADER_ROW + len(rows) - 1  # the 合计 row is not drawn
        for column in charted:
            chart.add_data(Reference(sheet, min_col=column + 1, min_row=office.HEADER_ROW, max_row=last),
                           titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=office.HEADER_ROW + 1, max_row=last))
        sheet.add_chart(chart, f"A{office.HEADER_ROW + len(rows) + 3}")
    path = out / f"季度分析-{label}.xlsx"
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    safe_cells.save_workbook(workbook, path)
    return [path]


def _with_total(townships: list[str], values: dict[str, list[float]], width: int) -> list[list[Any]]:
    rows: list[list[Any]] = [[name, *values.get(name, [0] * width)] for name in townships]
    rows.append([TOTAL, *[sum(row[i + 1] for row in rows) for i in range(width)]])
    return rows


def _township_of_household() -> dict[int, str]:
    query = Household.select(Household.id, Township.name).join(Village).join(Township)
    return dict(database.execute_sql(*query.sql()).fetchall())


def income_rows(townships: list[str], quarter_end: str, places: dict[int, str] | None = None) -> list[list[Any]]:
    """Per township: the quarter's income by source (yuan), per-capita net income this quarter and in the same
    quarter last year, and the growth (a share, shown as a percentage)."""
    this = month_span(quarter_start(quarter_end), quarter_end)
    last = [add_months(month, -12) for month in this]
    places, members = places if places is not None else _township_of_household(), facts.living_members()
    sums: dict[str, list[float]] = {}
    people: Counter[str] = Counter()
    for household_id, count in members.items():
        people[places.get(household_id, "")] += count
    marks = ", ".join([database.param] * 6)
    cursor = database.execute_sql(
        f"SELECT household_id, month IN ({', '.join([database.param] * 3)}), wage, business, property, transfer, "
        f"expenses, net FROM household_month WHERE month IN ({marks})", (*this, *this, *last))
    for household_id, current, *figures in cursor:  # streamed: two quarters of a county's households
        row = sums.setdefault(places.get(household_id, ""), [0.0] * 7)
        if current:
            for i, value in enumerate(figures[:5]):
                row[i] += value
            row[5] += figures[5]
        else:
            row[6] += figures[5]
    rows = []
    for name in [*townships, TOTAL]:
        if name == TOTAL:
            totals = [sum(sums.get(t, [0.0] * 7)[i] for t in townships) for i in range(7)]
            heads = sum(people[t] for t in townships)
        else:
            totals, heads = sums.get(name, [0.0] * 7), people[name]
        now, before = (totals[5] / heads, totals[6] / heads) if heads else (0.0, 0.0)
        rows.append([name, *[round(v) for v in totals[:5]], round(now), round(before),
                     round((now - before) / before, 4) if before else ""])
    return rows


def class_rows(townships: list[str], ctx: Context, places: dict[int, str] | None = None) -> list[list[Any]]:
    """Per township: households by income class over the twelve months to the quarter's end, and those under the
    P1 line."""
    places, line = places if places is not None else _township_of_household(), ctx.params["p1_min_income"]
    counts: dict[str, list[float]] = {}
    for household_id, (income, _months) in facts.annual_per_capita(ctx).items():
        row = counts.setdefault(places.get(household_id, ""), [0, 0, 0, 0])
        row[["高收入", "中等收入", "低收入"].index(exports.income_class(income))] += 1
        row[3] += income < line
    return _with_total(townships, counts, 4)


def place_rows(townships: list[str], quarter_end: str) -> list[list[Any]]:
    """Per township: labourers by their latest place of work in the quarter."""
    months = month_span(quarter_start(quarter_end), quarter_end)
    query = (VisitEmployment.select(VisitEmployment.id_number, VisitEmployment.place, Township.name)
             .join(Visit).join(Household).join(Village).join(Township)
             .where(Visit.is_current(), Visit.month.in_(months)).order_by(Visit.month))
    latest = {id_number: (place, township) for id_number, place, township in database.execute_sql(*query.sql())}
    codes = list(WORK_PLACES)
    counts: dict[str, list[float]] = {}
    for place, township in latest.values():
        row = counts.setdefault(township, [0] * (len(codes) + 1))
        if place in codes:
            row[codes.index(place)] += 1
        row[-1] += 1
    return _with_total(townships, counts, len(codes) + 1)


def anomaly_rows(townships: list[str], quarter_end: str) -> list[list[Any]]:
    """Per township: anomalies first found in the quarter, answered or cleared in it, and still open at its end."""
    start = datetime.fromisoformat(f"{quarter_start(quarter_end)}-01")
    end = datetime.fromisoformat(f"{add_months(quarter_end, 1)}-01")
    counts: dict[str, list[float]] = {}
    query = (Anomaly.select(Township.name, Anomaly.status, Anomaly.opened_at, Anomaly.closed_at, Anomaly.answered_at)
             .join(Township))
    for township, status, opened, closed, answered in tuples(query):
        row = counts.setdefault(township, [0, 0, 0])
        row[0] += start <= opened < end
        resolved = closed if status == CLOSED else (answered if status == ANSWERED else None)
        row[1] += resolved is not None and start <= resolved < end
        row[2] += opened < end and (resolved is None or resolved >= end)
    return _with_total(townships, counts, 3)



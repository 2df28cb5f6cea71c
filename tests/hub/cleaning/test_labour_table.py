"""The monthly untransferred-labour table (DOMAIN.md §4, 002 employment annex 2) fills 未转移就业人员类型 only with
the five official types, derived from the data, and 未转移就业原因 from the data; it reads the current visits."""

from __future__ import annotations

from openpyxl import load_workbook

from hub.cleaning import exports
from hub.cleaning.office import HEADER_ROW
from hub.store.models import Household
from tests.hub.cleaning.county_factory import PERIOD, baseline, build, household_number, roster_rows

MONITORED, RETURNED, DISABLED, AT_RISK, CORRECTED, ELIMINATED = (household_number(0, i) for i in range(6))


def planted_rows() -> list[dict]:
    rows = roster_rows()
    by_household: dict[str, list[dict]] = {}
    for row in rows:
        by_household.setdefault(row["household_id"], []).append(row)
    for row in by_household[MONITORED]:
        row.update(household_type="监测户", monitoring_type="边缘易致贫户", monitoring_since="2026-03-01",
                   helper="李四", helper_since="2026-03-02", plan_date="2026-03-05", measures="就业帮扶")
    for row in by_household[ELIMINATED]:  # out of monitoring: no longer 监测对象
        row.update(household_type="监测户", monitoring_type="边缘易致贫户", monitoring_since="2025-01-01",
                   risk_eliminated="2025-12-01", helper="李四", helper_since="2025-01-02", plan_date="2025-01-05",
                   measures="就业帮扶")
    head, spouse = by_household[RETURNED][:2]
    head["returned_since"] = "2026-08-01"  # back three months
    spouse["returned_since"] = "2026-10-20"  # back eleven days: not yet a returned labourer
    by_household[DISABLED][0]["disabled"] = "是"
    return rows


def table_rows(tmp_path) -> dict[str, list[tuple]]:
    exports.untransferred_labour(tmp_path / "out", PERIOD)
    sheet = load_workbook(tmp_path / "out" / f"未转移就业脱贫劳动力就业情况统计表-{PERIOD}.xlsx").active
    header = [cell.value for cell in sheet[HEADER_ROW]]
    by_name: dict[str, list[tuple]] = {}
    for values in sheet.iter_rows(min_row=HEADER_ROW + 1, max_row=sheet.max_row - len(exports.LABOUR_FOOTER),
                                  values_only=True):
        row = dict(zip(header, values, strict=True))
        by_name.setdefault(row["姓名"], []).append((row["未转移就业人员类型"] or "", row["未转移就业原因"] or ""))
    return by_name


def test_types_and_reasons_come_from_the_data_and_the_official_vocabulary(hub_db, tmp_path):
    county = build(tmp_path, planted_rows())
    planted = {MONITORED, RETURNED, DISABLED, AT_RISK, CORRECTED, ELIMINATED}
    baseline(county, skip=planted)
    county.visit(AT_RISK, PERIOD, wage=0, business=500, risks="illness,large_expense")
    adults = county.adults(CORRECTED)
    working = county.visit(CORRECTED, PERIOD, wage=6000, business=0,
                           jobs=[(a["id_number"], 10, 3000) for a in adults])
    county.correct(working, wage=0, jobs=[])  # the station corrected it: they did not work this month
    names = {row["id_number"]: row["name"] for row in county.rows}
    by_name = table_rows(tmp_path)

    def cells(number: str) -> list[tuple]:
        return [cell for a in county.adults(number) for cell in by_name[names[a["id_number"]]]]

    assert cells(MONITORED) == [("监测对象", ""), ("监测对象", "")]
    assert cells(RETURNED) == [("返乡回流脱贫劳动力", ""), ("", "")]
    assert cells(DISABLED) == [("", "本人残疾"), ("", "")]
    assert cells(AT_RISK) == [("", "家庭风险：疾病、大额支出")] * 2
    assert cells(CORRECTED) == [("", ""), ("", "")]  # listed: their only work this month was corrected away
    assert cells(ELIMINATED) == [("", ""), ("", "")]
    types = {kind for rows in by_name.values() for kind, _ in rows}
    assert types <= {"", *exports.PERSON_TYPES}
    assert Household.select().count() == 20
    assert len(by_name) == 12  # the six planted households' labourers only: everyone else worked

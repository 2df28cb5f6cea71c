"""The station's entry checks as the phone makes them (field_node/web/static/phone_checks.js), run in Debian's
Chromium against the household data the offline bundle carries: the income-drop warning compares a month with
the visit the station compares it with (``visits.latest(number, before=month)``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.browser import script_page

pytestmark = pytest.mark.e2e
SCRIPT = Path(__file__).parents[2] / "field_node" / "web" / "static" / "phone_checks.js"
INCOME = {"wage": 0, "business": 0, "property": 0, "transfer": 0, "expenses": 0}


def visit(month: str, seq: int, net: int, state: str = "hub") -> dict:
    return {"seq": seq, "month": month, "net": net, "state": state}


# A household seen in September (net 3,000), October (net 600, a wrong entry) and November (the bundle's month):
# h.last is the October visit, the latest before November.
HOUSEHOLD = {"last": {"month": "2026-10", "income": {**INCOME, "wage": 600}},
             "visits": [visit("2026-11", 9, 2_900), visit("2026-10", 7, 600), visit("2026-09", 4, 3_000)]}


@pytest.fixture(scope="module")
def page():
    with script_page(SCRIPT) as tab:
        yield tab


def baseline(page, household: dict, month: str, correcting: bool) -> dict | None:
    return page.evaluate("([h, m, c]) => window.FieldsyncPhone.incomeBaseline(h, m, c)",
                         [household, month, correcting])


def test_a_new_visit_compares_with_the_last_visit_before_its_month(page):
    assert baseline(page, HOUSEHOLD, "2026-11", False) == {"month": "2026-10", "net": 600}


def test_correcting_last_months_visit_compares_with_the_month_before_it_not_with_itself(page):
    assert baseline(page, HOUSEHOLD, "2026-10", True) == {"month": "2026-09", "net": 3_000}


def test_a_corrected_or_rejected_visit_is_no_baseline(page):
    household = {**HOUSEHOLD, "visits": [visit("2026-10", 7, 600), visit("2026-09", 5, 9_000, "corrected"),
                                         visit("2026-09", 6, 2_800), visit("2026-08", 3, 5_000, "rejected")]}
    assert baseline(page, household, "2026-10", True) == {"month": "2026-09", "net": 2_800}
    alone = {**HOUSEHOLD, "visits": [visit("2026-10", 7, 600), visit("2026-08", 3, 5_000, "rejected")]}
    assert baseline(page, alone, "2026-10", True) is None


def test_correcting_this_months_visit_compares_with_last_month(page):
    assert baseline(page, HOUSEHOLD, "2026-11", True) == {"month": "2026-10", "net": 600}

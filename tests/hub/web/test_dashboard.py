"""The dashboard pages (issue 16): one per role, scoped through hub/web/scope.py, charts as SVG with the numbers
in a table under each, the same figures as JSON, a clear Chinese error for a bad month."""

from __future__ import annotations

import re

from hub.store.models import Township
from tests.conftest import make_user, signed_in
from tests.hub.reports.test_figures import PERIOD, TOWNSHIP_A, TOWNSHIP_B, VILLAGES, planted  # noqa: F401


def test_the_county_dashboard_draws_every_figure_by_township_with_its_numbers(app, client, planted):  # noqa: F811
    page = client.get(f"/dashboard/?month={PERIOD}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and f"数据看板 · 全县 · {PERIOD}" in text
    for section in ("coverage", "anomalies", "income-classes", "income-trend", "untransferred", "stations"):
        block = text.split(f'<section id="{section}">')[1].split("</section>")[0]
        assert '<svg class="chart"' in block and "<details><summary>查看数字</summary>" in block, section
    assert "<script>" not in text and "帮扶线 10,000 元" in text and "清洗测试站" in text
    data = client.get(f"/dashboard/data.json?month={PERIOD}").get_json()
    households = data["coverage"]["units"][0]["households"]
    visited = data["coverage"]["units"][0]["visited"][-1]
    assert re.search(rf"<td>{TOWNSHIP_A}</td><td class=\"num\">{households}</td>.*?{visited}（"
                     rf"{100 * visited / households:.0f}%）</td></tr>", text)
    assert data["units"][:2] == [TOWNSHIP_A, TOWNSHIP_B] and ["待登记", 1] in data["station_states"]
    assert data["stations"][0]["missing"] == 0 and data["stations"][0]["status"] == "待登记"


def test_a_township_user_sees_its_villages_only_and_is_refused_another_township(app, planted):  # noqa: F811
    client = signed_in(app, make_user(app, "dj", "township", TOWNSHIP_A))
    data = client.get("/dashboard/data.json").get_json()
    assert data["township"] == TOWNSHIP_A and data["period"] == PERIOD  # the latest month with visits
    assert data["units"] == sorted(v for t, v in VILLAGES if t == TOWNSHIP_A)
    assert [s["name"] for s in data["stations"]] == ["清洗测试站"]  # it serves a village of A
    page = client.get("/dashboard/").get_data(as_text=True)
    assert TOWNSHIP_B not in page and "村（安置点）" in page
    refused = client.get(f"/dashboard/?township={TOWNSHIP_B}")
    assert refused.status_code == 403 and "不能" in refused.get_data(as_text=True)
    other = signed_in(app, make_user(app, "bl", "township", TOWNSHIP_B))
    assert other.get("/dashboard/data.json").get_json()["stations"] == []  # no station serves B


def test_a_county_user_may_open_one_townships_dashboard(app, client, planted):  # noqa: F811
    data = client.get(f"/dashboard/data.json?township={TOWNSHIP_B}&month={PERIOD}").get_json()
    assert data["units"] == sorted(v for t, v in VILLAGES if t == TOWNSHIP_B)
    township_id = Township.get(Township.name == TOWNSHIP_B).id
    from hub.reports import figures

    assert data["untransferred"] == figures.dashboard(township_id, PERIOD)["untransferred"]


def test_a_bad_month_or_an_unknown_township_is_refused_in_chinese(app, client, planted):  # noqa: F811
    reply = client.get("/dashboard/?month=2026-13")
    assert reply.status_code == 400 and "格式不对" in reply.get_data(as_text=True)
    unknown = client.get("/dashboard/data.json?township=不存在乡")
    assert unknown.status_code == 404 and "没有名为“不存在乡”的乡镇" in unknown.get_data(as_text=True)


def test_the_home_page_links_the_dashboard(app, client, hub_db):
    assert 'href="/dashboard/"' in client.get("/").get_data(as_text=True)


def test_an_empty_county_still_draws_its_dashboard(app, client, hub_db):
    page = client.get("/dashboard/")
    assert page.status_code == 200 and "暂无数据" in page.get_data(as_text=True)

"""The SVG charts (hub/web/charts.py): numbers in every title, names escaped, gaps left, round axes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hub.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def test_stacked_bars_carry_each_number_and_escape_names():
    drawn = charts.bars("测试", [("<b>村", [3, 1]), ("长长长长长长长长长村", [0, 2])], ["待处理", "已处理"])
    tree = ET.fromstring(str(drawn))  # well-formed XML: a name cannot break out
    titles = [t.text for t in tree.iter(f"{SVG}title")]
    assert titles == ["<b>村 待处理：3", "<b>村 已处理：1", "长长长长长长长长长村 已处理：2"]  # no empty segment
    labels = [t.text for t in tree.iter(f"{SVG}text")]
    assert "长长长长长长…" in labels and "4" in labels and "2" in labels  # totals after the bars
    widths = [float(r.get("width")) for r in tree.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert abs(widths[0] / widths[1] - 3) < 0.01


def test_a_line_leaves_gaps_and_draws_the_reference():
    drawn = str(charts.line("收入", ["2026-01", "2026-02", "2026-03"], [("合计", [12000, None, 9000])], charts.yuan,
                            reference=("帮扶线", 10000)))
    assert drawn.count("<circle") == 2 and "合计 2026-03：9,000" in drawn and "帮扶线：10,000" in drawn
    assert re.search(r'stroke-dasharray="5 3"', drawn)
    assert "15,000" in drawn  # the axis tops at a round number above 12,000


def test_round_axis_ceilings_and_an_empty_chart():
    assert [charts.nice_ceiling(v) for v in (0, 0.8, 12600, 36000, 101)] == [1.0, 1.0, 20000, 50000, 200]
    assert "暂无数据" in charts.bars("空", [], ["户"])


def test_the_heatmap_writes_every_share_and_shades_a_low_month_red():
    drawn = charts.heatmap("覆盖", [("东岭1村", [0.25, 1.0])], ["2026-09", "2026-10"])
    tree = ET.fromstring(str(drawn))
    assert [t.text for t in tree.iter(f"{SVG}title")] == ["东岭1村 2026-09：25%", "东岭1村 2026-10：100%"]
    low, full = [r.get("fill") for r in tree.iter(f"{SVG}rect")]
    assert low.startswith("#ff") and full == "#2b6cb0"  # red-ish below half; the palette's blue when all visited


def test_bars_with_a_reference_draw_it_where_the_value_lies():
    drawn = charts.bars("收入", [("甲村", [20000]), ("乙村", [5000])], ["人均"], charts.yuan,
                        reference=("帮扶线", 10000))
    tree = ET.fromstring(str(drawn))
    rule = next(tree.iter(f"{SVG}line"))
    first, second = [r for r in tree.iter(f"{SVG}rect")]
    start = float(first.get("x"))
    assert abs(float(rule.get("x1")) - (start + float(first.get("width")) / 2)) < 0.1  # 10,000 of 20,000
    assert float(second.get("width")) < float(rule.get("x1")) - start  # 乙村 stops short of the line


def test_a_unit_with_nothing_to_count_is_grey_not_red():
    drawn = str(charts.heatmap("覆盖", [("空村", [None, None])], ["2026-09", "2026-10"]))
    assert drawn.count('fill="#edf2f7"') == 2 and "—" in drawn and "<title>" not in drawn

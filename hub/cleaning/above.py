"""The rule catalogue above the county (issue 17, docs/cleaning.md "Above the county"): which rules a city or
region hub runs over the visits its counties forwarded (hub/upward/loader.py), why the others are skipped, and
each county's reported anomaly counts (``county_month``) checked against what this hub's own run finds.

A city holds a county's forwarded visits — households by number, incomes, acknowledgements, labourers by the
county's person key — but no roster: no ID number, birth date, readable phone, member, labour ability or
monitoring status, and no other department's list.  The rules that read only visits run; every other one is
skipped with its reason recorded in the run (``cleaning_run.counts["skipped"]``), never silently.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from hub.cleaning.catalogue import Finding
from hub.cleaning.rules import CATALOGUE
from hub.store.models import CleaningRun, Township
from shared.rows import tuples

LEVELS_ABOVE = ("city", "region")

# The rules that read visits only (household_month, the current visits): what a city or region runs.
RUN_ABOVE = ("P2", "P3", "P11", "I5", "I8")

_ROSTER_MEMBERS = "需要人口名册的在世成员人数（人均收入），市级、区级不掌握名册"
SKIPPED_ABOVE: dict[str, str] = {
    "P1": _ROSTER_MEMBERS,
    "P4": "需要人口名册的劳动技能和人员状态",
    "P5": "需要县里的全部户（人口名册）：市级、区级只知道有走访记录的户",
    "P6": "需要人口名册的劳动技能和人员状态",
    "P7": "需要人口名册的户类型、帮扶责任人、帮扶计划和措施",
    "P8": "需要人口名册的纳入监测时间和风险消除时间",
    "P9": "需要人口名册的劳动力及其身份证号码",
    "P10": "需要人口名册的返乡时间和“251”帮扶记录",
    "I1": "需要身份证号码、出生日期和性别",
    "I2": "需要身份证号码（跨县的同一人由市级按加密摘要核对）",
    "I3": "需要人员姓名和出生日期",
    "I4": "需要人口名册的人员状态（是否已故）",
    "I6": "需要出生日期（16 岁以下不应有工资）",
    "I7": _ROSTER_MEMBERS,
    "I9": "需要可读的手机号码",
    "X1": "需要部门名单与身份证号码比对",
    "X2": "需要部门名单与身份证号码比对",
    "X3": "需要部门名单与身份证号码比对",
}


def is_above(level: str) -> bool:
    return level in LEVELS_ABOVE


def county_counts(findings: list[Finding], places: dict[int | None, tuple[int, int]]) -> dict[str, Any]:
    """A run's findings by county (its node here), rule and township (as the county names it; a township the
    loader could not name is counted in the county's total only)."""
    townships = {row.id: (row.county_node, row.local_name) for row in
                 Township.select(Township.id, Township.county_node, Township.local_name)
                 .where(Township.county_node.is_null(False))}
    totals: Counter = Counter()
    by_township: Counter = Counter()
    for finding in findings:
        place = places.get(finding.household_id)
        county_node, local = townships.get(place[1], (None, None)) if place else (None, None)
        if county_node is None:
            continue
        totals[(county_node, finding.rule)] += 1
        if local:
            by_township[(county_node, finding.rule, local)] += 1
    counts: dict[str, Any] = {}
    for (county_node, rule), total in totals.items():
        counts.setdefault(str(county_node), {})[rule] = {"total": total, "townships": {}}
    for (county_node, rule, local), count in by_township.items():
        counts[str(county_node)][rule]["townships"][local] = count
    return counts


def _latest_run(month: str) -> dict[str, Any] | None:
    """The counts of this hub's newest run above the county for ``month``, or None."""
    query = (CleaningRun.select(CleaningRun.counts)
             .where(CleaningRun.period == month, CleaningRun.finished_at.is_null(False))
             .order_by(CleaningRun.id.desc()))
    for (counts,) in tuples(query):
        found = json.loads(counts)
        if "counties" in found:
            return found
    return None


def under_reported(county_node: int, body: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(figure, as the county signed it, as this hub's newest run of the month finds it) for each rule the run
    ran where the county reports fewer anomalies than the run finds in its forwarded visits — over the county,
    and by township where the loader could place the households.

    The county's figures count every anomaly it holds, open and resolved (an answered or closed one stays), as
    they stand when it signs them: an honest county that ran the month holds at least what this hub finds in the
    same visits.  More at the county is no disagreement — it holds the anomalies of other months, and of visits
    signed in plain that stay at the county — so only fewer is (docs/cleaning.md)."""
    run = _latest_run(body["month"])
    if run is None:
        return []
    found = run["counties"].get(str(county_node), {})
    signed: Counter = Counter()
    for row in body["anomalies"]:
        signed[(row["rule"], None)] += row["open"] + row["resolved"]
        signed[(row["rule"], row["township"])] += row["open"] + row["resolved"]
    wrong = []
    for rule in RUN_ABOVE:
        if rule in run.get("skipped", {}):
            continue
        counted, named = found.get(rule, {"total": 0, "townships": {}}), f"{rule}（{CATALOGUE[rule].zh}）"
        if counted["total"] > signed[(rule, None)]:
            wrong.append((f"{named}异常条数（全县）", signed[(rule, None)], counted["total"]))
        for township, count in sorted(counted["townships"].items()):
            if count > signed[(rule, township)]:
                wrong.append((f"{named}异常条数（{township}）", signed[(rule, township)], count))
    return wrong

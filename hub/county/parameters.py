"""The county's parameters: every threshold and deadline a rule or a posting check uses, with its default and
meaning (DOMAIN.md §6), its Chinese label and unit, and the policy documents it comes from, by name, as the rule
settings page shows them.  Thresholds change every year, so a county's own values live in the
``cleaning_setting`` table (`fieldsync-hub rule-setting`, or the page), each change audited with its reason."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from hub import audit
from hub.store.db import write_transaction
from hub.store.models import CleaningSetting
from shared.errors import ErrorCode, FieldsyncError

# The seed documents (../shared/seeds/, DOMAIN.md §1) by their names; 002's measures are in its annexes.
LIUZHOU_PLAN = "《柳州市促进脱贫人口持续增收三年行动方案（2022—2024年）》"
GUANGXI_PLAN = "《广西促进脱贫人口持续增收三年行动方案（2022—2024年）》"
RONGAN_MONITORING = "《融安县2024年开展巩固拓展脱贫攻坚成果防贫帮扶提升行动实施方案》"
RONGAN_EMPLOYMENT = "《融安县2024年开展巩固拓展脱贫攻坚成果就业帮扶提升行动实施方案》"
DAXIANG_PLAN = "《大祥区脱贫人口持续增收三年行动方案（2023-2025年）》"
ZAOZHUANG_PLAN = "《关于开展十项增收帮扶行动的实施方案（2023—2025年）》"
DATA_QUALITY = "数据质量核查（本平台的数据清洗规则，不来自政策文件）"


@dataclass(frozen=True)
class Parameter:
    default: int | float
    meaning: str  # English, for the command line and docs
    label: str  # Chinese, for the page
    unit: str
    sources: tuple[str, ...]
    minimum: float = 0
    maximum: float = math.inf

    @property
    def kind(self) -> type:
        return type(self.default)


PARAMETERS: dict[str, Parameter] = {
    "p1_min_income": Parameter(10_000, "P1: annual per-capita net income below this is a key support target, yuan",
                               "重点帮扶对象的人均纯收入线（低于此线列为重点帮扶）", "元/人/年",
                               (LIUZHOU_PLAN, GUANGXI_PLAN), 1, 1_000_000),
    "p3_min_growth": Parameter(0.20, "P3: yearly income growth below this share is slow growth (003 §二: 20 %)",
                               "收入增速缓慢的界限（年增长低于此比例）", "（比例，0.2 即 20%）",
                               (DAXIANG_PLAN, GUANGXI_PLAN), 0, 10),
    "p4_min_months": Parameter(6, "P4: a labourer working fewer months than this in the year is flagged",
                               "务工不足的月数（全年务工少于此数）", "个月", (LIUZHOU_PLAN, GUANGXI_PLAN), 1, 12),
    "p7_helper_days": Parameter(5, "P7: a monitored household needs a helper within this many days of entering "
                                   "monitoring", "纳入监测后落实帮扶联系人的期限", "天", (RONGAN_MONITORING,), 1, 365),
    "p7_plan_days": Parameter(10, "P7: and a support plan within this many days", "纳入监测后制定帮扶计划的期限",
                              "天", (RONGAN_MONITORING,), 1, 365),
    "p8_min_months": Parameter(6, "P8: a risk marked eliminated sooner than this many months after entry is flagged",
                               "风险消除前至少监测的月数", "个月", (RONGAN_MONITORING,), 1, 60),
    "p10_days_back": Parameter(30, "P10: a returned labourer back longer than this many days needs employment "
                                   "support", "返乡回流劳动力回乡超过此天数须落实就业帮扶", "天",
                               (RONGAN_EMPLOYMENT,), 1, 365),
    "p11_same_months": Parameter(3, "P11: identical income figures this many months in a row look copied",
                                 "收入数字连续相同视为照抄的月数", "个月", (GUANGXI_PLAN, RONGAN_MONITORING), 2, 24),
    "p11_confirmed_months": Parameter(6, "P11: figures confirmed with the household as unchanged (body.unchanged) "
                                         "are flagged only when they stay the same more months in a row than this "
                                         "— a half-year of unchanged income asks for a fresh look (001 §32; 002 "
                                         "§二(四)3)", "经农户确认未变的收入，连续相同超过此月数仍须重新核实", "个月",
                                      (GUANGXI_PLAN, RONGAN_MONITORING), 2, 36),
    "i6_min_wage": Parameter(1_810, "I6: a monthly wage below this (the region's minimum wage) is implausible, yuan",
                             "月最低工资标准（月工资低于此数视为不合理）", "元/月", (RONGAN_EMPLOYMENT,), 1, 100_000),
    "posting_min_wage_day": Parameter(83, "Job postings: pay per day below this is held for a county decision, yuan",
                                      "岗位日薪下限（低于此数先待审核）", "元/天", (RONGAN_EMPLOYMENT,), 1, 10_000),
    "posting_min_wage_hour": Parameter(17, "Job postings: pay per hour below this is held for a county decision, "
                                           "yuan (per month: i6_min_wage)", "岗位时薪下限（小时最低工资标准）",
                                       "元/小时", (ZAOZHUANG_PLAN, RONGAN_EMPLOYMENT), 1, 1_000),
    "i6_max_wage": Parameter(50_000, "I6: a monthly wage above this is implausible, yuan",
                             "月工资上限（高于此数视为不合理）", "元/月", (DATA_QUALITY,), 1, 10_000_000),
    "i7_threshold": Parameter(3.5, "I7: modified z-score beyond which an income is an outlier in its village",
                              "收入离群的判定界限（修正 Z 分数）", "（无单位）", (DATA_QUALITY,), 1, 100),
    "i7_min_households": Parameter(8, "I7: villages with fewer households with income records are not judged",
                                   "参与离群判定的村至少应有的有收入记录的户数", "户", (DATA_QUALITY,), 3, 10_000),
    "x2_high_income": Parameter(15_000, "X2: a household on the 低保/特困 roster with annual per-capita net income at "
                                        "or above this is in the high class and is flagged, yuan",
                                "高收入档的人均纯收入线（低保、特困户达到此线须核查）", "元/人/年",
                                (ZAOZHUANG_PLAN,), 1, 1_000_000),
    # "251" employment support (DOMAIN.md §4: "the counts behind the name are a county setting"): per labourer in
    # a calendar year, so many career-guidance talks, posts recommended and trainings (hub/roster/support_ledger.py).
    "support_251_guidance": Parameter(2, "\"251\" support: career-guidance or policy talks per labourer a year",
                                      "“251”就业帮扶：每名劳动力每年至少开展的职业指导（政策宣传）次数", "次",
                                      (RONGAN_EMPLOYMENT,), 0, 100),
    "support_251_jobs": Parameter(5, "\"251\" support: posts recommended per labourer a year (postings recommended "
                                     "by stations or the hub, and those recorded in the ledger)",
                                  "“251”就业帮扶：每名劳动力每年至少推荐的岗位数", "个", (RONGAN_EMPLOYMENT,), 0, 100),
    "support_251_training": Parameter(1, "\"251\" support: trainings (or training offers) per labourer a year",
                                      "“251”就业帮扶：每名劳动力每年至少提供的技能培训次数", "次",
                                      (RONGAN_EMPLOYMENT,), 0, 100),
}


def parameters() -> dict[str, Any]:
    """The county's parameter values: the defaults, overridden by the ``cleaning_setting`` table."""
    values: dict[str, Any] = {name: parameter.default for name, parameter in PARAMETERS.items()}
    for setting in CleaningSetting.select():
        if setting.key in values:
            values[setting.key] = PARAMETERS[setting.key].kind(json.loads(setting.value))
    return values


def parse(name: str, value: str) -> int | float:
    """``value`` typed for parameter ``name``; a clear Chinese refusal for an unknown name or a bad value."""
    parameter = PARAMETERS.get(name)
    if parameter is None:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"没有参数“{name}”：fieldsync-hub rule-setting 列出全部参数。")
    text = value.strip().replace(",", "").replace("，", "")
    try:
        typed: int | float = float(text) if parameter.kind is float else int(text)
    except ValueError:
        kind = "数字（可带小数）" if parameter.kind is float else "整数"
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"“{parameter.label}”应填{kind}，不能是“{value}”。",
                             {"value": [f"请填{kind}。"]}) from None
    if not (parameter.minimum <= typed <= parameter.maximum and math.isfinite(typed)):
        span = f"{_plain(parameter.minimum)} 到 {_plain(parameter.maximum)}"
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"“{parameter.label}”应在 {span} {parameter.unit}之间，"
                             f"“{value}”不在此范围内。", {"value": [f"应在 {span} 之间。"]})
    return typed


def _plain(number: float) -> str:
    """1000000, not 1e+06; 0.5 as 0.5."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def set_parameter(name: str, value: str, *, actor: str, why: str) -> int | float:
    """Set one parameter (typed and range-checked by ``parse``), audited with before, after and why."""
    typed = parse(name, value)
    if not why.strip():
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, "请写明调整原因（例如依据的文件或会议）。",
                             {"why": ["请写明原因。"]})
    with write_transaction():
        audit.record(actor, "setting.change", f"setting:{name}", parameters()[name], typed, why.strip())
        (CleaningSetting.insert(key=name, value=json.dumps(typed))
         .on_conflict(conflict_target=[CleaningSetting.key], preserve=[CleaningSetting.value]).execute())
    return typed

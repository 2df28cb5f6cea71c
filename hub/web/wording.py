"""Every stored code in words on the hub's pages (issue 15): who did something, what they did, how a visit was
made, where a labourer works.  Registered as template filters; a page never prints a raw key, dict or English code
(tests/hub/web/test_wording.py walks every page as each role and fails on one)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g

from hub.accounts.users import ROLES
from hub.county.policy import source_name
from hub.store.models import AuditLog, CountyUser
from shared import free_text
from shared.errors import ErrorCode
from shared.schemas import ACK_STATUSES, VISIT_METHODS, place_labels
from shared.verification import ANSWERS

ACTIONS = {
    "access.denied": "被拒绝访问", "anomaly.answer": "答复了异常", "anomaly.reopen": "重新打开了异常",
    "anomaly.send_to_field": "派往村级核实", "anomaly.bulk_answer": "批量答复了异常",
    "interest.confirm": "确认了求职登记", "node.enrol": "站点登记", "node.quarantine": "隔离了站点",
    "node.release": "解除了站点隔离", "node.revoke": "停用了站点", "person.correct": "更正了人员信息",
    "audit.redact": "遮盖了旧审计记录中的个人信息",
    "person.reveal": "查看了完整身份证号码", "role.change": "更改了用户角色", "setting.change": "修改了规则设置",
    "spot_check.draw": "抽取了月度抽查样本", "task.answer": "答复了核实任务", "token.create": "创建了接口令牌",
    "token.revoke": "撤销了接口令牌", "user.create": "添加了用户", "user.disable": "停用了用户",
    "visit.correct": "更正了走访记录", "support.record": "登记了“251”就业帮扶",
    "handoff.full_ids": "导出了含完整证件号码的人社局名单",
}
ALARMS = {"BAD_SIGNATURE": "签名无效", "CHAIN_BROKEN": "记录链断裂", "NODE_REVOKED": "已停用的站点仍在同步",
          "RECORD_UNPROCESSABLE": "记录无法入库", "SEQUENCE_CONFLICT": "同一序号两条记录",
          "STATION_RECORD_FORGED": "转发的站点记录被改动或伪造", "COUNTY_FIGURES_DISAGREE": "上报数与站点记录不符"}
FIELDS = {"name": "姓名", "id_number": "身份证号码", "gender": "性别", "birth_date": "出生日期",
          "relation": "与户主关系", "labour_ability": "劳动技能", "student": "在校", "phone": "电话",
          "status": "人员状态", "household": "所在户编号"}


def _display_names() -> dict[str, str]:
    """Username -> display name, read once per request."""
    if "display_names" not in g:
        g.display_names = {u.username: u.display_name for u in CountyUser.select(CountyUser.username,
                                                                                  CountyUser.display_name)}
    return g.display_names


def actor_words(actor: str | None) -> str:
    """"user:tang" -> 唐某某; "node:东岭站/li" -> 村级站点 东岭站（li）; "cli" -> 县级管理员（命令行）."""
    if not actor:
        return ""
    kind, _, name = actor.partition(":")
    if kind == "user":
        return _display_names().get(name, name)
    if kind == "token":
        return f"接口令牌“{name}”"
    if kind == "node":
        station, _, author = name.partition("/")
        return f"村级站点 {station}" + (f"（{author}）" if author else "")
    return {"cli": "县级管理员（命令行）", "hub": "县级平台（自动）"}.get(actor, actor)


INCOME = {"wage": "工资性收入", "business": "经营性收入", "property": "财产性收入", "transfer": "转移性收入",
          "expenses": "生产经营支出"}
STATUS_WORDS = {"open": "待核实", "in_field": "已派村级核实", "answered": "已核实", "closed": "已消除"}


def _json(text: str | None) -> dict[str, Any]:
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def entry_words(entry: AuditLog) -> str:
    """An audit entry's "did what" in words: the action, and for the changes a page may show, what changed
    (field names of a person, never their values: the log keeps full ID numbers; income figures of a visit)."""
    said = ACTIONS.get(entry.action, "其他操作")
    before, after = _json(entry.before_json), _json(entry.after_json)
    if entry.action == "person.correct":
        changed = [FIELDS.get(key, "其他") for key in after if key != "person"]
        return f"{said}（{'、'.join(changed)}）" if changed else said
    if entry.action == "visit.correct":
        changed = [f"{INCOME.get(key, '其他')} {before.get(key)} → {value} 元" for key, value in after.items()
                   if key in INCOME and before.get(key) != value]
        return f"{said}：{'；'.join(changed)}" if changed else said
    if entry.action in ("anomaly.answer", "anomaly.bulk_answer") and after.get("answer"):
        return f"{said}：{ANSWERS.get(after['answer'], '')}"
    if entry.action == "anomaly.reopen":
        return f"{said}（{STATUS_WORDS.get(before.get('status', ''), '')} → {STATUS_WORDS['open']}）"
    if entry.action == "support.record" and after.get("action"):
        return f"{said}：{after.get('name', '')} {after['action']}（{after.get('date', '')}）"
    return said


def error_words(name: str | None) -> str:
    """A stored error code (ErrorCode name) as its Chinese message."""
    found = ErrorCode.__members__.get(name or "")
    return found.value[1] if found else "未知错误"


def place_words(code: str) -> str:
    """A work place in the county's words (REGION_WORD: 省外 or 区外)."""
    return place_labels(current_app.config["REGION_WORD"]).get(code, code)


def months_words(value: Any) -> str:
    return f"{value} 个月" if value not in (None, "") else ""


def init_app(app: Flask) -> None:
    filters: dict[str, Callable[..., Any]] = {
        "actor": actor_words, "action": lambda code: ACTIONS.get(code, "其他操作"),
        "method": lambda code: VISIT_METHODS.get(code, code or ""), "place": place_words,
        "ack": lambda code: ACK_STATUSES.get(code, code or ""), "alarm": lambda code: ALARMS.get(code, "其他报警"),
        "field": lambda name: FIELDS.get(name, name), "months": months_words, "source": source_name,
        "role": lambda code: ROLES.get(code, code), "did": entry_words,
        "error": error_words, "masked": lambda text: free_text.masked(text or ""),  # notes typed before the check
    }
    for name, function in filters.items():
        app.add_template_filter(function, name)

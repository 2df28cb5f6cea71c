"""The "251" employment-support ledger (台账) per labourer (issue 16; DOMAIN.md §4; 002 employment §二(一)1(2)).

"251" names a package of support actions each untransferred labourer receives in a year; the counts behind the
name are county settings (hub/county/parameters.py): ``support_251_guidance`` career-guidance or policy talks
(default 2), ``support_251_jobs`` posts recommended (default 5), ``support_251_training`` trainings or training
offers (default 1).  The ledger of a labourer for a year is:

- the postings recommended to them through fieldsync (a station's or the hub's signed recommendation record,
  table ``recommendation``), each distinct posting one ``job`` action;
- the actions a township or county user records on the hub (table ``support_action``, each audited):
  ``guidance``, ``training``, or a ``job`` recommended outside fieldsync's postings.

From it the monthly table fills its two "251" columns (``Ledger.columns``): 开展"251"帮扶是否有台账 is 是 when the
ledger holds any action of the year; 是否开展"251"就业帮扶 is 是 when every count of the year reaches its setting
(or the national system's roster column 是否开展"251"就业帮扶 already says 是, which the hub cannot check); 备注
shows the year's counts against the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from hub import audit
from hub.county.clock import utcnow
from hub.county.parameters import parameters
from hub.store.db import write_transaction
from hub.store.models import Person, Recommendation, SupportAction
from shared import free_text
from shared.errors import ErrorCode, FieldsyncError
from shared.rows import tuples
from shared.table_files import parse_date

ACTIONS = {"guidance": "职业指导（政策宣传）", "job": "岗位推荐", "training": "技能培训"}
SHORT_NAMES = {"guidance": "职业指导", "job": "岗位推荐", "training": "技能培训"}
UNITS = {"guidance": "次", "job": "个", "training": "次"}
SETTINGS = {"guidance": "support_251_guidance", "job": "support_251_jobs", "training": "support_251_training"}
NOTE_LIMIT = 200
EARLIEST = "2015-01-01"  # no 251 ledger is older than the poverty-alleviation campaign's employment work


def record_action(actor: str, person: Person, action: str, when: str, note: str, today: date) -> SupportAction:
    """Record one support action for ``person`` (the caller checked ``actor`` may act for the person's township),
    audited on the household with the action and its day; a clear Chinese refusal for bad input."""
    if action not in ACTIONS:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"帮扶事项应为：{'、'.join(ACTIONS.values())}。",
                             {"action": ["请选择帮扶事项。"]})
    try:
        day = parse_date(when, "帮扶日期")
    except ValueError as exc:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"{exc}，请写成 2026-10-12 的样子。",
                             {"action_date": ["日期无法识别。"]}) from None
    if not day or not EARLIEST <= day <= today.isoformat():
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"帮扶日期应在 {EARLIEST} 到今天（{today.isoformat()}）之间。",
                             {"action_date": ["请填写开展帮扶的日期。"]})
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"备注最多 {NOTE_LIMIT} 个字。", {"note": ["备注太长。"]})
    free_text.refuse_numbers("note", note)
    with write_transaction():
        entry = SupportAction.create(id_number=person.id_number, action=action, action_date=day, note=note,
                                     recorded_by=actor[:80], recorded_at=utcnow())
        audit.record(actor, "support.record", f"household:{person.household.number}", None,
                     {"person": person.id, "name": person.name, "action": ACTIONS[action], "date": day},
                     note or "“251”就业帮扶台账")
    return entry


def _year_span(period: str) -> tuple[str, str]:
    """The first day of ``period``'s year and the last possible day of its month (YYYY-MM-31 sorts after any)."""
    return f"{period[:4]}-01-01", f"{period}-31"


@dataclass
class Ledger:
    """The year's actions per labourer, up to the end of one month, and the county's settings."""

    counts: dict[str, dict[str, int]]  # id number -> action -> count
    settings: dict[str, int]  # action -> required count

    @classmethod
    def of_year(cls, period: str, params: dict[str, Any] | None = None) -> Ledger:
        """The ledger of ``period``'s calendar year up to the end of that month (YYYY-MM)."""
        first, last = _year_span(period)
        counts: dict[str, dict[str, int]] = {}
        recorded = (SupportAction.select(SupportAction.id_number, SupportAction.action)
                    .where(SupportAction.action_date.between(first, last)))
        for id_number, action in tuples(recorded):
            one = counts.setdefault(id_number, dict.fromkeys(ACTIONS, 0))
            one[action] = one.get(action, 0) + 1
        recommended = (Recommendation.select(Recommendation.id_number, Recommendation.posting_id)
                       .where(Recommendation.recommended_on.between(first, last)).distinct())
        for id_number, _posting in tuples(recommended):
            counts.setdefault(id_number, dict.fromkeys(ACTIONS, 0))["job"] += 1
        values = params or parameters()
        return cls(counts, {action: int(values[setting]) for action, setting in SETTINGS.items()})

    def of(self, id_number: str) -> dict[str, int]:
        return self.counts.get(id_number) or dict.fromkeys(ACTIONS, 0)

    def complete(self, id_number: str) -> bool:
        """Whether the year's actions reach every count the county set (and there is at least one)."""
        counts = self.of(id_number)
        return any(counts.values()) and all(counts[action] >= self.settings[action] for action in ACTIONS)

    def progress(self, id_number: str) -> str:
        """"251台账：职业指导 1/2 次，岗位推荐 3/5 个，技能培训 0/1 次", or "" without any action."""
        counts = self.of(id_number)
        if not any(counts.values()):
            return ""
        return "251台账：" + "，".join(f"{SHORT_NAMES[a]} {counts[a]}/{self.settings[a]} {UNITS[a]}" for a in ACTIONS)

    def columns(self, person: Person) -> tuple[str, str]:
        """(是否开展"251"就业帮扶, 开展"251"帮扶是否有台账) of the monthly table for ``person``."""
        held = any(self.of(person.id_number).values())
        return ("是" if self.complete(person.id_number) or person.support_251 else "否", "是" if held else "否")


def entries(id_number: str) -> list[SupportAction]:
    """The actions recorded on the hub for one labourer, newest first."""
    return list(SupportAction.select().where(SupportAction.id_number == id_number)
                .order_by(SupportAction.action_date.desc(), SupportAction.id.desc()))

"""The county's own view of its reporting upward (docs/upward.md), for its page: where it is enrolled, the last
push-ups and how they ended, what is staged and not yet sent, the records the city refused and why, the months
sent.  Reads only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from hub.store.models import UpwardLink, UpwardPush, UpwardRecord
from hub.upward.client import PENDING, REJECTED, SENT
from hub.upward.push import DONE, FAILED, REFUSED, WORKER
from shared.errors import ErrorCode
from shared.rows import tuples
from shared.upward import COUNTY_MONTH

KIND_NAMES = {"station_keys": "站点密钥声明", "station_record": "站点记录", "county_month": "月度汇总",
              "county_persons": "人员（密钥散列）"}
OUTCOMES = {DONE: "上报完成", REFUSED: "部分记录被拒收", FAILED: "未完成"}
ACTORS = {WORKER: "自动上报", "cli": "命令行"}
# What a failed push-up says on the page: the cause and what happens next, in the clerk's words.
FAILURES = {"CITY_UNREACHABLE": "连接不上市级平台；待上报内容已保存在本县，下一次上报（每小时自动一次）会续传。"}
RECENT_PUSHES = 10
REFUSED_SHOWN = 200


@dataclass(frozen=True)
class Push:
    started_at: datetime
    finished_at: datetime
    actor: str
    outcome: str
    why: str  # a failed push's cause, in Chinese ("" otherwise)
    sent: int
    duplicates: int
    rejected: int
    staged: int
    batches: int
    bytes_sent: int

    @property
    def failed(self) -> bool:
        return self.outcome != OUTCOMES[DONE]


@dataclass(frozen=True)
class Refused:
    seq: int
    kind: str
    reason: str  # Chinese: the city's code as its message, the station record it concerns


@dataclass(frozen=True)
class MonthSent:
    month: str
    signed_at: datetime  # when the newest figures of the month were staged (signed)
    versions: int  # how many times its figures were sent (a later cleaning run sends them again)


def link() -> UpwardLink | None:
    return UpwardLink.select().first()


def _failure(code: str | None) -> str:
    if not code:
        return ""
    return FAILURES.get(code) or (ErrorCode[code].default_message if code in ErrorCode.__members__ else "其他错误")


def pushes(limit: int = RECENT_PUSHES) -> list[Push]:
    """The latest push-ups, newest first."""
    query = UpwardPush.select().order_by(UpwardPush.id.desc()).limit(limit)
    return [Push(row.started_at, row.finished_at, ACTORS.get(row.actor, row.actor), OUTCOMES.get(row.outcome, ""),
                 _failure(row.code), row.sent, row.duplicates, row.rejected, row.staged, row.batches,
                 row.bytes_sent) for row in query]


def waiting() -> list[tuple[str, int]]:
    """What is staged and not yet sent, by kind (Chinese names)."""
    query = (UpwardRecord.select(UpwardRecord.kind, fn.COUNT(UpwardRecord.id)).where(UpwardRecord.status == PENDING)
             .group_by(UpwardRecord.kind).order_by(UpwardRecord.kind))
    return [(KIND_NAMES.get(kind, kind), count) for kind, count in tuples(query)]


def sent_count() -> int:
    return UpwardRecord.select().where(UpwardRecord.status == SENT, UpwardRecord.kind != "resumed").count()


def _reason(text: str | None) -> str:
    """A refusal as the page says it: the code's Chinese message, and which station record it was."""
    try:
        found = json.loads(text or "")
        code, details = ErrorCode[found["code"]], found.get("details") or {}
    except (ValueError, KeyError, TypeError):
        return "市级平台拒收（原因未记录）"
    station, seq = details.get("station"), details.get("seq")
    where = f"站点 {station} 的第 {seq} 条记录：" if type(station) is int and type(seq) is int else ""
    return where + code.default_message


def refused(limit: int = REFUSED_SHOWN) -> tuple[list[Refused], int]:
    """The records the city refused for good (newest first, at most ``limit``) and how many there are."""
    query = UpwardRecord.select(UpwardRecord.seq, UpwardRecord.kind, UpwardRecord.reason) \
        .where(UpwardRecord.status == REJECTED)
    rows = [Refused(seq, KIND_NAMES.get(kind, kind), _reason(reason))
            for seq, kind, reason in tuples(query.order_by(UpwardRecord.seq.desc()).limit(limit))]
    return rows, query.count()


def months_sent() -> list[MonthSent]:
    """The months whose figures the city holds, newest month first."""
    found: dict[str, MonthSent] = {}
    query = (UpwardRecord.select(UpwardRecord.content, UpwardRecord.created_at)
             .where(UpwardRecord.kind == COUNTY_MONTH, UpwardRecord.status == SENT).order_by(UpwardRecord.seq))
    for content, created_at in tuples(query):
        month = json.loads(bytes(content))["body"]["month"]
        held = found.get(month)
        found[month] = MonthSent(month, created_at, (held.versions if held else 0) + 1)
    return sorted(found.values(), key=lambda m: m.month, reverse=True)

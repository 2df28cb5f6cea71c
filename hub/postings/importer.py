"""Posting lists from enterprises (XLSX, XLS, ODS or CSV, Chinese or English headers; shared/table_files.py)
into signed hub postings.

Each row becomes one posting signed by the hub's key; a row that cannot become a posting is reported with its
row number and the reason, and the rest still import.  A row's posting id is derived from its employer, title,
place and valid-until, so importing the same list twice adds nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.postings import store
from hub.settings import import_limits
from shared.errors import FieldsyncError
from shared.postings import PAY_UNITS, POSTING_KINDS
from shared.table_files import RowError, TableKind, parse_date, read_rows

POSTING_COLUMNS = {
    "kind": "岗位类型", "employer": "用人单位", "title": "岗位名称", "township": "乡(镇)", "village": "村(安置点)",
    "place": "工作地点", "pay": "薪酬", "pay_unit": "薪酬单位", "headcount": "招聘人数", "period_start": "开始日期",
    "period_end": "结束日期", "requirements": "岗位要求", "contact_name": "联系人", "contact_phone": "联系电话",
    "valid_until": "有效期至",
}
REQUIRED = ("employer", "title", "place", "pay", "pay_unit", "contact_name", "contact_phone", "valid_until")
KIND_BY_LABEL = {**{key: key for key in POSTING_KINDS}, **{label: key for key, label in POSTING_KINDS.items()},
                 "企业": "enterprise", "零工": "gig", "季节工": "gig"}
UNIT_BY_LABEL = {**{key: key for key in PAY_UNITS}, **{label: key for key, label in PAY_UNITS.items()},
                 "元/月": "month", "元/日": "day", "元/天": "day", "天": "day", "元/小时": "hour", "时": "hour",
                 "计件": "piece", "元/件": "piece"}
DATE_FIELDS = ("period_start", "period_end", "valid_until")
POSTING_LIST = TableKind("岗位表")
_LONG_DIGIT_RUN = re.compile(r"\d{11,}")


@dataclass
class PostingImport:
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    held: int = 0
    errors: list[RowError] = field(default_factory=list)


def stable_posting_id(row: dict[str, str], valid_until: str) -> str:
    """Same posting, same id, however the sheet writes its date (``valid_until`` is the parsed ISO date: a list
    saved again with 2026/12/31 or as a date cell is not a new posting); never a run of digits that could be read
    as a phone number."""
    seed = "\x1f".join([*(row.get(key, "") for key in ("employer", "title", "place")), valid_until])
    for salt in range(100):
        candidate = hashlib.sha256(f"{salt}\x1f{seed}".encode()).hexdigest()[:32]
        if not _LONG_DIGIT_RUN.search(candidate):
            return candidate
    raise AssertionError("unreachable: no id without a long digit run")


def row_body(row: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
    """The posting body of a row, or the reason (Chinese) it cannot be one."""
    body: dict[str, Any] = {key: value for key, value in row.items() if value}
    body["kind"] = KIND_BY_LABEL.get(row.get("kind", "") or "enterprise")
    if body["kind"] is None:
        return None, f"岗位类型“{row['kind']}”不认识，应为：{'、'.join(POSTING_KINDS.values())}。"
    body["pay_unit"] = UNIT_BY_LABEL.get(row.get("pay_unit", ""))
    if body["pay_unit"] is None:
        return None, f"薪酬单位“{row.get('pay_unit', '')}”不认识，应为：月、日、小时或件。"
    for key in ("pay", "headcount"):
        text = row.get(key, "").replace(",", "")
        if key == "headcount" and not text:
            text = "1"
        if not text.isdigit():
            return None, f"{POSTING_COLUMNS[key]}应为整数（元或人数），现在是“{row.get(key, '')}”。"
        body[key] = int(text)
    for key in DATE_FIELDS:
        if row.get(key):
            try:
                body[key] = parse_date(row[key], POSTING_COLUMNS[key])
            except ValueError as exc:
                return None, f"{exc}。"
    body["posting_id"] = stable_posting_id(row, body.get("valid_until") or "")
    return body, None


Sign = Callable[[str, dict[str, Any]], bytes]


def import_postings(path: Path, sign: Sign,
                    progress: Callable[[int, int], None] = lambda done, total: None) -> PostingImport:
    """Publish a posting per row with ``sign(kind, body)`` (the hub's own signer, hub/sync/own_records.py: a
    posting is a signed record like any other, stored through the one ingest path); ``progress(done, total)``
    after each row (a list of thousands takes minutes)."""
    report = PostingImport()
    rows = read_rows(Path(path), POSTING_COLUMNS, REQUIRED, POSTING_LIST, import_limits())
    for table_row in rows:
        number, row = table_row.number, table_row.values
        report.rows += 1
        progress(report.rows, len(rows))
        body, problem = row_body(row)
        if body is None:
            report.errors.append(RowError(number, problem or ""))
            continue
        if store.find_current(body["posting_id"]) is not None:
            report.unchanged += 1
            continue
        try:
            sign("posting", body)
        except FieldsyncError as error:
            fields = error.details.get("fields", {})
            reasons = "；".join(f"{POSTING_COLUMNS.get(k, k)}：{'、'.join(map(str, v))}" for k, v in fields.items())
            report.errors.append(RowError(number, reasons or error.message))
            continue
        report.created += 1
        signed = store.find_current(body["posting_id"])
        assert signed is not None  # signing a posting projects it in the same call
        report.held += bool(signed.held)
    return report

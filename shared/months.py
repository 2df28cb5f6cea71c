"""Month arithmetic, defined once: months are written YYYY-MM everywhere (records, periods, pages, cursors).

A month is counted as ``year * 12 + (number - 1)``, so stepping across a year boundary is plain integer
arithmetic.  Functions taking a month expect a valid one (see ``parse_month``); ``check_month`` turns a month a
person typed into a FieldsyncError with a Chinese message.
"""

from __future__ import annotations

import re
from datetime import date

from shared.errors import ErrorCode, FieldsyncError

MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def parse_month(text: str) -> tuple[int, int]:
    """(year, month number 1-12) of a YYYY-MM month; ValueError when ``text`` is not one."""
    if not isinstance(text, str) or not MONTH.fullmatch(text) or text.startswith("0000"):
        raise ValueError(f"not a YYYY-MM month: {text!r}")
    return int(text[:4]), int(text[5:])


def is_month(text: str) -> bool:
    try:
        parse_month(text)
    except ValueError:
        return False
    return True


def check_month(text: str) -> str:
    """``text`` when it is a YYYY-MM month; a FieldsyncError (INVALID_FIELDS) saying how to write one otherwise."""
    if not is_month(text):
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, f"月份“{text}”格式不对，请写成 2026-10。")
    return text


def _index(month: str) -> int:
    year, number = parse_month(month)
    return year * 12 + number - 1


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: date) -> str:
    """The month ``day`` falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def add_months(month: str, count: int) -> str:
    """The month ``count`` months after ``month`` (before it when ``count`` is negative)."""
    return _month(_index(month) + count)


def previous_month(month: str) -> str:
    return add_months(month, -1)


def next_month(month: str) -> str:
    return add_months(month, 1)


def month_span(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included, oldest first (empty when ``last`` is earlier)."""
    return [_month(index) for index in range(_index(first), _index(last) + 1)]


def months_back(month: str, count: int) -> list[str]:
    """The ``count`` months ending with ``month``, oldest first."""
    return month_span(add_months(month, 1 - count), month) if count > 0 else []


def quarter_of(month: str) -> int:
    """The quarter (1-4) of the year ``month`` is in."""
    return (parse_month(month)[1] - 1) // 3 + 1


def quarter_start(month: str) -> str:
    """The first month of the quarter ``month`` is in."""
    year, number = parse_month(month)
    return f"{year:04d}-{number - (number - 1) % 3:02d}"

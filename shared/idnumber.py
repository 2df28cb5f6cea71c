"""Citizen ID numbers (居民身份证号码, GB 11643-1999) and how they are shown.

An 18-character number: 6-digit region, YYYYMMDD birth date, 3-digit sequence (odd male, even female),
and an ISO 7064 MOD 11-2 check character.  DOMAIN.md §6 rule I1 and §9 (masking).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)


def check_character(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class IdProblem:
    """Why an ID number is not valid: a stable code and a Chinese message a clerk can act on."""

    code: str
    message: str


def normalise(raw: str | None) -> str:
    """Trim spaces and upper-case a trailing x, as clerks type it."""
    return (raw or "").strip().replace(" ", "").upper()


def looks_like_excel_number(raw: str) -> bool:
    """An 18-digit number typed into a numeric spreadsheet cell loses its last digits (4.50224E+17)."""
    return bool(_SCIENTIFIC.match(normalise(raw)))


def problem(id_number: str) -> IdProblem | None:
    """Return why ``id_number`` is invalid, or None when it is a valid 18-character citizen ID number."""
    value = normalise(id_number)
    if looks_like_excel_number(value):
        return IdProblem(
            "excel_number",
            "身份证号码被表格软件转成了科学计数法，后几位已丢失，无法恢复：请把该列设为文本格式后重新录入。",
        )
    if not _SHAPE.match(value):
        return IdProblem("shape", "身份证号码应为18位：前17位是数字，最后一位是数字或X。")
    if birth_date(value) is None:
        return IdProblem("birth_date", "身份证号码中的出生日期不是有效日期。")
    if check_character(value[:17]) != value[17]:
        return IdProblem("check_digit", "身份证号码校验位不对，可能有数字录错，请核对证件。")
    return None


def birth_date(id_number: str) -> date | None:
    """The birth date encoded in positions 7–14, or None when it is not a real date."""
    value = normalise(id_number)
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def gender(id_number: str) -> str:
    """男 for an odd sequence number, 女 for an even one."""
    return "男" if int(normalise(id_number)[16]) % 2 == 1 else "女"


def mask(id_number: str | None) -> str:
    """Show the first 6 and last 4 characters only (DOMAIN.md §9)."""
    value = normalise(id_number)
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(phone: str | None) -> str:
    """A phone number as lists show it: the first 3 and last 4 digits (DOMAIN.md §9)."""
    value = (phone or "").strip()
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)


def age(birth: str | date | None, on: date) -> int | None:
    """Whole years from ``birth`` (a date or YYYY-MM-DD) to ``on``: what is shown beside a masked number, since
    the birth date would undo the mask (DOMAIN.md §9).  None when the birth date is unknown or unreadable."""
    if not birth:
        return None
    try:
        born = birth if isinstance(birth, date) else date.fromisoformat(str(birth)[:10])
    except ValueError:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

"""ID numbers and mobile numbers typed into free text (a visit's note, a remark, a correction's reason).

A note travels everywhere a record goes: the station's card, the hub's tables, pages, exports.  A citizen ID
number or a phone typed into one escapes every mask (DOMAIN.md §9), so forms refuse such a note (:func:`problem`,
a Chinese message saying what to do) and pages and exports show old notes through :func:`masked`.

What counts, with no letter or digit right before or after it (so a 64-character hash or a longer number is not
taken for one): an 18-character ID number whose check character is right (GB 11643: 17 digits and a digit or
X), a 15-digit ID number of the old form whose YYMMDD is a real date, and a mobile number 1[3-9] plus 9 digits,
also written in groups 3-4-4 with a space or a hyphen.  Full-width digits (１３８…) count as digits.

The phone's offline form runs the same check in JavaScript: ``field_node/web/static/phone_checks.js``
(``numbersInText``), tested against this module in Chromium (tests/e2e/test_free_text_browser.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from shared import idnumber
from shared.errors import ErrorCode, FieldsyncError

ID_NUMBER, MOBILE = "id_number", "mobile"

# Full-width digits and X as their ASCII forms: one character for one, so positions stay where they were.
_WIDE = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_EDGE_BEFORE, _EDGE_AFTER = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
_ID18 = re.compile(_EDGE_BEFORE + r"\d{17}[0-9Xx]" + _EDGE_AFTER, re.ASCII)
_ID15 = re.compile(_EDGE_BEFORE + r"\d{15}" + _EDGE_AFTER, re.ASCII)
_MOBILE = re.compile(_EDGE_BEFORE + r"1[3-9]\d(?:\d{8}|([ -])\d{4}\1\d{4})" + _EDGE_AFTER, re.ASCII)

MESSAGES = {
    ID_NUMBER: "这里不能写身份证号码：备注会同步到县里，出现在页面和报表上。请删去号码后再保存"
               "（成员的证件号码在“家庭变化”或户信息里登记）。",
    MOBILE: "这里不能写手机号码：备注会同步到县里，出现在页面和报表上。请删去号码后再保存"
            "（联系电话在户信息里登记）。",
}


@dataclass(frozen=True)
class Found:
    """One number in a text: what it is and where (``text[start:end]``)."""

    kind: str  # ID_NUMBER or MOBILE
    start: int
    end: int


def _valid_15(digits: str) -> bool:
    try:
        date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    except ValueError:
        return False
    return True


def find(text: str | None) -> list[Found]:
    """Every ID number and mobile number in ``text``, in order of position."""
    if not text:
        return []
    plain = text.translate(_WIDE)
    found: list[Found] = []
    for match in _ID18.finditer(plain):
        value = match.group().upper()
        if idnumber.check_character(value[:17]) == value[17]:
            found.append(Found(ID_NUMBER, match.start(), match.end()))
    found += [Found(ID_NUMBER, m.start(), m.end()) for m in _ID15.finditer(plain) if _valid_15(m.group())]
    found += [Found(MOBILE, m.start(), m.end()) for m in _MOBILE.finditer(plain)]
    return sorted(found, key=lambda item: item.start)


def problem(text: str | None) -> str | None:
    """The Chinese message for a text that holds an ID number (first) or a mobile number; None when clean."""
    kinds = {item.kind for item in find(text)}
    for kind in (ID_NUMBER, MOBILE):
        if kind in kinds:
            return MESSAGES[kind]
    return None


def masked(text: str) -> str:
    """``text`` with every number :func:`find` finds masked as lists mask them: an ID number's first 6 and last 4
    characters, a phone's first 3 and last 4 digits (DOMAIN.md §9)."""
    if not isinstance(text, str):
        return text
    found = find(text)
    if not found:
        return text
    pieces, last = [], 0
    for item in found:
        value = text[item.start:item.end]
        keep_first = 6 if item.kind == ID_NUMBER else 3
        pieces.append(text[last:item.start])
        pieces.append(value[:keep_first] + "*" * (len(value) - keep_first - 4) + value[-4:])
        last = item.end
    pieces.append(text[last:])
    return "".join(pieces)


def refuse_numbers(field_name: str, text: str | None) -> None:
    """Raise INVALID_FIELDS (the message names the field's problem, never the number) when ``text`` holds an ID
    number or a mobile number: what a form of the hub calls before it stores a note or a reason."""
    message = problem(text)
    if message:
        raise FieldsyncError(ErrorCode.INVALID_FIELDS, message, {field_name: [message]})

"""ID and mobile numbers typed into free text (shared/free_text.py): found, refused with a message that says what
to do, masked as lists mask them; hashes, amounts and longer numbers are left alone."""

from __future__ import annotations

import pytest

from shared import free_text
from shared.errors import ErrorCode, FieldsyncError
from shared.idnumber import check_character

ID18 = "45022619800301123" + check_character("45022619800301123")
WRONG_CHECK = ID18[:17] + ("0" if ID18[17] != "0" else "1")
ID_X = "45022619800301100X"  # its check character is X
ID15 = "450226800301123"  # the old form: YYMMDD 800301

# (text, the kinds found in it): what the phone's JavaScript must find alike (tests/e2e/test_free_text_browser.py).
SAMPLES = [
    (f"户主身份证{ID18}，已核对", [free_text.ID_NUMBER]),
    (f"号码 {ID_X[:17]}x", [free_text.ID_NUMBER]),  # a lower-case x as typed
    (f"号码 {ID18[:17]}x", []),  # an X that is not the check character
    (f"旧证{ID15}", [free_text.ID_NUMBER]),
    ("旧证450226801301123", []),  # month 13: no date, no old ID number
    (f"校验位错的{WRONG_CHECK}", []),
    ("电话13812345678", [free_text.MOBILE]),
    ("电话 138 1234 5678 或 139-1234-5678", [free_text.MOBILE, free_text.MOBILE]),
    ("电话 138 1234-5678", []),  # mixed separators: not one number
    ("电话１３８１２３４５６７８", [free_text.MOBILE]),  # full-width digits
    ("收入12000元，支出3000元", []),
    ("座机0772-1234567", []),
    ("12812345678 与 23812345678", []),  # 12x, not a mobile; 11 digits not starting with 1
    ("订单138123456789", []),  # 12 digits: no mobile inside a longer number
    ("hash a13812345678b and 0f13812345678", []),  # letters around it: part of a code
    (f"{ID18}/13912345678", [free_text.ID_NUMBER, free_text.MOBILE]),
    ("", []),
]


@pytest.mark.parametrize(("text", "kinds"), SAMPLES)
def test_numbers_in_free_text_are_found(text, kinds):
    assert [found.kind for found in free_text.find(text)] == kinds


def test_a_note_with_a_number_is_refused_with_a_message_saying_what_to_do():
    assert free_text.problem("户主腰伤，已住院") is None
    assert "不能写身份证号码" in free_text.problem(f"身份证 {ID18}") and "删去" in free_text.problem(f"x {ID18}")
    assert "不能写手机号码" in free_text.problem("电话13812345678")
    assert "身份证" in free_text.problem(f"13812345678 {ID18}")  # the ID number is named first
    with pytest.raises(FieldsyncError) as refused:
        free_text.refuse_numbers("note", "打13812345678")
    assert refused.value.code is ErrorCode.INVALID_FIELDS and "13812345678" not in str(refused.value.to_dict())
    assert list(refused.value.details) == ["note"]


def test_old_notes_are_masked_as_lists_mask_numbers():
    assert free_text.masked(f"户主{ID18}，电话13812345678。") == f"户主{ID18[:6]}********{ID18[-4:]}，电话138****5678。"
    assert free_text.masked("电话 138 1234 5678") == "电话 138******5678"
    assert free_text.masked("户主腰伤") == "户主腰伤" and free_text.masked("") == ""
    assert free_text.find(free_text.masked(f"{ID18} 13812345678")) == []

"""Month arithmetic (shared/months.py), across year boundaries."""

from datetime import date

import pytest

from shared.errors import ErrorCode, FieldsyncError
from shared.months import (
    add_months,
    check_month,
    is_month,
    month_of,
    month_span,
    months_back,
    next_month,
    parse_month,
    previous_month,
    quarter_of,
    quarter_start,
)


def test_parse_reads_a_month_and_refuses_anything_else():
    assert parse_month("2026-01") == (2026, 1)
    assert parse_month("2025-12") == (2025, 12)
    for text in ("2026-13", "2026-00", "2026-1", "26-01", "2026/01", "2026-01-05", "２０２６-01", "0000-01", "", None):
        assert not is_month(text)
        with pytest.raises(ValueError):
            parse_month(text)


def test_check_month_gives_a_chinese_message_naming_the_text():
    assert check_month("2026-10") == "2026-10"
    with pytest.raises(FieldsyncError) as caught:
        check_month("2026-1")
    assert caught.value.code is ErrorCode.INVALID_FIELDS
    assert "2026-1" in caught.value.message and "2026-10" in caught.value.message


def test_previous_and_next_cross_the_year():
    assert previous_month("2026-01") == "2025-12"
    assert previous_month("2026-10") == "2026-09"
    assert next_month("2025-12") == "2026-01"
    assert next_month("2026-09") == "2026-10"


def test_add_months_either_way():
    assert add_months("2026-10", 0) == "2026-10"
    assert add_months("2026-10", 3) == "2027-01"
    assert add_months("2026-10", -10) == "2025-12"
    assert add_months("2026-10", -22) == "2024-12"
    assert add_months("2026-10", 27) == "2029-01"


def test_span_and_back_are_inclusive_and_oldest_first():
    assert month_span("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_span("2026-02", "2026-02") == ["2026-02"]
    assert month_span("2026-03", "2026-02") == []
    assert months_back("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert months_back("2026-10", 12)[0] == "2025-11"
    assert months_back("2026-10", 0) == []


def test_quarters():
    assert [quarter_of(f"2026-{n:02d}") for n in range(1, 13)] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert [quarter_start(m) for m in ("2026-01", "2026-03", "2026-04", "2026-09", "2026-12")] == \
        ["2026-01", "2026-01", "2026-04", "2026-07", "2026-10"]


def test_month_of_a_date():
    assert month_of(date(2026, 1, 31)) == "2026-01"
    assert month_of(date(999, 12, 1)) == "0999-12"

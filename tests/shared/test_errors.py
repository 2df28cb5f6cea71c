"""The one error enum (shared/errors.py): codes that cannot merge or move, and the one field-error join."""

from enum import Enum, unique

import pytest

from shared.errors import ErrorCode, field_messages, joined_messages

# The codes in the order stations in the field know them: a code's number is its position (1-based).  New codes
# are appended after these; none is removed, renamed or moved.
KNOWN = (
    "BAD_REQUEST", "INVALID_FIELDS", "BAD_BATCH", "PAYLOAD_TOO_LARGE", "NOT_FOUND", "METHOD_NOT_ALLOWED",
    "UNSUPPORTED_VERSION", "INTERNAL", "SCHEMA_OUTDATED", "TOO_MANY_REQUESTS", "UNAUTHENTICATED", "UNKNOWN_NODE",
    "NODE_REVOKED", "REPLAYED_REQUEST", "ENROLMENT_CODE_INVALID", "ALREADY_ENROLLED", "FORBIDDEN",
    "NODE_QUARANTINED", "BAD_SIGNATURE", "WRONG_NODE", "SEQUENCE_CONFLICT", "CHAIN_BROKEN", "RECORD_INVALID",
    "HOUSEHOLD_NOT_ASSIGNED", "UNKNOWN_KIND", "ROSTER_UNREADABLE", "ROSTER_ROW_INVALID", "HUB_UNREACHABLE",
    "NOT_ENROLLED", "NOT_FOUND_LOCAL", "POSTING_OUTSIDE_SCOPE", "PERSON_NOT_ASSIGNED", "SEQ_OUT_OF_RANGE",
    "RECORD_UNPROCESSABLE", "TABLE_UNREADABLE", "TABLE_TOO_LARGE",
    # issue 13
    "DATABASE_URL_UNSUPPORTED", "SYNC_BUSY", "NODE_NAME_TAKEN", "CLEANING_BUSY",
    "FORM_EXPIRED", "CSR_INVALID", "CERTIFICATE_FAILED", "OFFLINE_SESSION_INVALID",
    # issue 17
    "STATION_RECORD_FORGED", "WRONG_SIGNER_LEVEL", "NOT_ENROLLED_UP", "CITY_UNREACHABLE",
    "COUNTY_FIGURES_DISAGREE", "COUNTY_RECORD_FORGED",
    # redacting old audit entries
    "AUDIT_CHAIN_BROKEN",
)


def aliases(enum: type[Enum]) -> list[str]:
    """Names Enum quietly made aliases of an earlier member because their values — here (status, message) — are
    equal: such a name is no code of its own, and every code after it would move up one number."""
    return [name for name, member in enum.__members__.items() if member.name != name]


def numbers(enum: type[Enum]) -> dict[str, int]:
    return {name: list(enum).index(member) + 1 for name, member in enum.__members__.items()}


def test_every_code_has_its_own_name_number_and_status_with_message():
    assert aliases(ErrorCode) == []
    assert len(set(numbers(ErrorCode).values())) == len(ErrorCode.__members__) == len(ErrorCode)
    assert len({code.value for code in ErrorCode}) == len(ErrorCode)
    assert all(isinstance(code.http_status, int) and code.default_message for code in ErrorCode)


def test_the_codes_keep_their_numbers_and_new_ones_come_last():
    names = [code.name for code in ErrorCode]
    assert names[:len(KNOWN)] == list(KNOWN), "a code was moved, renamed or removed: append new codes at the end"
    assert len(names) == len(KNOWN), "a new code: append its name to KNOWN as well"


def test_two_codes_with_one_status_and_message_are_caught():
    class Merged(Enum):
        FIRST = (400, "同一条消息")
        SECOND = (400, "同一条消息")
        THIRD = (409, "另一条消息")

    assert aliases(Merged) == ["SECOND"]
    assert numbers(Merged) == {"FIRST": 1, "SECOND": 1, "THIRD": 2}
    with pytest.raises(ValueError, match="SECOND"):
        unique(Merged)  # and ErrorCode is @unique: such an enum does not even import


def test_field_messages_join_each_fields_messages():
    assert field_messages({"name": ["太长", "不能为空"], "phone": "格式不对", "n": [3]}) == \
        {"name": "太长；不能为空", "phone": "格式不对", "n": "3"}
    assert joined_messages([]) == "" and field_messages({}) == {}

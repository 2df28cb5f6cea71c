"""Schemas for job postings and for the interest a job-seeker registers in one (DOMAIN.md §5, issue 5).

A posting is a signed record like a visit, made at the hub (county staff) or at a field node (the station).  An
update is a new posting record with the same ``posting_id`` that names the hash of the record it ``replaces``.
Pay is integer yuan per ``pay_unit``; whether it is below the county's minimum wage is decided by
``below_minimum_wage`` against a county setting, and such a posting is held for a county decision, not refused here.

Nothing in these schemas goes into a QR code or onto the public page except what is about the job itself: the
``posting_id`` is a random client-generated id, never derived from a person (DOMAIN.md §9).
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from shared.schemas import DATE_SHAPE, HASH_SHAPE, ID_NUMBER_SHAPE, StrictSchema, Text, Yuan, listing, nested
from shared.sealing import PERSON_KEY_SHAPE, SEALED_SHAPE

POSTING_KINDS = {
    "enterprise": "企业岗位",
    "gig": "零工/季节工",
    "public_welfare": "公益性岗位",
    "workshop": "就业帮扶车间",
    "work_relief": "以工代赈",
    "internship": "就业见习",
}
PAY_UNITS = {"month": "月", "day": "日", "hour": "小时", "piece": "件"}
POSTING_STATUSES = {"open": "招聘中", "filled": "已招满", "withdrawn": "已撤下"}
INTEREST_CHANNELS = {"node": "站点", "hub": "手机"}

POSTING_ID_SHAPE = r"^[0-9a-f]{32}$"  # e.g. uuid4().hex: random, made where the posting is first written
MOBILE_SHAPE = r"^1[3-9]\d{9}$"  # DOMAIN.md I9
LANDLINE_SHAPE = r"^0\d{2,3}-?\d{7,8}$"  # area code and number, e.g. 0772-1234567
CONTACT_PHONE_SHAPE = f"(?:{MOBILE_SHAPE})|(?:{LANDLINE_SHAPE})"

# An id with 11 digits in a row could be read off a poster as a phone number: new ids never have one.
_LONG_DIGIT_RUN = re.compile(r"\d{11,}")

MOBILE_MESSAGE = "手机号码应为11位数字，以13至19开头。"
CONTACT_PHONE_MESSAGE = "联系电话应为11位手机号码，或带区号的固定电话（如 0772-1234567）。"
ID_NUMBER_MESSAGE = "身份证号码应为18位：前17位是数字，最后一位是数字或X。"
DATE_MESSAGE = "日期格式应为 年-月-日，如 2026-10-01。"


def new_posting_id() -> str:
    """A random posting id (32 hex characters) with no run of 11 or more digits."""
    while True:
        posting_id = uuid.uuid4().hex
        if not _LONG_DIGIT_RUN.search(posting_id):
            return posting_id


def _date(**kwargs: Any) -> Text:
    return Text(pattern=DATE_SHAPE, error_messages={"pattern": DATE_MESSAGE}, **kwargs)


def _real_date_errors(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, list[str]]:
    errors = {}
    for name in names:
        if name in data:
            try:
                date.fromisoformat(data[name])
            except ValueError:
                errors[name] = ["不是有效的日期。"]
    return errors


class PostingSchema(StrictSchema):
    """A job posting: who hires, for what, where, for how much, until when (DOMAIN.md §5)."""

    kind = Text(required=True, choices=POSTING_KINDS)
    posting_id = Text(required=True, pattern=POSTING_ID_SHAPE,
                      metadata={"description": "random id (32 hex characters) shared by every version of a posting"})
    employer = Text(required=True, max_length=100, metadata={"description": "用人单位"})
    title = Text(required=True, max_length=100, metadata={"description": "岗位名称"})
    township = Text(max_length=20, metadata={"description": "乡(镇) the posting belongs to, when local"})
    village = Text(max_length=50, metadata={"description": "村(安置点), for a village gig point"})
    place = Text(required=True, max_length=100, metadata={"description": "工作地点, as people say it"})
    pay = Yuan(required=True, metadata={"description": "pay in yuan per pay_unit"})
    pay_unit = Text(required=True, choices=PAY_UNITS)
    headcount = Yuan(low=1, high=10_000, required=True, metadata={"description": "招聘人数"})
    period_start = _date(metadata={"description": "first day of work, for seasonal work, YYYY-MM-DD"})
    period_end = _date(metadata={"description": "last day of work, for seasonal work, YYYY-MM-DD"})
    requirements = Text(max_length=500, metadata={"description": "岗位要求"})
    contact_name = Text(required=True, max_length=50)
    contact_phone = Text(required=True, pattern=CONTACT_PHONE_SHAPE, error_messages={"pattern": CONTACT_PHONE_MESSAGE})
    valid_until = _date(required=True, metadata={"description": "the posting closes after this day, YYYY-MM-DD"})
    status = Text(choices=POSTING_STATUSES, load_default="open")
    replaces = Text(pattern=HASH_SHAPE, metadata={"description": "hash of the posting record this one updates"})

    FAST_CHECKS = ("dates_are_real",)

    @validates_schema
    def dates_are_real(self, data: dict[str, Any], **_: Any) -> None:
        errors = _real_date_errors(data, ("valid_until", "period_start", "period_end"))
        if errors:
            raise ValidationError(errors)
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            raise ValidationError("结束日期不能早于开始日期。", field_name="period_end")


class _DatedSchema(StrictSchema):
    """A schema whose ``date`` must be a real day (the pattern alone lets 2026-02-31 through)."""

    FAST_CHECKS = ("date_is_real",)

    @validates_schema
    def date_is_real(self, data: dict[str, Any], **_: Any) -> None:
        errors = _real_date_errors(data, ("date",))
        if errors:
            raise ValidationError(errors)


class InterestSchema(_DatedSchema):
    """A job-seeker's "我想报名" for one posting, taken at the station or on their own phone, with the phone and
    ID number in plain text: record formats 1 and 2 (stations not yet upgraded), the hub's own records, and the
    form as a job-seeker fills it in."""

    posting_id = Text(required=True, pattern=POSTING_ID_SHAPE)
    name = Text(required=True, max_length=50)
    phone = Text(required=True, pattern=MOBILE_SHAPE, error_messages={"pattern": MOBILE_MESSAGE})
    village = Text(required=True, max_length=50)
    id_number = Text(pattern=ID_NUMBER_SHAPE, error_messages={"pattern": ID_NUMBER_MESSAGE})
    date = _date(required=True, metadata={"description": "the day interest was registered, YYYY-MM-DD"})
    channel = Text(required=True, choices=INTEREST_CHANNELS)


class SealedInterestSchema(_DatedSchema):
    """Record format 3: the interest as a station signs and keeps it, the phone and any ID number sealed to the
    hub's key (field_node/outbox/privacy.py), so a stolen station card holds neither."""

    posting_id = Text(required=True, pattern=POSTING_ID_SHAPE)
    name = Text(required=True, max_length=50)
    phone_sealed = Text(required=True, pattern=SEALED_SHAPE,
                        metadata={"description": "the job-seeker's mobile number, sealed to the hub's key"})
    village = Text(required=True, max_length=50)
    id_sealed = Text(pattern=SEALED_SHAPE, metadata={"description": "the ID number when given, sealed to the hub"})
    date = _date(required=True, metadata={"description": "the day interest was registered, YYYY-MM-DD"})
    channel = Text(required=True, choices=INTEREST_CHANNELS)


def below_minimum_wage(pay: int, unit: str, minimums: dict[str, int]) -> bool:
    """Whether ``pay`` per ``unit`` is below the county's minimum for that unit (DOMAIN.md §5).

    ``minimums`` maps a pay unit (month, day, hour) to the least pay in yuan.  Piece rates, and units the county
    set no minimum for, cannot be judged from the posting alone, so they are not flagged.
    """
    minimum = minimums.get(unit)
    return minimum is not None and pay < minimum


STATUS_LABELS = {**POSTING_STATUSES, "expired": "已过期"}


def display_status(posting: dict[str, Any], today: date) -> str:
    """open, filled, withdrawn — or expired once valid-until has passed (an old poster never misleads)."""
    if posting["status"] == "open" and posting["valid_until"] < today.isoformat():
        return "expired"
    return posting["status"]


class PostingDocumentSchema(StrictSchema):
    """A current posting as the hub sends it to a station (the signed fields a job-seeker may see, and more)."""

    posting_id = Text(required=True, pattern=POSTING_ID_SHAPE)
    kind = Text(required=True, choices=POSTING_KINDS)
    employer = Text(required=True)
    title = Text(required=True)
    township = Text(allow_none=True)
    village = Text(allow_none=True)
    place = Text(required=True)
    pay = Yuan(required=True)
    pay_unit = Text(required=True, choices=PAY_UNITS)
    headcount = Yuan(required=True, low=1, high=10_000)
    period_start = Text(allow_none=True)
    period_end = Text(allow_none=True)
    requirements = Text(allow_none=True)
    contact_name = Text(required=True)
    contact_phone = Text(required=True)
    valid_until = Text(required=True)
    status = Text(required=True, choices=POSTING_STATUSES)
    published = fields.Boolean(required=True, metadata={"description": "false: the station drops the posting"})
    source = Text(required=True, metadata={"description": "who posted it: a station's name or 县级平台"})
    group = Text(required=True, metadata={"description": "posting_id standing for the same job posted elsewhere"})


class PostingPageSchema(StrictSchema):
    postings = listing(nested(PostingDocumentSchema), required=True)
    minimum_wages = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                                metadata={"description": "the county's minimum pay per unit (month, day, hour)"})
    cursor = fields.Integer(required=True)
    more = fields.Boolean(required=True)


class RecommendationSchema(_DatedSchema):
    """A posting recommended to a roster labourer at the station or by the county (DOMAIN.md §4, 001 §8): it
    counts toward the three-per-labourer aim and goes into the labourer's employment-support ledger."""

    posting_id = Text(required=True, pattern=POSTING_ID_SHAPE)
    person = Text(required=True, pattern=PERSON_KEY_SHAPE,
                  metadata={"description": "the labourer's person key from the roster pull (never the ID number)"})
    household = Text(required=True, max_length=40, metadata={"description": "户编号 of the labourer"})
    date = _date(required=True, metadata={"description": "the day the posting was recommended, YYYY-MM-DD"})
    note = Text(max_length=200)


class RecommendationSchemaV1(RecommendationSchema):
    """Record format 1: the labourer by citizen ID number (still accepted)."""

    person = Text(required=True, pattern=ID_NUMBER_SHAPE, error_messages={"pattern": ID_NUMBER_MESSAGE},
                  metadata={"description": "the labourer's citizen ID number (roster key)"})


def posting_form_body(form: Any, fields: tuple[str, ...]) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """A posting form as typed: (the values to show again, the body so far, errors of whole-number fields).
    The schema checks the rest when the body is signed."""
    values = {key: form.get(key, "").strip() for key in fields}
    body: dict[str, Any] = {key: value for key, value in values.items() if value}
    errors: dict[str, str] = {}
    for key in ("pay", "headcount"):
        if key in body:
            if body[key].isdigit():
                body[key] = int(body[key])
            else:
                errors[key] = "应为整数。"
    body["posting_id"] = new_posting_id()
    return values, body, errors

"""Marshmallow schemas for record bodies: the one definition of what a record may contain.

Both the node (at entry) and the hub (at ingest) validate every body with these schemas, and the hub's
OpenAPI document is generated from them.  Unknown fields are errors.  Money is integer yuan and counts are
integers: no floats ever enter signed data (DOMAIN.md §3; PRIOR-ART "Keep floats out of signed data").
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

# Closed vocabularies. Keys are what the record stores; values are the Chinese labels people see.
VISIT_METHODS = {"in_person": "入户", "phone": "电话", "wechat": "微信"}
WORK_PLACES = {"county": "县内", "province": "省内县外", "outside": "省外"}
RISKS = {
    "illness": "疾病",
    "disability": "残疾",
    "schooling": "上学",
    "disaster": "自然灾害",
    "accident": "意外事故",
    "unstable_work": "务工不稳定",
    "failed_business": "产业经营失败",
    "large_expense": "大额支出",
}
CHANGE_TYPES = {
    "birth": "出生",
    "death": "死亡",
    "moved_in": "迁入",
    "moved_out": "迁出",
    "new_member": "新增成员",
}
ACK_STATUSES = {"confirmed": "户主认可", "disputed": "户主不认可", "not_reached": "未能当面确认"}

MAX_MONTHLY_YUAN = 10_000_000  # a bound on what a schema accepts; plausibility is a cleaning rule (I6)
ID_NUMBER_SHAPE = r"^\d{17}[\dX]$"
MONTH_SHAPE = r"^\d{4}-(0[1-9]|1[0-2])$"
HASH_SHAPE = r"^[0-9a-f]{64}$"


class StrictSchema(Schema):
    """Every schema refuses unknown fields."""

    class Meta:
        unknown = RAISE


def yuan(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_MONTHLY_YUAN), **kwargs)


def one_of(vocabulary: dict[str, str]) -> validate.OneOf:
    return validate.OneOf(list(vocabulary), error="必须是以下之一：{choices}")


class IncomeSchema(StrictSchema):
    """The month's household income by the four sources, and operating expenses (DOMAIN.md §3)."""

    wage = yuan(required=True, metadata={"description": "工资性收入, yuan"})
    business = yuan(required=True, metadata={"description": "经营性收入, yuan"})
    property = yuan(required=True, metadata={"description": "财产性收入, yuan"})
    transfer = yuan(required=True, metadata={"description": "转移性收入, yuan"})
    expenses = yuan(required=True, metadata={"description": "生产经营性支出, yuan"})


class EmploymentSchema(StrictSchema):
    """One labourer's work this month (DOMAIN.md §4)."""

    person = fields.String(required=True, validate=validate.Regexp(ID_NUMBER_SHAPE),
                           metadata={"description": "the labourer's citizen ID number (roster key)"})
    place = fields.String(required=True, validate=one_of(WORK_PLACES))
    province = fields.String(validate=validate.Length(max=20),
                             metadata={"description": "province worked in, for place=outside"})
    months = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=12),
                            metadata={"description": "months worked so far this year"})
    wage = yuan(required=True, metadata={"description": "wage earned this month, yuan"})


class ChangeSchema(StrictSchema):
    """A change in the family noted at the visit."""

    type = fields.String(required=True, validate=one_of(CHANGE_TYPES))
    name = fields.String(validate=validate.Length(min=1, max=50))
    id_number = fields.String(validate=validate.Regexp(ID_NUMBER_SHAPE))
    date = fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$"))
    note = fields.String(validate=validate.Length(max=200))


class AcknowledgementSchema(StrictSchema):
    """The household's acknowledgement of the recorded figures (DOMAIN.md §3, P11)."""

    status = fields.String(required=True, validate=one_of(ACK_STATUSES))
    by = fields.String(validate=validate.Length(max=50), metadata={"description": "who confirmed"})
    signature_sha256 = fields.String(validate=validate.Regexp(HASH_SHAPE),
                                     metadata={"description": "hash of the signature drawn on screen"})


class ConfirmedWarningSchema(StrictSchema):
    """A warning shown at entry that the grid member confirmed, with the reason given."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class VisitSchema(StrictSchema):
    """A monthly household visit or contact (DOMAIN.md §1–§4)."""

    household = fields.String(required=True, validate=validate.Length(min=1, max=40),
                              metadata={"description": "户编号, the county's household number"})
    month = fields.String(required=True, validate=validate.Regexp(MONTH_SHAPE),
                          metadata={"description": "the month this visit reports, YYYY-MM"})
    date = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$"),
                         metadata={"description": "the day of the visit or contact, YYYY-MM-DD"})
    visitor = fields.String(required=True, validate=validate.Length(min=1, max=50))
    method = fields.String(required=True, validate=one_of(VISIT_METHODS))
    income = fields.Nested(IncomeSchema, required=True)
    employment = fields.List(fields.Nested(EmploymentSchema), load_default=list)
    changes = fields.List(fields.Nested(ChangeSchema), load_default=list)
    risks = fields.List(fields.String(validate=one_of(RISKS)), load_default=list)
    ack = fields.Nested(AcknowledgementSchema, required=True)
    note = fields.String(validate=validate.Length(max=500))
    warnings = fields.List(fields.Nested(ConfirmedWarningSchema))
    corrects = fields.String(validate=validate.Regexp(HASH_SHAPE),
                             metadata={"description": "hash of the record this one corrects"})

    @validates_schema
    def date_within_month(self, data: dict[str, Any], **_: Any) -> None:
        if data["date"][:7] < data["month"]:
            raise ValidationError("走访日期不能早于所报月份。", field_name="date")


# The record kinds this release knows, each with the schema of its body.
BODY_SCHEMAS: dict[str, Schema] = {"visit": VisitSchema()}


def body_errors(kind: str, body: Any) -> dict[str, Any] | None:
    """Validate a body of ``kind``; return marshmallow's error dict, or None when it is valid."""
    schema = BODY_SCHEMAS[kind]
    if not isinstance(body, dict):
        return {"_schema": ["记录内容必须是一个对象。"]}
    return schema.validate(body) or None

"""Marshmallow schemas for record bodies: the one definition of what a record may contain.

Both the node (at entry) and the hub (at ingest) validate every body with these schemas, and the hub's
OpenAPI document is generated from them.  Unknown fields are errors.  Money is integer yuan and counts are
integers: no floats ever enter signed data (DOMAIN.md §3; PRIOR-ART "Keep floats out of signed data").
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validates_schema

from shared.sealing import PERSON_KEY_SHAPE, SEALED_SHAPE

# Closed vocabularies. Keys are what the record stores; values are the Chinese labels people see.
VISIT_METHODS = {"in_person": "入户", "phone": "电话", "wechat": "微信"}
REGION_WORDS = ("省", "区")  # what a county calls its province: 省, or 区 in an autonomous region (Guangxi)


def place_labels(region_word: str = "省") -> dict[str, str]:
    """The work places in the county's words: 省内县外/省外, or 区内县外/区外 with ``region_word`` 区."""
    return {"county": "县内", "province": f"{region_word}内县外", "outside": f"{region_word}外"}


WORK_PLACES = place_labels()
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
# What a grid member may confirm as unchanged from last month, explicitly (copying silently is what P11 flags).
UNCHANGED_ITEMS = {
    "wage": "工资性收入",
    "business": "经营性收入",
    "property": "财产性收入",
    "transfer": "转移性收入",
    "expenses": "生产经营性支出",
    "employment": "务工情况",
}
ACK_STATUSES = {"confirmed": "户主认可", "disputed": "户主不认可", "not_reached": "未能当面确认"}

MAX_MONTHLY_YUAN = 10_000_000  # a bound on what a schema accepts; plausibility is a cleaning rule (I6)
ID_NUMBER_SHAPE = r"^\d{17}[\dX]$"
MONTH_SHAPE = r"^\d{4}-(0[1-9]|1[0-2])$"
DATE_SHAPE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
HASH_SHAPE = r"^[0-9a-f]{64}$"

# Messages people read (grid members at entry, clerks in the hub's reasons), in Chinese.
COMMON_MESSAGES = {"required": "必填。", "null": "不能为空值。", "validator_failed": "取值不对。"}


class StrictSchema(Schema):
    """Every schema refuses unknown fields, and says so in Chinese."""

    error_messages = {"unknown": "不认识的字段，请删除。", "type": "格式不对：应为一个对象。"}

    class Meta:
        unknown = RAISE


class _Unvalidated(fields.Field):
    """Fields whose checks all live in ``_deserialize``: skip marshmallow's validator chain when empty
    (it builds a validator object on every call)."""

    def _validate(self, value: Any) -> None:
        if self.validators:
            super()._validate(value)


class Yuan(_Unvalidated, fields.Integer):
    """A whole number in a range (money in yuan by default): no floats, no booleans, no strings.

    The type and range checks live in one method instead of a Range validator: the hub validates every
    record it receives, and marshmallow's per-validator machinery is a large share of that cost.
    """

    default_error_messages = {**COMMON_MESSAGES, "invalid": "应为 {low} 到 {high} 之间的整数（不能有小数）。"}

    def __init__(self, low: int = 0, high: int = MAX_MONTHLY_YUAN, **kwargs: Any):
        metadata = {"minimum": low, "maximum": high, **kwargs.pop("metadata", {})}
        super().__init__(strict=True, metadata=metadata, **kwargs)
        self.low, self.high = low, high

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if type(value) is not int or not self.low <= value <= self.high:
            raise self.make_error("invalid", low=self.low, high=self.high)
        return value


class Text(_Unvalidated, fields.String):
    """A string with, optionally, a length limit, a pattern or a closed vocabulary — checked in one place."""

    default_error_messages = {**COMMON_MESSAGES, "invalid": "应为文字。", "too_long": "最多 {max_length} 个字。",
                              "too_short": "不能为空。", "pattern": "格式不对。",
                              "choice": "必须是以下之一：{choices}。", "nul": "不能含有空字符（\\u0000），请重新输入。"}

    def __init__(self, *, max_length: int | None = None, pattern: str | None = None,
                 choices: dict[str, str] | None = None, **kwargs: Any):
        metadata = dict(kwargs.pop("metadata", {}))
        if max_length:
            metadata["maxLength"] = max_length
        if pattern:
            metadata["pattern"] = pattern
        if choices:
            metadata["enum"] = list(choices)
        super().__init__(metadata=metadata, **kwargs)
        self.max_length = max_length
        self.pattern = re.compile(pattern) if pattern else None
        self.choices = choices

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if type(value) is not str:
            raise self.make_error("invalid")
        if "\x00" in value:  # PostgreSQL text cannot hold it: refused alike on every database, at entry already
            raise self.make_error("nul")
        if not value and self.required:
            raise self.make_error("too_short")
        if self.max_length and len(value) > self.max_length:
            raise self.make_error("too_long", max_length=self.max_length)
        if self.pattern and not self.pattern.match(value):
            raise self.make_error("pattern")
        if self.choices and value not in self.choices:
            raise self.make_error("choice", choices="、".join(f"{k}（{v}）" for k, v in self.choices.items()))
        return value


class _Undecided(Exception):
    """The fast path leaves this value to marshmallow's own load."""


def _hook_names(schema_class: type[Schema]) -> set[str]:
    return {name for name, member in inspect.getmembers(schema_class) if hasattr(member, "__marshmallow_hook__")}


@cache
def fast_capable(schema_class: type[Schema]) -> bool:
    """Every check the schema makes lives in its Text/Yuan fields, nested fast-capable schemas, lists of those,
    and the hooks it names in ``FAST_CHECKS``."""
    schema = schema_class()
    if not _hook_names(schema_class) <= set(getattr(schema_class, "FAST_CHECKS", ())):
        return False
    return all(_fast_field(field) for field in schema.load_fields.values())


def _fast_field(field: fields.Field) -> bool:
    if field.validators or field.data_key is not None:
        return False
    if type(field) in (Text, Yuan):
        return True
    if type(field) is _Nested:
        return not field.many and fast_capable(type(field.schema))
    return type(field) is _List and _fast_field(field.inner)


def _loader(field: fields.Field) -> Callable[[Any, None, None], Any]:
    """A function loading one value of ``field`` the fast way; it raises _Undecided (or ValidationError) when
    marshmallow must decide."""
    if type(field) is _Nested:
        inner = field.schema

        def load_nested(value: Any, _attr: None = None, _data: None = None) -> Any:
            loaded = fast_load(inner, value)
            if loaded is None:
                raise _Undecided
            return loaded

        return load_nested
    if type(field) is _List:
        load_item = _loader(field.inner)

        def load_list(value: Any, _attr: None = None, _data: None = None) -> list[Any]:
            if type(value) is not list or None in value:
                raise _Undecided
            return [load_item(item, None, None) for item in value]

        return load_list
    return field._deserialize  # called as (value, None, None), like the two above


@dataclass(frozen=True)
class _Plan:
    """How ``fast_load`` walks one schema, worked out once per schema object (they live as long as the process)."""

    names: frozenset[str]
    steps: tuple[tuple[str, Callable[[Any, None, None], Any], Any, bool], ...]  # name, loader, default, required
    checks: tuple[Callable[[dict[str, Any]], None], ...]


def _plan(schema: Schema) -> _Plan:
    plan = schema.__dict__.get("_fast_plan")
    if plan is None:
        declared = schema.load_fields
        plan = _Plan(frozenset(declared),
                     tuple((name, _loader(field), field.load_default, field.required)
                           for name, field in declared.items()),
                     tuple(getattr(schema, check) for check in getattr(schema, "FAST_CHECKS", ())))
        schema.__dict__["_fast_plan"] = plan
    return plan


def fast_load(schema: Schema, value: Any) -> dict[str, Any] | None:
    """Load ``value`` field by field, or return None and leave it to ``schema.load``.

    The hub validates every record it receives, and marshmallow's generic machinery costs more per record than
    the checks themselves.  This path accepts only what ``schema.load`` accepts, with the same result (a
    property test holds it to that); anything it is unsure of — including every invalid value — goes through
    marshmallow, so errors and their messages are always marshmallow's.
    """
    if type(value) is not dict or not fast_capable(type(schema)):
        return None
    plan = _plan(schema)
    if not plan.names.issuperset(value):
        return None
    loaded: dict[str, Any] = {}
    try:
        for name, load, default, required in plan.steps:
            if name in value:
                item = value[name]
                if item is None:
                    return None
                loaded[name] = load(item, None, None)
            elif default is not missing:
                loaded[name] = default() if callable(default) else default
            elif required:
                return None
        for check in plan.checks:
            check(loaded)
    except (_Undecided, ValidationError):
        return None
    return loaded


class _Nested(_Unvalidated, fields.Nested):
    """A nested object, loaded by ``fast_load`` when it can decide, else by marshmallow."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, partial: Any = None, **kwargs: Any) -> Any:
        loaded = None if self.many else fast_load(self.schema, value)
        if loaded is not None:
            return loaded
        return super()._deserialize(value, attr, data, partial=partial, **kwargs)


class _List(_Unvalidated, fields.List):
    pass


def nested(schema: type[Schema], **kwargs: Any) -> fields.Nested:
    return _Nested(schema, error_messages={**COMMON_MESSAGES, "type": "格式不对：应为一个对象。"}, **kwargs)


def listing(item: fields.Field, **kwargs: Any) -> fields.List:
    return _List(item, error_messages={**COMMON_MESSAGES, "invalid": "应为一个列表。"}, **kwargs)


class IncomeSchema(StrictSchema):
    """The month's household income by the four sources, and operating expenses (DOMAIN.md §3)."""

    wage = Yuan(required=True, metadata={"description": "工资性收入, yuan"})
    business = Yuan(required=True, metadata={"description": "经营性收入, yuan"})
    property = Yuan(required=True, metadata={"description": "财产性收入, yuan"})
    transfer = Yuan(required=True, metadata={"description": "转移性收入, yuan"})
    expenses = Yuan(required=True, metadata={"description": "生产经营性支出, yuan"})


class EmploymentSchema(StrictSchema):
    """One labourer's work this month (DOMAIN.md §4)."""

    person = Text(required=True, pattern=PERSON_KEY_SHAPE,
                  metadata={"description": "the labourer's person key from the roster pull (never the ID number)"})
    place = Text(required=True, choices=WORK_PLACES)
    province = Text(max_length=20, metadata={"description": "province worked in, for place=outside"})
    months = Yuan(low=0, high=12, required=True, metadata={"description": "months worked so far this year"})
    wage = Yuan(required=True, metadata={"description": "wage earned this month, yuan"})


class ChangeSchema(StrictSchema):
    """A change in the family noted at the visit; an ID number typed at the visit travels sealed to the hub."""

    type = Text(required=True, choices=CHANGE_TYPES)
    name = Text(max_length=50)
    id_sealed = Text(pattern=SEALED_SHAPE, metadata={"description": "the ID number, sealed to the hub's key"})
    date = Text(pattern=DATE_SHAPE)
    note = Text(max_length=200)


class EmploymentSchemaV1(EmploymentSchema):
    """Format 1 (stations before release 0.3): the labourer by citizen ID number."""

    person = Text(required=True, pattern=ID_NUMBER_SHAPE,
                  metadata={"description": "the labourer's citizen ID number (roster key)"})


class ChangeSchemaV1(StrictSchema):
    """Format 1: an ID number typed at the visit, in plain text."""

    type = Text(required=True, choices=CHANGE_TYPES)
    name = Text(max_length=50)
    id_number = Text(pattern=ID_NUMBER_SHAPE)
    date = Text(pattern=DATE_SHAPE)
    note = Text(max_length=200)


class AcknowledgementSchema(StrictSchema):
    """The household's acknowledgement of the recorded figures (DOMAIN.md §3, P11)."""

    status = Text(required=True, choices=ACK_STATUSES)
    by = Text(max_length=50, metadata={"description": "who confirmed"})
    signature_sha256 = Text(pattern=HASH_SHAPE, metadata={"description": "hash of the signature drawn on screen"})


class ConfirmedWarningSchema(StrictSchema):
    """A warning shown at entry that the grid member confirmed, with the reason given."""

    code = Text(required=True, max_length=40)
    reason = Text(required=True, max_length=200)


class CapturedSchema(StrictSchema):
    """Where a visit was entered when not at the station: on a phone, offline (issue 14)."""

    on = Text(required=True, choices={"phone": "手机"})
    id = Text(required=True, pattern=r"^[0-9a-f]{32}$", metadata={"description": "the id the phone gave the visit"})
    phone_time = Text(max_length=40, metadata={
        "description": "the phone's clock when the visit was saved: information only (phone clocks are wrong)"})


class VisitSchema(StrictSchema):
    """A monthly household visit or contact (DOMAIN.md §1–§4)."""

    household = Text(required=True, max_length=40, metadata={"description": "户编号, the county's household number"})
    month = Text(required=True, pattern=MONTH_SHAPE, metadata={"description": "the month this visit reports, YYYY-MM"})
    date = Text(required=True, pattern=DATE_SHAPE,
                metadata={"description": "the day of the visit or contact, YYYY-MM-DD"})
    visitor = Text(required=True, max_length=50)
    author = Text(max_length=40, metadata={"description": "the node account that entered the record"})
    method = Text(required=True, choices=VISIT_METHODS)
    income = nested(IncomeSchema, required=True)
    employment = listing(nested(EmploymentSchema), load_default=list)
    changes = listing(nested(ChangeSchema), load_default=list)
    risks = listing(Text(choices=RISKS), load_default=list)
    ack = nested(AcknowledgementSchema, required=True)
    note = Text(max_length=500)
    warnings = listing(nested(ConfirmedWarningSchema))
    unchanged = listing(Text(choices=UNCHANGED_ITEMS), metadata={
        "description": "figures confirmed with the household as unchanged from last month"})
    corrects = Text(pattern=HASH_SHAPE, metadata={"description": "hash of the record this one corrects"})
    captured = nested(CapturedSchema, metadata={
        "description": "present when the visit was entered on a phone away from the station"})

    FAST_CHECKS = ("date_within_month",)

    @validates_schema
    def date_within_month(self, data: dict[str, Any], **_: Any) -> None:
        try:
            date.fromisoformat(data["date"])
        except ValueError as exc:
            raise ValidationError("不是有效的日期。", field_name="date") from exc
        if data["date"][:7] < data["month"]:
            raise ValidationError("走访日期不能早于所报月份。", field_name="date")


class VisitSchemaV1(VisitSchema):
    """A visit in record format 1: labourers and typed numbers as plain ID numbers (still accepted)."""

    employment = listing(nested(EmploymentSchemaV1), load_default=list)
    changes = listing(nested(ChangeSchemaV1), load_default=list)

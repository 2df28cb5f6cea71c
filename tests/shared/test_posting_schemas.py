"""The posting and interest schemas: what they accept, and the Chinese reason for what they refuse."""

from __future__ import annotations

import re

import pytest
from marshmallow import ValidationError

from devtools.posting_pairs import labelled_pairs
from shared.postings import (
    POSTING_ID_SHAPE,
    InterestSchema,
    PostingSchema,
    below_minimum_wage,
    new_posting_id,
)
from shared.schemas import fast_capable, fast_load

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def posting(**changes) -> dict:
    body = {
        "kind": "gig", "posting_id": "0f3c2a9be41d4c7a8e5b6d7f8a9b0c1d", "employer": "融安县金桔种植专业合作社",
        "title": "金桔采摘工", "township": "长安镇", "village": "大巷村", "place": "长安镇大巷村金桔园",
        "pay": 150, "pay_unit": "day", "headcount": 20, "period_start": "2026-11-20", "period_end": "2027-01-31",
        "requirements": "身体健康，能吃苦耐劳", "contact_name": "韦先生", "contact_phone": "13907720001",
        "valid_until": "2026-12-31",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def interest(**changes) -> dict:
    body = {"posting_id": "0f3c2a9be41d4c7a8e5b6d7f8a9b0c1d", "name": "覃丽", "phone": "15877720002",
            "village": "大巷村", "id_number": "450224199001011234", "date": "2026-11-21", "channel": "hub"}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def field_errors(schema, body: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        schema.load(body)
    return caught.value.messages


def test_a_valid_posting_loads_with_status_open_by_default():
    loaded = PostingSchema().load(posting())
    assert loaded["status"] == "open"
    assert loaded["pay"] == 150


def test_a_minimal_posting_and_a_landline_contact_are_accepted():
    body = posting(township=None, village=None, period_start=None, period_end=None, requirements=None,
                   contact_phone="0772-8123456", kind="enterprise", pay=3800, pay_unit="month",
                   replaces="ab" * 32, status="filled")
    assert PostingSchema().load(body)["status"] == "filled"


def test_a_valid_interest_loads_with_or_without_id_number():
    assert InterestSchema().load(interest())["channel"] == "hub"
    assert "id_number" not in InterestSchema().load(interest(id_number=None, channel="node"))


@pytest.mark.parametrize(("changes", "field", "expected"), [
    ({"kind": "factory"}, "kind", "必须是以下之一"),
    ({"posting_id": "not-an-id"}, "posting_id", "格式不对"),
    ({"employer": ""}, "employer", "不能为空"),
    ({"title": "工" * 101}, "title", "最多 100 个字"),
    ({"place": None}, "place", "必填"),
    ({"pay": 150.5}, "pay", "整数"),
    ({"pay": "150"}, "pay", "整数"),
    ({"pay": -1}, "pay", "整数"),
    ({"pay_unit": "week"}, "pay_unit", "必须是以下之一"),
    ({"headcount": 0}, "headcount", "1 到 10000"),
    ({"contact_phone": "12345678901"}, "contact_phone", "联系电话"),
    ({"contact_phone": "1390772000"}, "contact_phone", "联系电话"),
    ({"contact_phone": "0772-123"}, "contact_phone", "联系电话"),
    ({"valid_until": None}, "valid_until", "必填"),
    ({"valid_until": "2026/12/31"}, "valid_until", "年-月-日"),
    ({"valid_until": "2026-02-30"}, "valid_until", "不是有效的日期"),
    ({"period_start": "2026-13-01"}, "period_start", "年-月-日"),
    ({"period_end": "2026-11-01"}, "period_end", "结束日期不能早于开始日期"),
    ({"requirements": "要" * 501}, "requirements", "最多 500 个字"),
    ({"status": "closed"}, "status", "必须是以下之一"),
    ({"replaces": "abc"}, "replaces", "格式不对"),
])
def test_bad_postings_get_a_chinese_message_on_the_field(changes, field, expected):
    messages = field_errors(PostingSchema(), posting(**changes))
    assert list(messages) == [field]
    assert expected in messages[field][0] and CHINESE.search(messages[field][0])


@pytest.mark.parametrize(("changes", "field", "expected"), [
    ({"posting_id": "ABC"}, "posting_id", "格式不对"),
    ({"name": "名" * 51}, "name", "最多 50 个字"),
    ({"phone": "0772-1234567"}, "phone", "手机号码应为11位"),
    ({"phone": "12012345678"}, "phone", "手机号码应为11位"),
    ({"village": None}, "village", "必填"),
    ({"id_number": "45022419900101123"}, "id_number", "身份证号码应为18位"),
    ({"date": "2026-11-31"}, "date", "不是有效的日期"),
    ({"date": "21/11/2026"}, "date", "年-月-日"),
    ({"channel": "wechat"}, "channel", "站点"),
])
def test_bad_interests_get_a_chinese_message_on_the_field(changes, field, expected):
    messages = field_errors(InterestSchema(), interest(**changes))
    assert list(messages) == [field]
    assert expected in messages[field][0] and CHINESE.search(messages[field][0])


@pytest.mark.parametrize(("schema", "body"), [(PostingSchema(), posting(salary=3000)),
                                              (InterestSchema(), interest(wechat="x"))])
def test_unknown_fields_are_refused(schema, body):
    messages = field_errors(schema, body)
    assert messages == {next(key for key in body if key in ("salary", "wechat")): ["不认识的字段，请删除。"]}


def test_both_schemas_take_the_fast_path():
    assert fast_capable(PostingSchema)
    assert fast_capable(InterestSchema)


POSTING_EXAMPLES = [
    posting(),
    posting(township=None, village=None, period_start=None, period_end=None, requirements=None),
    posting(status="withdrawn", replaces="0" * 64, contact_phone="07728123456"),
    *(pair.a for pair in labelled_pairs(count=20)),
    *(pair.b for pair in labelled_pairs(count=20)),
]
BAD_POSTINGS = [posting(valid_until="2026-02-29"), posting(period_end="2026-11-19"), posting(pay=True),
                posting(headcount=None), posting(extra=1), posting(status=None, kind="intern"),
                posting(contact_phone=13907720001)]


@pytest.mark.parametrize("body", POSTING_EXAMPLES)
def test_fast_load_agrees_with_load_on_valid_postings(body):
    assert fast_load(PostingSchema(), body) == PostingSchema().load(body)


@pytest.mark.parametrize("body", [interest(), interest(id_number=None), interest(channel="node", date="2024-02-29")])
def test_fast_load_agrees_with_load_on_valid_interests(body):
    assert fast_load(InterestSchema(), body) == InterestSchema().load(body)


@pytest.mark.parametrize("body", [*BAD_POSTINGS, interest(date="2026-02-29"), interest(phone="123")])
def test_fast_load_leaves_invalid_bodies_to_marshmallow(body):
    schema = PostingSchema() if "kind" in body or "employer" in body else InterestSchema()
    assert fast_load(schema, body) is None
    with pytest.raises(ValidationError):
        schema.load(body)


def test_minimum_wage_is_judged_per_unit_and_not_for_piece_rates():
    minimums = {"month": 1810, "day": 85, "hour": 17}
    assert below_minimum_wage(1800, "month", minimums)
    assert not below_minimum_wage(1810, "month", minimums)
    assert below_minimum_wage(80, "day", minimums)
    assert not below_minimum_wage(20, "hour", minimums)
    assert not below_minimum_wage(1, "piece", minimums)
    assert not below_minimum_wage(10, "day", {"month": 1810})


def test_new_posting_ids_fit_the_schema_and_never_look_like_a_phone_number():
    for _ in range(500):
        posting_id = new_posting_id()
        assert re.match(POSTING_ID_SHAPE, posting_id)
        assert not re.search(r"\d{11}", posting_id)

"""The household roster: its spreadsheet columns (DOMAIN.md §10) and the form it travels to nodes in."""

from __future__ import annotations

from marshmallow import fields, validate

from shared.schemas import StrictSchema
from shared.vocabulary import PERSON_STATUSES

# English key -> the Chinese header of the national monitoring system's export (DOMAIN.md §10).
ROSTER_COLUMNS: dict[str, str] = {
    "household_id": "户编号",
    "county": "县(区)",
    "township": "乡(镇)",
    "village": "村(安置点)",
    "household_type": "户类型",
    "monitoring_type": "监测对象类别",
    "monitoring_since": "纳入监测时间",
    "name": "姓名",
    "id_number": "证件号码",
    "gender": "性别",
    "birth_date": "出生日期",
    "relation": "与户主关系",
    "labour_ability": "劳动技能",
    "student": "在校生状况",
    "phone": "联系电话",
    "dibao": "是否享受低保",
    "tekun": "是否特困供养",
    "relocated": "是否易地搬迁",
    "disabled": "是否残疾",
    "status": "人员状态",
    # Optional columns: support and employment data used by rules P7, P8 and P10.
    "helper": "帮扶责任人",
    "helper_since": "帮扶责任人确定时间",
    "plan_date": "帮扶计划制定时间",
    "measures": "帮扶措施",
    "risk_eliminated": "风险消除时间",
    "returned_since": "返乡时间",
    "support_251": "是否开展\"251\"就业帮扶",
}
REQUIRED_COLUMNS = ("household_id", "township", "village", "household_type", "name", "id_number")
HOUSEHOLD_TYPES = ("脱贫户", "监测户")
MONITORING_TYPES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
YES_NO = {"是": True, "否": False, "": False}


class RosterPersonSchema(StrictSchema):
    """A person as the roster pull sends it.  Format 2 (``?format=2``, stations from 0.3): ``key`` and
    ``birth_month``; format 1 (older stations): ``id_number``, ``phone`` and ``birth_date``."""

    key = fields.String(metadata={"description": "format 2: the person key records name the person by"})
    birth_month = fields.String(allow_none=True, metadata={"description": "format 2: YYYY-MM"})
    id_number = fields.String(metadata={"description": "format 1 only"})
    name = fields.String(required=True)
    gender = fields.String(required=True)
    birth_date = fields.String(allow_none=True, metadata={"description": "format 1 only"})
    relation = fields.String(required=True)
    labour_ability = fields.String(required=True)
    student = fields.String(required=True)
    phone = fields.String(metadata={"description": "format 1 only"})
    status = fields.String(required=True, validate=validate.OneOf(PERSON_STATUSES))
    dibao = fields.Boolean(required=True)
    tekun = fields.Boolean(required=True)
    relocated = fields.Boolean(required=True)
    disabled = fields.Boolean(required=True)


class RosterHouseholdSchema(StrictSchema):
    number = fields.String(required=True, metadata={"description": "户编号"})
    township = fields.String(required=True)
    village = fields.String(required=True)
    assigned = fields.Boolean(required=True, metadata={
        "description": "false when the household has left the node's villages: the node drops it"})
    household_type = fields.String(required=True)
    monitoring_type = fields.String(required=True)
    monitoring_since = fields.String(allow_none=True)
    members = fields.List(fields.Nested(RosterPersonSchema), required=True)


class RosterPageSchema(StrictSchema):
    households = fields.List(fields.Nested(RosterHouseholdSchema), required=True)
    cursor = fields.String(required=True, metadata={"description": "pass back as ?cursor= for the next page"})
    more = fields.Boolean(required=True)
    seal_key = fields.String(metadata={
        "description": "format 2: the hub's X25519 public key (base64url); stations seal typed ID numbers to it"})

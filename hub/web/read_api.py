"""The read API for other county systems (issue 6): households, visits, anomalies and answers, paginated and
filtered by township, village and month, behind API tokens (``Authorization: Bearer …``) scoped like users.

A township-scoped token sees its township only; asking for another township is a 403 and is audited.  ID numbers
and phone numbers are masked, as on every list (DOMAIN.md §9).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate
from peewee import JOIN

from hub.store.models import Anomaly, Household, Township, Village, Visit
from hub.web import scope
from hub.web.schemas import ErrorSchema
from shared import free_text
from shared.idnumber import mask, mask_phone
from shared.schemas import MONTH_SHAPE, StrictSchema

blp = Blueprint("read", __name__, url_prefix="/api/v1/read", description="Read API for county systems (tokens)")
TOKEN_AUTH: list[dict[str, list[str]]] = [{"apiToken": []}]


class ReadQuerySchema(StrictSchema):
    township = fields.String(load_default="", metadata={"description": "乡(镇) name"})
    village = fields.String(load_default="", metadata={"description": "村(安置点) name"})
    month = fields.String(load_default="", validate=validate.Regexp(f"{MONTH_SHAPE}|^$"),
                          metadata={"description": "YYYY-MM (visits and anomalies)"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class PageSchema(StrictSchema):
    items = fields.List(fields.Dict(), required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True)


def _place(query: Any, args: dict[str, Any]) -> Any:
    """Filter by place and scope: a township principal sees its own township, whatever it asks."""
    if args["township"]:
        township = Township.get_or_none(Township.name == args["township"])
        scope.require_township(township.id if township else None, "读取其他乡镇的数据", "read_api")
        query = query.where(Township.name == args["township"])
    if scope.visible_township_id() is not None:
        query = query.where(Township.id == scope.visible_township_id())
    if args["village"]:
        query = query.where(Village.name == args["village"])
    return query


def _page(query: Any, args: dict[str, Any], item: Any) -> dict[str, Any]:
    rows = query.paginate(args["page"], args["page_size"])
    return {"items": [item(row) for row in rows], "page": args["page"], "page_size": args["page_size"],
            "total": query.count()}


def _household_item(household: Household) -> dict[str, Any]:
    members = [{"name": p.name, "id_number": mask(p.id_number), "gender": p.gender, "relation": p.relation,
                "labour_ability": p.labour_ability, "status": p.status, "phone": mask_phone(p.phone)}
               for p in household.members]
    return {"number": household.number, "township": household.village.township.name,
            "village": household.village.name, "household_type": household.household_type,
            "monitoring_type": household.monitoring_type, "members": members}


def _visit_item(visit: Visit) -> dict[str, Any]:
    return {"household": visit.household.number, "month": visit.month, "date": visit.visit_date,
            "method": visit.method, "visitor": visit.visitor, "wage": visit.wage, "business": visit.business,
            "property": visit.property, "transfer": visit.transfer, "expenses": visit.expenses,
            "ack_status": visit.ack_status, "current": visit.superseded_by is None}


def _anomaly_item(anomaly: Anomaly) -> dict[str, Any]:
    return {"id": anomaly.id, "rule": anomaly.rule, "subject": anomaly.subject, "status": anomaly.status,
            "township": anomaly.township.name if anomaly.township else None,
            "household": anomaly.household.number if anomaly.household else None,
            "answer": anomaly.answer, "answer_note": anomaly.answer_note and free_text.masked(anomaly.answer_note),
            "answered_by": anomaly.answered_by,
            "answered_at": anomaly.answered_at.isoformat() if anomaly.answered_at else None}


def _responses(view: Any) -> Any:
    for decorator in (blp.doc(security=TOKEN_AUTH), blp.arguments(ReadQuerySchema, location="query"),
                      blp.response(200, PageSchema),
                      blp.alt_response(401, schema=ErrorSchema, description="no valid token"),
                      blp.alt_response(403, schema=ErrorSchema, description="outside the token's scope")):
        view = decorator(view)
    return view


@blp.route("/households")
class Households(MethodView):
    @_responses
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Households with their members (ID numbers and phones masked)."""
        query = (Household.select(Household, Village, Township).join(Village).join(Township)
                 .order_by(Household.number))
        return _page(_place(query, args), args, _household_item)


@blp.route("/visits")
class Visits(MethodView):
    @_responses
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Visit records by month; ``current`` is false for a visit a later correction replaced."""
        query = (Visit.select(Visit, Household, Village, Township).join(Household).join(Village).join(Township)
                 .order_by(Visit.month, Household.number, Visit.id))
        if args["month"]:
            query = query.where(Visit.month == args["month"])
        return _page(_place(query, args), args, _visit_item)


def _anomalies(args: dict[str, Any], answered_only: bool) -> dict[str, Any]:
    # Outer joins: an anomaly need not name a household (or, then, a village) and must still be listed.
    query = (Anomaly.select(Anomaly, Township, Household).join(Township, JOIN.LEFT_OUTER).switch(Anomaly)
             .join(Household, JOIN.LEFT_OUTER, on=(Anomaly.household == Household.id))
             .join(Village, JOIN.LEFT_OUTER).order_by(Anomaly.id))
    if answered_only:
        query = query.where(Anomaly.answer.is_null(False))
    return _page(_place(query, args), args, _anomaly_item)


@blp.route("/anomalies")
class Anomalies(MethodView):
    @_responses
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Anomalies of the cleaning runs, with their status and answer."""
        return _anomalies(args, answered_only=False)


@blp.route("/answers")
class Answers(MethodView):
    @_responses
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Answered anomalies: who answered, how, and what they found."""
        return _anomalies(args, answered_only=True)



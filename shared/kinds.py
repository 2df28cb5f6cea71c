"""The record kinds this release knows, each with the schema of its body, and the one way bodies are checked.

Both the node (at entry) and the hub (at ingest) validate every body through ``body_errors``.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema

from shared.postings import InterestSchema, PostingSchema, RecommendationSchema
from shared.schemas import VisitSchema, fast_load
from shared.verification import VerificationSchema

BODY_SCHEMAS: dict[str, Schema] = {"visit": VisitSchema(), "posting": PostingSchema(), "interest": InterestSchema(),
                                   "recommendation": RecommendationSchema(), "verification": VerificationSchema()}


def body_errors(kind: str, body: Any) -> dict[str, Any] | None:
    """Validate a body of ``kind``; return marshmallow's error dict, or None when it is valid."""
    schema = BODY_SCHEMAS[kind]
    if not isinstance(body, dict):
        return {"_schema": ["记录内容必须是一个对象。"]}
    if fast_load(schema, body) is not None:
        return None
    return schema.validate(body) or None

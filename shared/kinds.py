"""The record kinds this release knows, each with the schema of its body, and the one way bodies are checked.

Both the node (at entry) and the hub (at ingest) validate every body through ``load_body`` (or its
``body_errors``); the hub then works from the body as the schema loaded it (defaults filled in), never from the
raw JSON.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from shared.postings import InterestSchema, PostingSchema, RecommendationSchema
from shared.schemas import VisitSchema, fast_load
from shared.verification import VerificationSchema

BODY_SCHEMAS: dict[str, Schema] = {"visit": VisitSchema(), "posting": PostingSchema(), "interest": InterestSchema(),
                                   "recommendation": RecommendationSchema(), "verification": VerificationSchema()}


def load_body(kind: str, body: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Load a body of ``kind`` through its schema: (loaded body, None), or (None, marshmallow's error dict)."""
    schema = BODY_SCHEMAS[kind]
    if not isinstance(body, dict):
        return None, {"_schema": ["记录内容必须是一个对象。"]}
    loaded = fast_load(schema, body)
    if loaded is not None:
        return loaded, None
    try:
        return schema.load(body), None
    except ValidationError as error:
        return None, error.normalized_messages()


def body_errors(kind: str, body: Any) -> dict[str, Any] | None:
    """Validate a body of ``kind``; return marshmallow's error dict, or None when it is valid."""
    return load_body(kind, body)[1]

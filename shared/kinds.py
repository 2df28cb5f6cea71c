"""The record kinds this release knows, each with the schema of its body, and the one way bodies are checked.

Both the node (at entry) and the hub (at ingest) validate every body through ``load_body`` (or its
``body_errors``); the hub then works from the body as the schema loaded it (defaults filled in), never from the
raw JSON.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from shared.postings import (
    InterestSchema,
    PostingSchema,
    RecommendationSchema,
    RecommendationSchemaV1,
    SealedInterestSchema,
)
from shared.records import FORMAT_VERSION
from shared.schemas import VisitSchema, VisitSchemaV1, fast_load
from shared.upward import CITY_SCHEMAS, UPWARD_SCHEMAS
from shared.verification import VerificationSchema

# The bodies of the current record format (3): persons by the hub's person key, typed ID numbers sealed, and an
# interest's phone and ID number sealed; and what county hubs send up to a city (docs/upward.md).
BODY_SCHEMAS: dict[str, Schema] = {"visit": VisitSchema(), "posting": PostingSchema(),
                                   "interest": SealedInterestSchema(), "recommendation": RecommendationSchema(),
                                   "verification": VerificationSchema(), **UPWARD_SCHEMAS,
                                   **CITY_SCHEMAS}
# Format 2, still accepted from stations of release 0.3: an interest's phone and ID number in plain text.
BODY_SCHEMAS_V2: dict[str, Schema] = {**BODY_SCHEMAS, "interest": InterestSchema()}
# Format 1, still accepted from stations not yet upgraded: persons by plain ID number.
BODY_SCHEMAS_V1: dict[str, Schema] = {**BODY_SCHEMAS_V2, "visit": VisitSchemaV1(),
                                      "recommendation": RecommendationSchemaV1()}
SCHEMAS_BY_VERSION: dict[int, dict[str, Schema]] = {1: BODY_SCHEMAS_V1, 2: BODY_SCHEMAS_V2,
                                                    FORMAT_VERSION: BODY_SCHEMAS}


def load_body(kind: str, body: Any, version: int = FORMAT_VERSION
              ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Load a body of ``kind`` in record format ``version`` through its schema: (loaded body, None), or
    (None, marshmallow's error dict)."""
    schema = SCHEMAS_BY_VERSION[version][kind]
    if not isinstance(body, dict):
        return None, {"_schema": ["记录内容必须是一个对象。"]}
    loaded = fast_load(schema, body)
    if loaded is not None:
        return loaded, None
    try:
        return schema.load(body), None
    except ValidationError as error:
        return None, error.normalized_messages()


def body_errors(kind: str, body: Any, version: int = FORMAT_VERSION) -> dict[str, Any] | None:
    """Validate a body of ``kind`` in record format ``version``; return marshmallow's error dict, or None."""
    return load_body(kind, body, version)[1]

"""schemathesis against the hub's own OpenAPI document: every operation, with generated requests (valid and not),
answers without a server error, and every error reply keeps the one documented shape {code, message, details}.
(The push body is a binary batch that schemathesis cannot generate; random batches are fuzzed elsewhere.)"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.support import import_county


def test_every_operation_answers_without_a_server_error(app, hub_db, tmp_path):
    import_county(tmp_path)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/v1/push", "/api/v1/roster", "/api/v1/read/households"}
    for operation in operations:
        if operation.path == "/api/v1/push":
            continue  # a binary gzip batch: fuzzed byte by byte in test_hub_fuzz.py and tests/shared

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case) -> None:  # a schemathesis Case
            response = case.call_and_validate(checks=[not_a_server_error])
            if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
                assert set(response.json()) == {"code", "message", "details"}, (case.path, response.text)

        call()

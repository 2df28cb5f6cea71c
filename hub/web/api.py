"""The sync API (``/api/v1``): enrolment, push, roster pull, state.  See shared/protocol.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_limiter import Limiter
from flask_smorest import Blueprint

from hub.accounts import field_accounts
from hub.certificates import requests as certificates
from hub.postings import store as postings
from hub.roster import pull
from hub.store.db import write_transaction
from hub.store.models import County, Township, Village, village_ids
from hub.sync import ingest, nodes
from hub.verification import tasks as verification
from hub.web.schemas import (
    CertificateReplySchema,
    CertificateRequestSchema,
    EnrollReplySchema,
    EnrollRequestSchema,
    ErrorSchema,
    PostingQuerySchema,
    PushReplySchema,
    RosterQuerySchema,
    StateReplySchema,
)
from shared import keys, wire
from shared.accounts import AccountListSchema
from shared.errors import ErrorCode, FieldsyncError, field_messages
from shared.postings import PostingPageSchema
from shared.protocol import API_PREFIX
from shared.roster import RosterPageSchema
from shared.verification import TaskPageSchema

blp = Blueprint("sync", __name__, url_prefix=API_PREFIX, description="Signed, offline-first sync for field nodes")
NODE_AUTH: list[dict[str, list[str]]] = [{"nodeSignature": []}]


def _check_protocol() -> None:
    version = request.headers.get(wire.PROTOCOL_HEADER)
    if version is not None and version != str(wire.PROTOCOL_VERSION):
        raise FieldsyncError(ErrorCode.UNSUPPORTED_VERSION, details={"hub_protocol": wire.PROTOCOL_VERSION})


def limit_enrolment(app: Flask, limiter: Limiter) -> None:
    """Rate-limit enrolment per address: one-time codes are long, but guessing them must stay slow too."""
    endpoint = "sync.Enroll"
    view = cast("Callable[..., ResponseReturnValue]", app.view_functions[endpoint])  # the enrolment view is sync
    app.view_functions[endpoint] = limiter.limit(lambda: app.config["ENROLL_RATE_LIMIT"], methods=["POST"])(view)


@blp.route("/enroll")
class Enroll(MethodView):
    @blp.arguments(EnrollRequestSchema)
    @blp.response(200, EnrollReplySchema)
    @blp.alt_response(403, schema=ErrorSchema, description="code invalid, used or expired")
    def post(self, data: dict[str, str]) -> dict[str, Any]:
        """Enrol a node: bind its public key using a one-time code."""
        _check_protocol()
        try:
            public_key, proof = keys.b64decode(data["public_key"]), keys.b64decode(data["proof"])
        except ValueError as exc:
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, details={"fields": {"public_key": ["base64url"]}}) \
                from exc
        node = nodes.enrol(data["code"], public_key, proof)
        villages = (Village.select(Village, Township).join(Township)
                    .where(Village.id.in_(village_ids(node))))
        county = County.select().first()
        return {"node_id": node.id, "name": node.name, "county": county.name if county else "",
                "villages": [village.label for village in villages]}


@blp.route("/push")
class Push(MethodView):
    @blp.doc(security=NODE_AUTH, requestBody={
        "required": True,
        "description": "gzip batch of signed records (docs/protocol.md)",
        "content": {wire.BATCH_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    })
    @blp.response(200, PushReplySchema)
    @blp.alt_response(400, schema=ErrorSchema, description="the batch could not be read")
    @blp.alt_response(401, schema=ErrorSchema, description="not signed by an enrolled node")
    @blp.alt_response(403, schema=ErrorSchema, description="node revoked")
    @blp.alt_response(409, schema=ErrorSchema, description="replayed request")
    def post(self) -> dict[str, Any]:
        """Push signed records; the reply says per record what happened, after the hub committed."""
        _check_protocol()
        node, counter = nodes.authenticate(request)
        try:
            batch = wire.decode_batch(request.get_data(), current_app.config["MAX_BATCH_BYTES"],
                                      current_app.config["MAX_BATCH_RECORDS"])
            return ingest.ingest(node, batch, counter)
        except FieldsyncError as error:
            if error.code is not ErrorCode.REPLAYED_REQUEST:  # a replay is the node catching up, not a failure
                nodes.note_push_failure(node, error.code)
            raise
        except Exception:
            nodes.note_push_failure(node, ErrorCode.INTERNAL)
            raise


@blp.route("/roster")
class Roster(MethodView):
    @blp.doc(security=NODE_AUTH)
    @blp.arguments(RosterQuerySchema, location="query")
    @blp.response(200, RosterPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Households of the node's villages changed after the cursor, oldest first."""
        _check_protocol()
        node = nodes.authenticate_read(request)
        return pull.changes_for(village_ids(node), args["cursor"], current_app.config["PULL_PAGE_SIZE"],
                                  args["format"])


@blp.route("/state")
class State(MethodView):
    @blp.doc(security=NODE_AUTH)
    @blp.response(200, StateReplySchema)
    def get(self) -> dict[str, Any]:
        """What the hub holds of the calling node."""
        _check_protocol()
        return ingest.node_state(nodes.authenticate_read(request))


@blp.route("/accounts")
class Accounts(MethodView):
    @blp.doc(security=NODE_AUTH)
    @blp.response(200, AccountListSchema)
    def get(self) -> dict[str, Any]:
        """The station accounts of the node's villages, with password hashes (sign-in works offline)."""
        _check_protocol()
        return {"accounts": field_accounts.for_node(nodes.authenticate_read(request))}


@blp.route("/postings")
class Postings(MethodView):
    @blp.doc(security=NODE_AUTH)
    @blp.arguments(PostingQuerySchema, location="query")
    @blp.response(200, PostingPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Job postings for the node's townships and the whole county changed after the cursor (a counter)."""
        _check_protocol()
        node = nodes.authenticate_read(request)
        townships = [township.name for township in Township.select(Township.name).join(Village)
                     .where(Village.id.in_(village_ids(node))).distinct()]
        return postings.changes_for_node(node, townships, args["cursor"], current_app.config["PULL_PAGE_SIZE"])


@blp.route("/tasks")
class Tasks(MethodView):
    @blp.doc(security=NODE_AUTH)
    @blp.arguments(PostingQuerySchema, location="query")
    @blp.response(200, TaskPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Verification tasks for the node's villages' households changed after the cursor (a counter)."""
        _check_protocol()
        node = nodes.authenticate_read(request)
        return verification.tasks_for_node(node, args["cursor"], current_app.config["PULL_PAGE_SIZE"])


@blp.route("/certificate")
class Certificate(MethodView):
    @blp.doc(security=NODE_AUTH, requestBody={
        "required": True, "description": "the station's CSR, or null (docs/protocol.md, docs/certificates.md)",
        "content": {"application/json": {"schema": CertificateRequestSchema}},
    })
    @blp.response(200, CertificateReplySchema)
    @blp.alt_response(422, schema=ErrorSchema, description="the CSR is not one for this station")
    def post(self) -> dict[str, Any]:
        """The station's certificate: send a CSR for its name (its key stays on it), get the certificate back."""
        _check_protocol()
        node, counter = nodes.authenticate(request)
        body = CertificateRequestSchema().validate(request.get_json(silent=True) or {})
        if body:
            raise FieldsyncError(ErrorCode.INVALID_FIELDS, details={"fields": field_messages(body)})
        data = CertificateRequestSchema().load(request.get_json(silent=True) or {})
        with write_transaction():
            nodes.consume_counter(node, counter)
            return certificates.exchange(node, data["csr"], current_app.config["STATION_DOMAIN"])

"""Marshmallow schemas of the hub's API requests and replies; the OpenAPI document is built from them."""

from __future__ import annotations

from marshmallow import fields, validate

from shared.schemas import StrictSchema

SeqRange = fields.List(fields.Integer(), metadata={"description": "[first, last] inclusive"})


class ErrorSchema(StrictSchema):
    code = fields.String(required=True, metadata={"description": "stable code (docs/errors.md)"})
    message = fields.String(required=True, metadata={"description": "what to do, in Chinese"})
    details = fields.Dict(required=True)


class EnrollRequestSchema(StrictSchema):
    code = fields.String(required=True, metadata={"description": "the one-time enrolment code"})
    public_key = fields.String(required=True, metadata={"description": "raw Ed25519 public key, base64url"})
    proof = fields.String(required=True, metadata={
        "description": "signature over 'fieldsync-enrol-v1\\n' + code + '\\n' + public key, base64url"})


class EnrollReplySchema(StrictSchema):
    node_id = fields.Integer(required=True)
    name = fields.String(required=True)
    county = fields.String(required=True)
    villages = fields.List(fields.String(), required=True, metadata={"description": "乡镇/村"})


class RejectionSchema(StrictSchema):
    seq = fields.Integer(required=True)
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict(required=True)
    final = fields.Boolean(required=True, metadata={
        "description": "true: the hub holds this sequence number for good, do not resend; false: resend"})


class PushReplySchema(StrictSchema):
    hwm = fields.Integer(required=True, metadata={"description": "every seq up to here is held"})
    head = fields.Integer(required=True, metadata={"description": "the newest seq the node has announced"})
    missing = fields.List(SeqRange, required=True)
    accepted = fields.List(SeqRange, required=True)
    duplicates = fields.List(SeqRange, required=True, metadata={"description": "already held, identical"})
    rejected = fields.List(fields.Nested(RejectionSchema), required=True)


class StateReplySchema(StrictSchema):
    node_id = fields.Integer(required=True)
    hwm = fields.Integer(required=True)
    head = fields.Integer(required=True)
    held = fields.Integer(required=True)
    missing = fields.List(SeqRange, required=True)
    hwm_hash = fields.String(metadata={"description": "hex hash of the record at hwm (empty for none): a county "
                                                      "hub restored from a backup continues its chain after it"})


class CertificateRequestSchema(StrictSchema):
    csr = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=8_000), metadata={
        "description": "PEM CSR for the station's name, made with the station's own key; null to ask only"})


class CertificateReplySchema(StrictSchema):
    state = fields.String(required=True, validate=validate.OneOf(("off", "wanted", "pending", "issued")), metadata={
        "description": "off: the county issues no station certificates; wanted: send a CSR for `domain`; "
                       "pending: the CSR is with the CA; issued: `certificate` is the full chain"})
    domain = fields.String(required=True, allow_none=True, metadata={"description": "the station's name"})
    certificate = fields.String(required=True, allow_none=True, metadata={"description": "PEM full chain"})
    not_after = fields.String(required=True, allow_none=True, metadata={"description": "expiry, UTC ISO 8601"})


class RosterQuerySchema(StrictSchema):
    cursor = fields.String(load_default="", metadata={"description": "from the previous page; empty at first"})
    format = fields.Integer(load_default=1, validate=validate.OneOf((1, 2)), metadata={
        "description": "2: persons by person key, no ID number, phone or birth date (stations from 0.3); "
                       "1: as stations before 0.3 read it"})


class PostingQuerySchema(StrictSchema):
    cursor = fields.Integer(load_default=0, validate=validate.Range(min=0),
                            metadata={"description": "the cursor of the last page, 0 at first"})

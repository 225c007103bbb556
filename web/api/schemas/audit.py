"""Describe the audit trail, the disclosure log and the verification report."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from web.api.schemas.common import PageSchema
from web.usecases.bounds import MAX_POSITION

HEX_SHA256 = r"^[0-9a-f]{64}$"


class AuditQueryArgsSchema(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(0, MAX_POSITION))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class AuditEventSchema(Schema):
    position = fields.Integer()
    aggregate_id = fields.UUID()
    version = fields.Integer()
    type = fields.String()
    topic = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    recorded_at = fields.String(metadata={"format": "date-time"})
    hash = fields.String(
        allow_none=True,
        metadata={
            "description": "The event's leaf hash in the ledger (hex).",
            "pattern": HEX_SHA256,
        },
    )


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    total = fields.Integer()
    after = fields.Integer()
    limit = fields.Integer()


class CheckpointSchema(Schema):
    size = fields.Integer(metadata={"description": "Events the signed tree holds."})
    root = fields.String(
        metadata={"description": "The tree's root (hex).", "pattern": HEX_SHA256}
    )
    signed_at = fields.String(metadata={"format": "date-time"})
    key_id = fields.String(metadata={"description": "The signing key's id."})
    signature = fields.String(metadata={"description": "Ed25519 signature (hex)."})
    format = fields.Integer(metadata={"description": "1: chain value as root; 2."})
    position = fields.Integer(metadata={"description": "The last event signed."})
    chain = fields.String(
        allow_none=True,
        metadata={"description": "The chain value (hex); none in format 1."},
    )


class CheckpointPageSchema(PageSchema):
    items = fields.List(fields.Nested(CheckpointSchema))


class DisclosureQueryArgsSchema(Schema):
    incident = fields.UUID(load_default=None)
    after = fields.Integer(load_default=0, validate=validate.Range(0, MAX_POSITION))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class DisclosureSchema(Schema):
    number = fields.Integer()
    incident_id = fields.UUID()
    viewer = fields.String()
    channel = fields.String()
    at = fields.DateTime()


class DisclosurePageSchema(Schema):
    items = fields.List(fields.Nested(DisclosureSchema))
    after = fields.Integer()
    limit = fields.Integer()


class VerificationSchema(Schema):
    ok = fields.Boolean()
    checked = fields.Integer(metadata={"description": "Events rehashed."})
    head = fields.String(
        allow_none=True, metadata={"description": "Chain value at the end (hex)."}
    )
    position = fields.Integer()
    checkpoints = fields.Integer()
    first_bad_position = fields.Integer()
    reason = fields.String(
        metadata={
            "description": "The kind of damage: changed, deleted, inserted, "
            "reordered, truncated, ledger_forged or checkpoint_mismatch."
        }
    )
    detail = fields.String(metadata={"description": "What was found, in English."})

"""Describe notifications: the bell's items, and the admin's list of sends."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from web.api.schemas.common import PageQueryArgsSchema, PageSchema

SEND_STATES = ("unsent", "pending", "sending", "failed")


class DeliveryQueryArgsSchema(PageQueryArgsSchema):
    state = fields.String(
        load_default="unsent",
        validate=validate.OneOf(SEND_STATES),
        metadata={"description": "unsent (default): pending, sending and failed."},
    )


class DeliverySchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    recipient = fields.String()
    office = fields.String()
    incident = fields.UUID(allow_none=True)
    follow_up = fields.UUID(allow_none=True)
    created_at = fields.String()
    state = fields.String(metadata={"enum": ["pending", "sending", "failed"]})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    retry_at = fields.String(allow_none=True)
    updated_at = fields.String()


class DeliveryPageSchema(PageSchema):
    items = fields.List(fields.Nested(DeliverySchema))


class BellQueryArgsSchema(PageQueryArgsSchema):
    unread = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "true: only unread; false: only read."},
    )


class BellItemSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    incident = fields.UUID(allow_none=True)
    office = fields.String()
    created_at = fields.String()
    read = fields.Boolean()


class BellSchema(PageSchema):
    items = fields.List(fields.Nested(BellItemSchema))


class ReadSchema(Schema):
    id = fields.UUID()
    read = fields.Boolean()

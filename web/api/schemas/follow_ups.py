"""Describe the follow-up board: open follow-ups, overdue first."""

from __future__ import annotations

from marshmallow import Schema, fields

from web.api.fields import Code
from web.api.schemas.common import PageSchema


class FollowUpBoardQueryArgsSchema(Schema):
    office = Code()
    overdue = fields.Boolean(load_default=False)


class BoardItemSchema(Schema):
    id = fields.UUID()
    incident_id = fields.UUID()
    office = fields.String()
    kind = fields.String()
    due_on = fields.String(metadata={"format": "date"})
    assignee = fields.String(allow_none=True)
    category = fields.String()
    severity = fields.Integer()
    status = fields.String()
    overdue = fields.Boolean()


class BoardPageSchema(PageSchema):
    items = fields.List(fields.Nested(BoardItemSchema))

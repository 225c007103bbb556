"""Describe incidents: the commands that change them, the queries, the answers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from marshmallow import Schema, ValidationError, fields, validate, validates

from incidents import values
from incidents.vocabulary import (
    Category,
    EscalationTarget,
    FollowUpKind,
    FollowUpStatus,
    Outcome,
    PartyRole,
    Resolution,
    Status,
    Target,
    Technique,
    Trigger,
)
from web.api.fields import Code, Day, Instant, Text, WholeNumber
from web.api.schemas.common import MAX_PAGE_SIZE, PageQueryArgsSchema, PageSchema

# Input: the commands.


def _note() -> Text:
    return Text(max_length=values.NOTE_MAX, allow_none=True)


def _reason() -> Text:
    return Text(max_length=values.REASON_MAX, required=True)


class PartySchema(Schema):
    role = Code(PartyRole, required=True)
    count = WholeNumber(validate=validate.Range(1, values.MAX_PARTY_COUNT))
    description = Text(max_length=values.SHORT_TEXT_MAX, allow_none=True)


class ContactSchema(Schema):
    name = Text(max_length=values.SHORT_TEXT_MAX, allow_none=True)
    phone = Text(max_length=32, allow_none=True)
    email = Text(max_length=254, allow_none=True)


def _parties() -> fields.List[Any]:
    return fields.List(
        fields.Nested(PartySchema), validate=validate.Length(max=values.MAX_PARTIES)
    )


class ReportIncidentSchema(Schema):
    id = fields.UUID(
        metadata={
            "description": "A random (version 4) UUID chosen by the client: "
            "sending the same report again then stores it only once."
        }
    )
    office = Code(required=True)
    occurred_at = Instant(required=True)
    category = Code(Category, required=True)
    severity = WholeNumber(required=True, metadata={"minimum": 0, "maximum": 4})
    target = Code(Target, required=True)
    trigger = Code(Trigger, allow_none=True)
    summary = Text(max_length=values.SUMMARY_MAX, required=True)
    parties = _parties()
    contact = fields.Nested(ContactSchema, allow_none=True)

    @validates("id")
    def _random_id(self, value: UUID, **kwargs: Any) -> None:
        # Names of users and offices map to version 5 UUIDs: a report must never
        # take the id of something else.
        if value.version != 4:
            raise ValidationError("Give a random (version 4) UUID.")


class RecordDeEscalationSchema(Schema):
    techniques = fields.List(
        Code(Technique), required=True, validate=validate.Length(max=len(Technique))
    )
    outcome = Code(Outcome, required=True)
    note = _note()


class EscalateSchema(Schema):
    to = Code(EscalationTarget, required=True)
    note = _note()


class AddNoteSchema(Schema):
    text = Text(max_length=values.NOTE_MAX, required=True)


class ChangesSchema(Schema):
    category = Code(Category)
    target = Code(Target)
    trigger = Code(Trigger, allow_none=True)
    summary = Text(max_length=values.SUMMARY_MAX)
    parties = _parties()
    occurred_at = Instant()


class AmendIncidentSchema(Schema):
    changes = fields.Nested(ChangesSchema, required=True)
    reason = _reason()


class ScheduleFollowUpSchema(Schema):
    kind = Code(FollowUpKind, required=True)
    due_on = Day(required=True)
    assignee = Text(max_length=values.SHORT_TEXT_MAX, allow_none=True)
    note = _note()


class CompleteFollowUpSchema(Schema):
    note = _note()


class ReasonSchema(Schema):
    reason = _reason()


class ReassessSeveritySchema(Schema):
    severity = WholeNumber(required=True, metadata={"minimum": 0, "maximum": 4})
    reason = _reason()


class CloseIncidentSchema(Schema):
    resolution = Code(Resolution, required=True)
    note = _note()


# Queries.


class IncidentFilterArgsSchema(Schema):
    office = Code()
    status = Code(Status)
    category = Code(Category)
    severity = fields.Integer(metadata={"minimum": 0, "maximum": 4})
    from_ = Day(data_key="from", metadata={"description": "First day (occurred)."})
    to = Day(metadata={"description": "Last day (occurred), included."})


class IncidentQueryArgsSchema(IncidentFilterArgsSchema, PageQueryArgsSchema):
    pass


class IncidentAsOfQueryArgsSchema(Schema):
    as_of = Instant(
        metadata={"description": "Show the incident as known at this time."}
    )


class TimelineQueryArgsSchema(PageQueryArgsSchema):
    page_size = fields.Integer(
        load_default=MAX_PAGE_SIZE, validate=validate.Range(1, MAX_PAGE_SIZE)
    )


# Output.


class PartyOutSchema(Schema):
    role = fields.String()
    count = fields.Integer()
    description = fields.String(allow_none=True)


class ContactOutSchema(Schema):
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class DeEscalationSchema(Schema):
    techniques = fields.List(fields.String())
    outcome = fields.String()
    note = fields.String(allow_none=True)
    actor = fields.String()


class EscalationSchema(Schema):
    to = fields.String()
    note = fields.String(allow_none=True)
    actor = fields.String()


class FollowUpSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    due_on = fields.Date()
    assignee = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": [s.value for s in FollowUpStatus]})


class TextWarningSchema(Schema):
    field = fields.String(
        metadata={"description": "The free-text field, e.g. summary."}
    )
    kinds = fields.List(fields.String(), metadata={"description": "phone, email"})
    message = fields.String()


class IncidentSchema(Schema):
    id = fields.UUID()
    version = fields.Integer()
    position = fields.Integer(
        metadata={"description": "Log position of the incident's last event."}
    )
    office = fields.String()
    status = fields.String(metadata={"enum": [s.value for s in Status]})
    occurred_at = fields.DateTime()
    recorded_at = fields.DateTime()
    category = fields.String()
    severity = fields.Integer()
    target = fields.String()
    trigger = fields.String(allow_none=True)
    summary = fields.String()
    parties = fields.List(fields.Nested(PartyOutSchema))
    contact = fields.Nested(
        ContactOutSchema,
        allow_none=True,
        metadata={
            "description": "Shown only to the office's officers and to "
            "the mediator who reported it; null for everyone else."
        },
    )
    contact_recorded = fields.Boolean(
        metadata={"description": "Whether the report gave a visitor's contact."}
    )
    contact_erased = fields.Boolean(
        metadata={"description": "Whether that contact was erased since."}
    )
    de_escalations = fields.List(fields.Nested(DeEscalationSchema))
    escalations = fields.List(fields.Nested(EscalationSchema))
    follow_ups = fields.List(fields.Nested(FollowUpSchema))
    resolution = fields.String(allow_none=True)
    mediator_on_shift = fields.String(
        allow_none=True,
        metadata={
            "description": "The mediator whose planned shift in the office "
            "covers occurred_at (the earliest-starting one), or null; with "
            "as_of, by the rota as known at that time."
        },
    )
    warnings = fields.List(
        fields.Nested(TextWarningSchema),
        metadata={
            "description": "On writes only: free text of the request that seems "
            "to hold a phone number or an e-mail address, which belong in the "
            "contact (where they can be erased), not in the narrative."
        },
    )


class IncidentListItemSchema(Schema):
    id = fields.UUID()
    version = fields.Integer()
    position = fields.Integer()
    office = fields.String()
    status = fields.String()
    occurred_at = fields.String(metadata={"format": "date-time"})
    recorded_at = fields.String(metadata={"format": "date-time"})
    modified_at = fields.String(metadata={"format": "date-time"})
    category = fields.String()
    severity = fields.Integer()
    target = fields.String()
    trigger = fields.String(allow_none=True)
    summary = fields.String()
    resolution = fields.String(allow_none=True)
    scheduled_follow_ups = fields.Integer()


class IncidentPageSchema(PageSchema):
    items = fields.List(fields.Nested(IncidentListItemSchema))


class TimelineItemSchema(Schema):
    position = fields.Integer()
    incident_id = fields.UUID()
    version = fields.Integer()
    type = fields.String(metadata={"description": "The event's name, e.g. Reported."})
    recorded_at = fields.String(metadata={"format": "date-time"})
    occurred_at = fields.String(metadata={"format": "date-time"})
    actor = fields.String(allow_none=True)
    data = fields.Dict(keys=fields.String())


class TimelinePageSchema(PageSchema):
    items = fields.List(fields.Nested(TimelineItemSchema))

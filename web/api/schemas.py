"""Describe the JSON the API reads and writes (marshmallow schemas).

Input schemas (``<Command>Schema``, ``<Noun>QueryArgsSchema``) check shape and
type, and refuse unknown fields; the domain then checks codes and rules. Output
schemas (``<Noun>Schema``) give the shapes of DESIGN.md's HTTP contract.
"""

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
    Role,
    Status,
    Target,
    Technique,
    Trigger,
)
from web.api.fields import Code, Day, Instant, Text, WholeNumber
from web.usecases.bounds import MAX_PAGE, MAX_POSITION

MAX_PAGE_SIZE = 200
NAME_MAX = 64
PASSWORD_MAX = 256
MAX_OFFICES = 100


def _note() -> Text:
    return Text(max_length=values.NOTE_MAX, allow_none=True)


def _reason() -> Text:
    return Text(max_length=values.REASON_MAX, required=True)


# Incidents: input.


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


class PageQueryArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    page_size = fields.Integer(
        load_default=50, validate=validate.Range(1, MAX_PAGE_SIZE)
    )


class IncidentQueryArgsSchema(PageQueryArgsSchema):
    office = Code()
    status = Code(Status)
    category = Code(Category)
    severity = fields.Integer(metadata={"minimum": 0, "maximum": 4})
    from_ = Day(data_key="from", metadata={"description": "First day (occurred)."})
    to = Day(metadata={"description": "Last day (occurred), included."})


class IncidentAsOfQueryArgsSchema(Schema):
    as_of = Instant(
        metadata={"description": "Show the incident as known at this time."}
    )


class OfficeSummaryQueryArgsSchema(Schema):
    from_ = Day(data_key="from")
    to = Day()
    as_of = Instant()


class OfficeTimelineQueryArgsSchema(PageQueryArgsSchema):
    from_ = Day(data_key="from", metadata={"description": "First day (recorded)."})
    to = Day(metadata={"description": "Last day (recorded), included."})


class TimelineQueryArgsSchema(PageQueryArgsSchema):
    page_size = fields.Integer(
        load_default=MAX_PAGE_SIZE, validate=validate.Range(1, MAX_PAGE_SIZE)
    )


class FollowUpBoardQueryArgsSchema(Schema):
    office = Code()
    overdue = fields.Boolean(load_default=False)


class AuditQueryArgsSchema(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(0, MAX_POSITION))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


# Incidents: output.


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


class PageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


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


# Offices.


class OfficeSchema(Schema):
    code = fields.String()
    name = fields.String()
    city = fields.String()


class OfficePageSchema(PageSchema):
    items = fields.List(fields.Nested(OfficeSchema))


def _counts() -> fields.Dict:
    return fields.Dict(keys=fields.String(), values=fields.Integer())


class SummaryIncidentsSchema(Schema):
    total = fields.Integer()
    open = fields.Integer()
    by_category = _counts()
    by_severity = _counts()
    by_target = _counts()
    by_trigger = _counts()


class SummaryDeEscalationsSchema(Schema):
    total = fields.Integer()
    by_outcome = _counts()
    calmed_rate = fields.Float()


class SummaryEscalationsSchema(Schema):
    by_target = _counts()


class SummaryFollowUpsSchema(Schema):
    scheduled = fields.Integer()
    completed = fields.Integer()
    cancelled = fields.Integer()
    open = fields.Integer()
    overdue = fields.Integer()


class TimeToCloseSchema(Schema):
    median = fields.Float(allow_none=True)
    p90 = fields.Float(allow_none=True)


class OfficeSummarySchema(Schema):
    office = fields.String()
    from_ = fields.String(
        attribute="from", data_key="from", allow_none=True, metadata={"format": "date"}
    )
    to = fields.String(allow_none=True, metadata={"format": "date"})
    as_of = fields.String(allow_none=True, metadata={"format": "date-time"})
    incidents = fields.Nested(SummaryIncidentsSchema)
    de_escalations = fields.Nested(SummaryDeEscalationsSchema)
    escalations = fields.Nested(SummaryEscalationsSchema)
    follow_ups = fields.Nested(SummaryFollowUpsSchema)
    time_to_close_hours = fields.Nested(TimeToCloseSchema)


# Follow-up board.


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


# Audit trail.


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
    pending = fields.Integer(
        metadata={"description": "Events not sealed into the ledger yet."}
    )
    first_bad_position = fields.Integer()
    kind = fields.String()
    reason = fields.String()


class AuditEventSchema(Schema):
    position = fields.Integer()
    aggregate_id = fields.UUID()
    version = fields.Integer()
    type = fields.String()
    topic = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    recorded_at = fields.String(metadata={"format": "date-time"})


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    total = fields.Integer()
    after = fields.Integer()
    limit = fields.Integer()


# People and tokens.


class RegisterUserSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(max=NAME_MAX))
    role = Code(Role, required=True)
    offices = fields.List(
        Code(),
        allow_none=True,
        validate=validate.Length(min=1, max=MAX_OFFICES),
        metadata={"description": "Office codes; null or absent: every office."},
    )
    display_name = Text(max_length=values.SHORT_TEXT_MAX, allow_none=True)
    password = fields.String(
        load_only=True, validate=validate.Length(max=PASSWORD_MAX), allow_none=True
    )


class IssueTokenSchema(Schema):
    label = Text(max_length=values.SHORT_TEXT_MAX, allow_none=True)


class TokenSchema(Schema):
    id = fields.UUID()
    label = fields.String()


class UserSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    display_name = fields.String()
    role = fields.String()
    offices = fields.List(fields.String(), allow_none=True)
    is_active = fields.Boolean()
    tokens = fields.List(fields.Nested(TokenSchema))
    version = fields.Integer()


class UserPageSchema(PageSchema):
    items = fields.List(fields.Nested(UserSchema))


class IssuedTokenSchema(Schema):
    id = fields.UUID()
    token = fields.String(
        metadata={"description": "The bearer token: shown only this once."}
    )
    label = fields.String()
    user = fields.Nested(UserSchema)


# Errors.


class ErrorSchema(Schema):
    code = fields.Integer(metadata={"description": "The HTTP status code."})
    status = fields.String(metadata={"description": "The HTTP status name."})
    message = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages per field, e.g. parties.0.role."},
    )

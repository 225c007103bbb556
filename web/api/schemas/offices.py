"""Describe offices: the caller's list, and what happened in each."""

from __future__ import annotations

from marshmallow import Schema, fields

from web.api.fields import Day, Instant
from web.api.schemas.common import PageQueryArgsSchema, PageSchema


class OfficeSummaryQueryArgsSchema(Schema):
    from_ = Day(data_key="from")
    to = Day()
    as_of = Instant()


class OfficeTimelineQueryArgsSchema(PageQueryArgsSchema):
    from_ = Day(data_key="from", metadata={"description": "First day (recorded)."})
    to = Day(metadata={"description": "Last day (recorded), included."})


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


class PresenceImpactQueryArgsSchema(Schema):
    from_ = Day(data_key="from", metadata={"description": "First day (occurred)."})
    to = Day(metadata={"description": "Last day (occurred), included."})
    as_of = Instant(
        metadata={"description": "Incidents, rota and hours as known then."}
    )


class ImpactTimeToCloseSchema(Schema):
    median = fields.Float(allow_none=True)


class ImpactGroupSchema(Schema):
    hours = fields.Float(metadata={"description": "Opening hours in the group."})
    incidents = fields.Integer()
    per_hour = fields.Float(
        allow_none=True,
        metadata={"description": "incidents / hours; null under min_hours."},
    )
    by_severity = _counts()
    by_category = _counts()
    de_escalations = fields.Integer()
    calmed_rate = fields.Float()
    time_to_close_hours = fields.Nested(ImpactTimeToCloseSchema)


class OutsideOpeningHoursSchema(Schema):
    incidents = fields.Integer()


class PresenceImpactSchema(Schema):
    office = fields.String()
    from_ = fields.String(
        attribute="from", data_key="from", metadata={"format": "date"}
    )
    to = fields.String(metadata={"format": "date"})
    as_of = fields.String(allow_none=True, metadata={"format": "date-time"})
    min_hours = fields.Float()
    with_mediator = fields.Nested(ImpactGroupSchema)
    without_mediator = fields.Nested(ImpactGroupSchema)
    outside_opening_hours = fields.Nested(OutsideOpeningHoursSchema)

"""Describe the rota: shifts planned, changed, cancelled or imported, and hours."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from marshmallow import Schema, ValidationError, fields, validates

from incidents import values
from incidents.vocabulary import ShiftStatus, Weekday
from web.api.fields import Code, Day, Text
from web.api.schemas.common import PageQueryArgsSchema, PageSchema

TIME_MAX = 5
TIME = {"description": "Wall-clock time in Europe/Paris, HH:MM.", "example": "09:00"}


def _time(**kwargs: Any) -> Text:
    return Text(max_length=TIME_MAX, metadata=TIME, **kwargs)


class ShiftQueryArgsSchema(PageQueryArgsSchema):
    office = Code()
    mediator = Code(metadata={"description": "A mediator's user name."})
    from_ = Day(data_key="from", metadata={"description": "First day."})
    to = Day(metadata={"description": "Last day, included."})


class ShiftCsvQueryArgsSchema(Schema):
    office = Code()
    from_ = Day(data_key="from", metadata={"description": "First day."})
    to = Day(metadata={"description": "Last day, included."})


class ImportShiftsQueryArgsSchema(Schema):
    allow_sunday = fields.Boolean(
        load_default=False,
        metadata={"description": "Accept lines on a Sunday."},
    )


class PlanShiftSchema(Schema):
    id = fields.UUID(
        metadata={
            "description": "A random (version 4) UUID chosen by the client: "
            "sending the same shift again then stores it only once."
        }
    )
    mediator = Code(required=True, metadata={"description": "The user name."})
    office = Code(required=True)
    day = Day(required=True)
    start = _time(required=True)
    end = _time(required=True)
    note = Text(max_length=values.NOTE_MAX, allow_none=True)
    allow_sunday = fields.Boolean(load_default=False)

    @validates("id")
    def _random_id(self, value: UUID, **kwargs: Any) -> None:
        if value.version != 4:
            raise ValidationError("Give a random (version 4) UUID.")


class ChangeShiftSchema(Schema):
    office = Code()
    day = Day()
    start = _time()
    end = _time()
    reason = Text(max_length=values.REASON_MAX, required=True)
    allow_sunday = fields.Boolean(load_default=False)


class CancelShiftSchema(Schema):
    reason = Text(max_length=values.REASON_MAX, required=True)


class ShiftSchema(Schema):
    id = fields.UUID()
    version = fields.Integer()
    mediator = fields.String()
    office = fields.String()
    day = fields.Date()
    start = fields.String(metadata=TIME)
    end = fields.String(metadata=TIME)
    status = fields.String(metadata={"enum": [s.value for s in ShiftStatus]})
    note = fields.String(allow_none=True)


class ShiftPageSchema(PageSchema):
    items = fields.List(fields.Nested(ShiftSchema))


class ImportedShiftsSchema(Schema):
    created = fields.Integer(metadata={"description": "How many shifts were planned."})
    items = fields.List(fields.Nested(ShiftSchema))


def _intervals(**kwargs: Any) -> fields.List[Any]:
    return fields.List(
        fields.List(fields.String(metadata=TIME)),
        metadata={"description": "[start, end] pairs, [] when closed."},
        **kwargs,
    )


class OpeningHoursQueryArgsSchema(Schema):
    on = Day(metadata={"description": "The day the hours hold on (today)."})


class OpeningHoursSchema(Schema):
    monday = _intervals()
    tuesday = _intervals()
    wednesday = _intervals()
    thursday = _intervals()
    friday = _intervals()
    saturday = _intervals()
    sunday = _intervals()


class SetOpeningHoursSchema(Schema):
    effective_from = Day(metadata={"description": "From this day on (today)."})
    monday = fields.Raw(required=True, metadata={"type": "array"})
    tuesday = fields.Raw(required=True, metadata={"type": "array"})
    wednesday = fields.Raw(required=True, metadata={"type": "array"})
    thursday = fields.Raw(required=True, metadata={"type": "array"})
    friday = fields.Raw(required=True, metadata={"type": "array"})
    saturday = fields.Raw(required=True, metadata={"type": "array"})
    sunday = fields.Raw(required=True, metadata={"type": "array"})


WEEKDAY_FIELDS = tuple(day.value for day in Weekday)

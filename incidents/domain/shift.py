"""Model one shift of the rota: a mediator in an office, on a day, between two times.

Times are wall-clock ``HH:MM`` in Europe/Paris, the way a planner writes them; a
shift never crosses midnight. The rules that look only at the shift itself (times
in order, no Sunday unless allowed, nothing after a cancellation) are checked
here; those that need other aggregates (the mediator's scope, overlaps with their
other shifts) are checked by the application (:mod:`incidents.application.rota`)
with :mod:`incidents.domain.mediator_day`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, DomainEvent, event
from eventsourcing.utils import register_topic

from incidents import values
from incidents.errors import (
    InvalidInputError,
    NothingToChangeError,
    ShiftCancelledError,
)
from incidents.vocabulary import ShiftStatus

_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
SUNDAY = 6
CHANGEABLE_FIELDS = ("office", "day", "start", "end")
SHIFT_LOG_ID = uuid5(NAMESPACE_URL, "/shifts")


def wall_time(field: str, value: object) -> str:
    """Return a wall-clock time as ``HH:MM`` (00:00 to 23:59)."""
    if isinstance(value, str) and _TIME.match(value):
        return value
    raise InvalidInputError.field(field, "Give a time as HH:MM, from 00:00 to 23:59.")


def check_times(start: str, end: str) -> None:
    """Refuse a shift that does not end after it starts."""
    if not start < end:
        raise InvalidInputError.field(
            "end", f"The shift must end after it starts ({start}), on the same day."
        )


def check_weekday(day: date, *, allow_sunday: bool) -> None:
    """Refuse a Sunday unless the planner said it is meant."""
    if day.weekday() == SUNDAY and not allow_sunday:
        raise InvalidInputError.field(
            "day",
            f"{day.isoformat()} is a Sunday: offices are staffed Monday to "
            "Saturday. Send allow_sunday to plan it all the same.",
        )


class Shift(Aggregate):
    """Hold one planned (or cancelled) shift of one mediator."""

    TOPIC = "incidents:Shift"

    class Event(Aggregate.Event):
        TOPIC = "incidents:Shift.Event"

    class Created(Aggregate.Created):
        # Never triggered: a shift begins with ShiftPlanned.
        TOPIC = "incidents:Shift.Created"

    class ShiftPlanned(Aggregate.Created):
        TOPIC = "incidents:Shift.ShiftPlanned"
        mediator: str
        office: str
        day: date
        start: str
        end: str
        note: str | None
        actor: str

    class ShiftChanged(Event):
        TOPIC = "incidents:Shift.ShiftChanged"
        # Only the fields that changed, as strings (``day`` in ISO form).
        changes: dict[str, str]
        reason: str
        actor: str

    class ShiftCancelled(Event):
        TOPIC = "incidents:Shift.ShiftCancelled"
        reason: str
        actor: str

    @classmethod
    def plan(
        cls,
        *,
        actor: str,
        mediator: str,
        office: str,
        day: object,
        start: object,
        end: object,
        note: object = None,
        allow_sunday: bool = False,
        shift_id: UUID | None = None,
    ) -> Shift:
        """Plan a shift, checking its own rules (not the mediator's other shifts)."""
        checked_day = values.day("day", day)
        checked_start = wall_time("start", start)
        checked_end = wall_time("end", end)
        check_times(checked_start, checked_end)
        check_weekday(checked_day, allow_sunday=allow_sunday)
        kwargs: dict[str, Any] = {}
        if shift_id is not None:
            kwargs["id"] = shift_id
        return cls._create(
            cls.ShiftPlanned,
            mediator=mediator,
            office=office,
            day=checked_day,
            start=checked_start,
            end=checked_end,
            note=values.optional_text("note", note, max_length=values.NOTE_MAX),
            actor=actor,
            **kwargs,
        )

    @event(ShiftPlanned)
    def __init__(
        self,
        *,
        mediator: str,
        office: str,
        day: date,
        start: str,
        end: str,
        note: str | None,
        actor: str,
    ) -> None:
        self.mediator = mediator
        self.office = office
        self.day = day
        self.start = start
        self.end = end
        self.note = note
        self.status = ShiftStatus.PLANNED.value
        self.planned_by = actor

    @property
    def is_cancelled(self) -> bool:
        return self.status == ShiftStatus.CANCELLED.value

    def proposed(self, changes: dict[str, object]) -> dict[str, Any]:
        """Return the office, day, start and end the shift would have after changes.

        Refuse unknown fields, malformed values, and a cancelled shift.
        """
        self._check_planned("change")
        unknown = sorted(set(changes) - set(CHANGEABLE_FIELDS))
        if unknown:
            raise InvalidInputError.field(
                "changes",
                f"Cannot change {', '.join(unknown)}: only "
                f"{', '.join(CHANGEABLE_FIELDS)} can change.",
            )
        result: dict[str, Any] = {
            "office": self.office,
            "day": self.day,
            "start": self.start,
            "end": self.end,
        }
        if "office" in changes:
            office = changes["office"]
            if not isinstance(office, str) or not office:
                raise InvalidInputError.field("office", "Give an office code.")
            result["office"] = office
        if "day" in changes:
            result["day"] = values.day("day", changes["day"])
        for field in ("start", "end"):
            if field in changes:
                result[field] = wall_time(field, changes[field])
        return result

    def change(
        self,
        *,
        actor: str,
        changes: dict[str, object],
        reason: object,
        allow_sunday: bool = False,
    ) -> None:
        """Move the shift to another office, day or time, saying why."""
        after = self.proposed(changes)
        check_times(after["start"], after["end"])
        check_weekday(after["day"], allow_sunday=allow_sunday)
        before = {
            "office": self.office,
            "day": self.day,
            "start": self.start,
            "end": self.end,
        }
        changed = {
            field: (
                after[field].isoformat()
                if isinstance(after[field], date)
                else after[field]
            )
            for field in CHANGEABLE_FIELDS
            if after[field] != before[field]
        }
        if not changed:
            raise NothingToChangeError(
                f"Shift {self.id} already has this office, day and times."
            )
        self._change(
            changes=changed,
            reason=values.text("reason", reason, max_length=values.REASON_MAX),
            actor=actor,
        )

    @event(ShiftChanged)
    def _change(self, *, changes: dict[str, str], reason: str, actor: str) -> None:
        if "office" in changes:
            self.office = changes["office"]
        if "day" in changes:
            self.day = date.fromisoformat(changes["day"])
        if "start" in changes:
            self.start = changes["start"]
        if "end" in changes:
            self.end = changes["end"]

    def cancel(self, *, actor: str, reason: object) -> None:
        """Cancel the shift, saying why; a cancelled shift takes nothing more."""
        self._check_planned("cancel")
        self._cancel(
            reason=values.text("reason", reason, max_length=values.REASON_MAX),
            actor=actor,
        )

    @event(ShiftCancelled)
    def _cancel(self, *, reason: str, actor: str) -> None:
        self.status = ShiftStatus.CANCELLED.value

    def to_dict(self) -> dict[str, Any]:
        """Return the shift as plain data, in the shape of the HTTP contract."""
        return {
            "id": self.id,
            "version": self.version,
            "mediator": self.mediator,
            "office": self.office,
            "day": self.day,
            "start": self.start,
            "end": self.end,
            "status": self.status,
            "note": self.note,
        }

    def _check_planned(self, action: str) -> None:
        if self.is_cancelled:
            raise ShiftCancelledError(self.id, action)


class ShiftLogged(DomainEvent):
    """Record, in a log of its own, that a shift was planned (to list shifts)."""

    TOPIC = "incidents:ShiftLogged"
    shift_id: UUID


register_topic(ShiftLogged.TOPIC, ShiftLogged)

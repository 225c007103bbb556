"""Model an office's opening hours by weekday, each change effective from a date.

Until an admin changes them, an office opens Monday to Friday 09:00-18:00 and
Saturday 09:00-12:30. A change never rewrites the past: it says from which day
the new hours hold, so the hours of any past day stay what they were.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from incidents import values
from incidents.domain.shift import wall_time
from incidents.errors import InvalidInputError, NothingToChangeError
from incidents.vocabulary import Weekday

WEEKDAYS = tuple(day.value for day in Weekday)
MAX_INTERVALS = 4

Hours = dict[str, list[list[str]]]


def default_hours() -> Hours:
    """Return the hours every office keeps until an admin changes them."""
    weekday = [["09:00", "18:00"]]
    return {
        "monday": [list(interval) for interval in weekday],
        "tuesday": [list(interval) for interval in weekday],
        "wednesday": [list(interval) for interval in weekday],
        "thursday": [list(interval) for interval in weekday],
        "friday": [list(interval) for interval in weekday],
        "saturday": [["09:00", "12:30"]],
        "sunday": [],
    }


def opening_hours_id(office: str) -> UUID:
    """Return the id of an office's opening hours (one per office)."""
    return uuid5(NAMESPACE_URL, f"/offices/{office}/opening-hours")


def check_hours(hours: object) -> Hours:
    """Return a week of hours: every weekday, each a list of ordered intervals."""
    if not isinstance(hours, dict):
        raise InvalidInputError.field("hours", "Give the hours of each weekday.")
    errors: dict[str, str] = {}
    unknown = sorted(str(key) for key in hours if key not in WEEKDAYS)
    if unknown:
        errors["hours"] = f"Unknown weekdays: {', '.join(unknown)}."
    checked: Hours = {}
    for weekday in WEEKDAYS:
        try:
            checked[weekday] = _intervals(weekday, hours.get(weekday))
        except InvalidInputError as error:
            errors[weekday] = " ".join(error.errors[weekday])
    if errors:
        raise InvalidInputError(errors)
    return checked


def _intervals(weekday: str, value: object) -> list[list[str]]:
    if not isinstance(value, list) or len(value) > MAX_INTERVALS:
        raise InvalidInputError.field(
            weekday,
            f"Give a list of up to {MAX_INTERVALS} [start, end] pairs "
            "([] when closed).",
        )
    intervals: list[list[str]] = []
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise InvalidInputError.field(
                weekday, "Give each interval as [start, end]."
            )
        start, end = (wall_time(weekday, time) for time in item)
        if not start < end:
            raise InvalidInputError.field(
                weekday, f"{start}-{end} ends before it starts."
            )
        if intervals and start < intervals[-1][1]:
            raise InvalidInputError.field(
                weekday, "Give the intervals in order, without overlaps."
            )
        intervals.append([start, end])
    return intervals


class OpeningHours(Aggregate):
    """Hold the changes of one office's opening hours, in the order recorded."""

    TOPIC = "incidents:OpeningHours"

    class Event(Aggregate.Event):
        TOPIC = "incidents:OpeningHours.Event"

    class Created(Aggregate.Created):
        TOPIC = "incidents:OpeningHours.Created"
        office: str

    class OpeningHoursChanged(Event):
        TOPIC = "incidents:OpeningHours.OpeningHoursChanged"
        effective_from: date
        hours: dict[str, list[list[str]]]
        actor: str

    @classmethod
    def start(cls, office: str) -> OpeningHours:
        """Start the record of an office's hours (the defaults hold until changed)."""
        return cls._create(cls.Created, id=opening_hours_id(office), office=office)

    @event(Created)
    def __init__(self, *, office: str) -> None:
        self.office = office
        self.changes: list[tuple[date, Hours]] = []

    def change(self, *, actor: str, hours: object, effective_from: object) -> None:
        """Set the hours of every weekday from a date on."""
        checked = check_hours(hours)
        day = values.day("effective_from", effective_from)
        if self.hours_on(day) == checked:
            raise NothingToChangeError(
                f"{self.office} already has these hours on {day.isoformat()}."
            )
        self._change(effective_from=day, hours=checked, actor=actor)

    @event(OpeningHoursChanged)
    def _change(self, *, effective_from: date, hours: Hours, actor: str) -> None:
        self.changes.append((effective_from, hours))

    def hours_on(self, day: date) -> Hours:
        """Return the week's hours that hold on a day (the last change made for it)."""
        return hours_on(self.changes, day)

    def to_dict(self, day: date) -> dict[str, Any]:
        """Return the hours that hold on a day, with the aggregate's version."""
        return {"office": self.office, "version": self.version, **self.hours_on(day)}


def hours_on(changes: list[tuple[date, Hours]], day: date) -> Hours:
    """Return the hours in effect on a day, given changes in the order recorded.

    The change with the latest effective date not after the day wins; of two
    with the same date, the one recorded later.
    """
    effective: tuple[date, Hours] | None = None
    for change in changes:
        if change[0] <= day and (effective is None or change[0] >= effective[0]):
            effective = change
    return default_hours() if effective is None else effective[1]

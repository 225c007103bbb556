"""Keep one mediator's day of the rota, so that their shifts never overlap.

Every shift written for a mediator's day is booked here in the same save as the
shift's own event (ADR 0014). Two writers booking the same day at once both
write the next version of this aggregate: the store keeps one and refuses the
other, which reloads the day and checks again. So the overlap check and the
write it allows are one atomic step, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from incidents.errors import ShiftOverlapError


def mediator_day_id(mediator: str, day: date) -> UUID:
    """Return the id of a mediator's day (one per mediator and date)."""
    return uuid5(NAMESPACE_URL, f"/rota/{mediator}/{day.isoformat()}")


class MediatorDay(Aggregate):
    """Hold the planned shifts of one mediator on one day, by id, with their times."""

    TOPIC = "incidents:MediatorDay"

    class Event(Aggregate.Event):
        TOPIC = "incidents:MediatorDay.Event"

    class Created(Aggregate.Created):
        TOPIC = "incidents:MediatorDay.Created"
        mediator: str
        day: date

    class ShiftBooked(Event):
        TOPIC = "incidents:MediatorDay.ShiftBooked"
        shift_id: UUID
        start: str
        end: str

    class ShiftReleased(Event):
        TOPIC = "incidents:MediatorDay.ShiftReleased"
        shift_id: UUID

    @classmethod
    def open(cls, mediator: str, day: date) -> MediatorDay:
        """Start the record of a mediator's day, with nothing booked yet."""
        return cls._create(
            cls.Created, id=mediator_day_id(mediator, day), mediator=mediator, day=day
        )

    @event(Created)
    def __init__(self, *, mediator: str, day: date) -> None:
        self.mediator = mediator
        self.day = day
        self.bookings: dict[UUID, tuple[str, str]] = {}

    def book(self, shift_id: UUID, start: str, end: str) -> None:
        """Book a shift's times, or move them; refuse an overlap with another shift.

        Intervals are half-open: a shift ending at 12:30 and one starting at
        12:30 follow each other.
        """
        for other_id, (other_start, other_end) in sorted(
            self.bookings.items(), key=lambda item: item[1]
        ):
            if other_id != shift_id and start < other_end and other_start < end:
                raise ShiftOverlapError(
                    self.mediator,
                    other_id,
                    self.day.isoformat(),
                    other_start,
                    other_end,
                )
        if self.bookings.get(shift_id) != (start, end):
            self._book(shift_id=shift_id, start=start, end=end)

    @event(ShiftBooked)
    def _book(self, *, shift_id: UUID, start: str, end: str) -> None:
        self.bookings[shift_id] = (start, end)

    def release(self, shift_id: UUID) -> None:
        """Free the times a shift held (it moved to another day, or was cancelled)."""
        if shift_id in self.bookings:
            self._release(shift_id=shift_id)

    @event(ShiftReleased)
    def _release(self, *, shift_id: UUID) -> None:
        del self.bookings[shift_id]

"""Read and change the offices' opening hours, each change effective from a date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from incidents.application.offices import Offices
from incidents.application.store import MAX_ATTEMPTS, last_position
from incidents.domain.opening_hours import (
    Hours,
    OpeningHours,
    default_hours,
    hours_on,
    opening_hours_id,
)
from incidents.errors import ConcurrentWriteError

PARIS = ZoneInfo("Europe/Paris")


class OfficeHours(Offices):
    """Keep each office's opening hours: the defaults until an admin changes them."""

    clock: Callable[[], datetime]

    def get_opening_hours(self, office: str, *, on: date | None = None) -> Hours:
        """Return the hours of every weekday that hold on a day (today by default)."""
        code = self._check_office("office", office)
        day = on or self.today()
        hours = self._opening_hours(code)
        return default_hours() if hours is None else hours.hours_on(day)

    def opening_hours_by_day(
        self, office: str, *, as_of: datetime | None = None
    ) -> Callable[[date], Hours]:
        """Return the office's hours of any day, as the changes were known at a time.

        A change recorded after ``as_of`` is left out, whatever day it is for.
        """
        code = self._check_office("office", office)
        changes: list[tuple[date, Hours]] = []
        for event in self.events.get(opening_hours_id(code)):
            if as_of is not None and cast("Any", event).timestamp > as_of:
                break
            if isinstance(event, OpeningHours.OpeningHoursChanged):
                changes.append((event.effective_from, event.hours))
        return lambda day: hours_on(changes, day)

    def list_opening_hours_changes(self, office: str) -> list[tuple[date, Hours]]:
        """Return every change of an office's hours, in the order recorded."""
        hours = self._opening_hours(self._check_office("office", office))
        return [] if hours is None else list(hours.changes)

    def change_opening_hours(
        self,
        office: str,
        *,
        actor: str,
        hours: object,
        effective_from: object = None,
    ) -> tuple[dict[str, Any], int]:
        """Set an office's hours from a date on (today by default).

        Return the hours that hold on that date and the log position to wait for.
        """
        code = self._check_office("office", office)
        start = self.today() if effective_from is None else effective_from
        for attempt in range(1, MAX_ATTEMPTS + 1):
            record = self._opening_hours(code) or OpeningHours.start(code)
            record.change(actor=actor, hours=hours, effective_from=start)
            try:
                recordings = self.save(record)
            except IntegrityError:
                self._back_off(attempt)
                continue
            day = record.changes[-1][0]
            return record.to_dict(day), last_position(recordings)
        raise ConcurrentWriteError(opening_hours_id(code), MAX_ATTEMPTS)

    def today(self) -> date:
        """Return today's date in Paris, by the log's clock."""
        return self.clock().astimezone(PARIS).date()

    def _opening_hours(self, office: str) -> OpeningHours | None:
        try:
            record: OpeningHours = self.repository.get(opening_hours_id(office))
        except AggregateNotFoundError:
            return None
        return record

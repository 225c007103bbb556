"""Tell who was on shift when and where an incident occurred, now or as known at T.

The rota is read from the shifts' own events: as it stands now (kept in memory
until the log moves on), or as it was known at a past time, each shift rebuilt
from its events recorded by then. A corrected rota corrects the present answer,
never the past one.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, cast

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import Aggregate

from incidents.application.store import IncidentStore
from incidents.domain.presence import covering_mediator
from incidents.domain.shift import Shift, ShiftLogged
from incidents.vocabulary import ShiftStatus

PLANNED = ShiftStatus.PLANNED.value
# The events that change which shifts stand, and where and when.
SHIFT_TOPICS = (
    Shift.ShiftPlanned.TOPIC,
    Shift.ShiftChanged.TOPIC,
    Shift.ShiftCancelled.TOPIC,
)


class Presence(IncidentStore):
    """Read the rota now or as known at a time, and who it put where."""

    shift_log: EventSourcedLog[ShiftLogged]
    _rota_now: tuple[int, list[dict[str, Any]]] | None = None
    _rota_lock = threading.Lock()

    def mediator_on_shift(
        self, office: str, occurred_at: datetime, *, as_of: datetime | None = None
    ) -> str | None:
        """Return the mediator on shift in the office at that moment, or ``None``."""
        return covering_mediator(self.planned_rota(as_of=as_of), office, occurred_at)

    def planned_rota(self, *, as_of: datetime | None = None) -> list[dict[str, Any]]:
        """Return the planned shifts, now or as they were known at a time."""
        if as_of is not None:
            return self._rota_as_of(as_of)
        head = self._head()
        kept = self._rota_now
        if kept is not None and (
            kept[0] == head
            or not self.recorder.select_notifications(
                kept[0] + 1, 1, stop=head, topics=SHIFT_TOPICS
            )
        ):
            # Nothing written since changed the rota (one indexed look).
            with self._rota_lock:
                self._rota_now = (head, kept[1])
            return kept[1]
        shifts: list[dict[str, Any]] = []
        for logged in self.shift_log.get():
            current: Shift = self.repository.get(logged.shift_id)
            if current.status == PLANNED:
                shifts.append(current.to_dict())
        with self._rota_lock:
            self._rota_now = (head, shifts)
        return shifts

    def _rota_as_of(self, as_of: datetime) -> list[dict[str, Any]]:
        shifts = []
        for logged in self.shift_log.get():
            known = sum(
                1
                for event in self.events.get(logged.shift_id)
                if cast("Aggregate.Event", event).timestamp <= as_of
            )
            if not known:
                continue
            shift: Shift = self.repository.get(logged.shift_id, version=known)
            if shift.status == PLANNED:
                shifts.append(shift.to_dict())
        return shifts

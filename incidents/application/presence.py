"""Tell who was on shift when and where an incident occurred, now or as known at T.

The rota is read from the shifts' own events: as it stands now (kept in memory
until the log moves on), or as it was known at a past time, each shift rebuilt
from its events recorded by then. A corrected rota corrects the present answer,
never the past one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import Aggregate

from incidents.application.store import IncidentStore
from incidents.domain.presence import PARIS, covering_mediator
from incidents.domain.shift import Shift, ShiftLogged
from incidents.vocabulary import ShiftStatus

PLANNED = ShiftStatus.PLANNED.value
# The events that change which shifts stand, and where and when.
SHIFT_TOPICS = (
    Shift.ShiftPlanned.TOPIC,
    Shift.ShiftChanged.TOPIC,
    Shift.ShiftCancelled.TOPIC,
)


# How many of the rota's changes one look at the log takes.
CHANGES_BATCH = 500
# Guards the rota each log keeps: a newer one only ever replaces an older one.
_rota_lock = threading.Lock()


@dataclass(frozen=True)
class _Rota:
    """The planned shifts as the log stood at a position: by id, and by place.

    Never changed once made (a newer rota replaces it), so that requests read
    it without a lock. By place: the shifts of an office on a day, so that who
    was on shift costs the same however long the rota grows.
    """

    position: int
    by_id: Mapping[UUID, dict[str, Any]]
    by_place: Mapping[tuple[str, date], tuple[dict[str, Any], ...]]

    @classmethod
    def of(cls, position: int, shifts: Iterable[dict[str, Any]]) -> _Rota:
        return cls(position, {}, {}).updated(
            position, {shift["id"]: shift for shift in shifts}
        )

    def updated(
        self, position: int, changed: Mapping[UUID, dict[str, Any] | None]
    ) -> _Rota:
        """Return the rota at ``position`` from the shifts changed (None: gone)."""
        if not changed:  # The same shifts, known to a later position.
            return _Rota(position, self.by_id, self.by_place)
        by_id = dict(self.by_id)
        by_place = dict(self.by_place)
        for shift_id, shift in changed.items():
            old = by_id.pop(shift_id, None)
            if old is not None:
                place = _place(old)
                kept = tuple(s for s in by_place[place] if s["id"] != shift_id)
                if kept:
                    by_place[place] = kept
                else:
                    del by_place[place]
            if shift is not None:
                by_id[shift_id] = shift
                by_place[_place(shift)] = (*by_place.get(_place(shift), ()), shift)
        return _Rota(position, by_id, by_place)


def _place(shift: Mapping[str, Any]) -> tuple[str, date]:
    return shift["office"], shift["day"]


class Presence(IncidentStore):
    """Read the rota now or as known at a time, and who it put where."""

    shift_log: EventSourcedLog[ShiftLogged]
    _rota_now: _Rota | None = None

    def mediator_on_shift(
        self,
        office: str,
        occurred_at: datetime,
        *,
        as_of: datetime | None = None,
        reached: int | None = None,
    ) -> str | None:
        """Return the mediator on shift in the office at that moment, or ``None``.

        ``reached``: a log position the caller knows committed (its own write),
        to answer with the rota as it stood there at least, rather than ask the
        database where the log's head is: the answer to a write then costs at
        most one look at the log, none when the rota kept is newer.
        """
        if as_of is not None:
            return covering_mediator(self._rota_as_of(as_of), office, occurred_at)
        day = occurred_at.astimezone(PARIS).date()
        shifts = self._rota(reached).by_place.get((office, day), ())
        return covering_mediator(shifts, office, occurred_at)

    def planned_rota(self, *, as_of: datetime | None = None) -> list[dict[str, Any]]:
        """Return the planned shifts, now or as they were known at a time."""
        if as_of is not None:
            return self._rota_as_of(as_of)
        return list(self._rota(None).by_id.values())

    def _rota(self, reached: int | None) -> _Rota:
        """Return the rota now: the one kept, brought up to the log's head.

        Only the shifts changed since the rota kept are read again.
        """
        kept = self._rota_now
        if kept is not None and reached is not None and kept.position >= reached:
            return kept
        head = self._head() if reached is None else reached
        if kept is None:
            rota = _Rota.of(head, self._read_planned_shifts())
        elif kept.position >= head:
            return kept
        else:
            rota = kept.updated(head, self._shifts_changed(kept.position, head))
        with _rota_lock:
            if self._rota_now is None or self._rota_now.position < rota.position:
                self._rota_now = rota
        return rota

    def _read_planned_shifts(self) -> Iterator[dict[str, Any]]:
        for logged in self.shift_log.get():
            current: Shift = self.repository.get(logged.shift_id)
            if current.status == PLANNED:
                yield current.to_dict()

    def _shifts_changed(
        self, after: int, head: int
    ) -> dict[UUID, dict[str, Any] | None]:
        """Return the shifts changed between two positions, as they are now."""
        changed: set[UUID] = set()
        start = after + 1
        while True:
            notifications = self.recorder.select_notifications(
                start, CHANGES_BATCH, stop=head, topics=SHIFT_TOPICS
            )
            changed.update(UUID(str(n.originator_id)) for n in notifications)
            if len(notifications) < CHANGES_BATCH:
                break
            start = notifications[-1].id + 1
        shifts: dict[UUID, dict[str, Any] | None] = {}
        for shift_id in changed:
            current: Shift = self.repository.get(shift_id)
            shifts[shift_id] = current.to_dict() if current.status == PLANNED else None
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

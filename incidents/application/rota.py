"""Plan, change and cancel the rota's shifts, one at a time or a whole file at once.

A shift's events are saved in one transaction with the booking of its mediator's
day (:mod:`incidents.domain.mediator_day`, ADR 0014) and, for a new shift, its
entry in the log of shifts. A writer that loses the race reloads and checks every
rule again, so two overlapping shifts planned at the same moment cannot both be
stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, EventSourcedLog
from eventsourcing.persistence import IntegrityError

from incidents.application.people import People
from incidents.application.queries import event_data
from incidents.application.store import MAX_ATTEMPTS, last_position
from incidents.domain.mediator_day import MediatorDay, mediator_day_id
from incidents.domain.shift import SHIFT_LOG_ID, Shift, ShiftLogged
from incidents.errors import (
    ConcurrentWriteError,
    IncidentsError,
    InvalidInputError,
    ShiftConflictError,
    ShiftNotFoundError,
    StaleVersionError,
    UserNotFoundError,
)
from incidents.vocabulary import Role


@dataclass(frozen=True)
class ShiftWrite:
    """Say what a command on shifts left, and the log position to wait for."""

    shifts: list[dict[str, Any]]
    position: int
    created: bool = False

    @property
    def shift(self) -> dict[str, Any]:
        """Return the one shift a command on a single shift wrote."""
        return self.shifts[0]


@dataclass(frozen=True)
class PlannedShift:
    """Carry what a planner asks for one shift, before any check."""

    mediator: object
    office: object
    day: object
    start: object
    end: object
    note: object = None
    allow_sunday: bool = False
    shift_id: UUID | None = None


class Rota(People):
    """Plan the mediators' shifts, keeping each mediator's shifts apart."""

    shift_log: EventSourcedLog[ShiftLogged]

    def plan_shift(self, *, actor: str, plan: PlannedShift) -> ShiftWrite:
        """Plan one shift; the same shift again (same id and content) is harmless.

        With a client-generated ``shift_id``, the same content again returns the
        shift already stored (``created`` is false), and different content
        raises :class:`ShiftConflictError`.
        """
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if plan.shift_id is not None:
                existing = self._shift_already_planned(plan.shift_id, actor, plan)
                if existing is not None:
                    return existing
            shifts, pending = self._planned([plan], actor=actor)
            try:
                recordings = self.save(*pending)
            except IntegrityError:
                # Another writer booked this mediator's day, took the next place
                # in the log of shifts, or stored this very id: look again.
                self._back_off(attempt)
                continue
            return ShiftWrite(
                [shift.to_dict() for shift in shifts],
                last_position(recordings),
                created=True,
            )
        raise ConcurrentWriteError(SHIFT_LOG_ID, MAX_ATTEMPTS)

    def import_shifts(
        self,
        *,
        actor: str,
        plans: Sequence[tuple[int, PlannedShift]],
        offices: frozenset[str] | None = None,
    ) -> ShiftWrite:
        """Plan every shift of a file, or none: errors are keyed ``line N``.

        Each plan comes with its line number. A line that breaks a rule (an
        overlap included, with the rota stored or an earlier line) is reported,
        and nothing is written unless every line is right. ``offices`` are
        those the planner covers (``None``: every office); any other office is
        refused as unknown.
        """
        if not plans:
            raise InvalidInputError.field("file", "The file holds no shift.")
        for attempt in range(1, MAX_ATTEMPTS + 1):
            shifts, pending = self._planned(
                [plan for _, plan in plans],
                actor=actor,
                lines=[line for line, _ in plans],
                offices=offices,
            )
            try:
                recordings = self.save(*pending)
            except IntegrityError:
                self._back_off(attempt)
                continue
            return ShiftWrite(
                [shift.to_dict() for shift in shifts],
                last_position(recordings),
                created=True,
            )
        raise ConcurrentWriteError(SHIFT_LOG_ID, MAX_ATTEMPTS)

    def change_shift(
        self,
        shift_id: UUID,
        *,
        actor: str,
        changes: Mapping[str, object],
        reason: object,
        allow_sunday: bool = False,
        expected_version: int | None = None,
    ) -> ShiftWrite:
        """Move a shift to another office, day or time, saying why."""

        def change(shift: Shift, days: _Days) -> None:
            before = shift.day
            after = shift.proposed(dict(changes))
            if after["office"] != shift.office:
                self._check_office("office", after["office"])
            self._check_mediator(shift.mediator, after["office"])
            shift.change(
                actor=actor,
                changes=dict(changes),
                reason=reason,
                allow_sunday=allow_sunday,
            )
            if shift.day != before:
                days.get(shift.mediator, before).release(shift.id)
            days.get(shift.mediator, shift.day).book(shift.id, shift.start, shift.end)

        return self._change_shift(shift_id, change, expected_version)

    def cancel_shift(
        self,
        shift_id: UUID,
        *,
        actor: str,
        reason: object,
        expected_version: int | None = None,
    ) -> ShiftWrite:
        """Cancel a shift, saying why; its times are free again."""

        def cancel(shift: Shift, days: _Days) -> None:
            shift.cancel(actor=actor, reason=reason)
            days.get(shift.mediator, shift.day).release(shift.id)

        return self._change_shift(shift_id, cancel, expected_version)

    def get_shift(
        self, shift_id: UUID, *, version: int | None = None
    ) -> dict[str, Any]:
        """Return a shift now, or as it was at a given version."""
        return self._load_shift(shift_id, version=version).to_dict()

    def list_shifts(
        self,
        *,
        office: str | None = None,
        mediator: str | None = None,
        offices: frozenset[str] | None = None,
        first_day: date | None = None,
        last_day: date | None = None,
    ) -> list[dict[str, Any]]:
        """Return the shifts (cancelled ones too) by day, start and mediator.

        ``offices`` limits them to a person's scope (``None``: every office).
        """
        found = []
        for logged in self.shift_log.get():
            shift = self._load_shift(logged.shift_id).to_dict()
            if (
                (office is None or shift["office"] == office)
                and (mediator is None or shift["mediator"] == mediator)
                and (offices is None or shift["office"] in offices)
                and (first_day is None or shift["day"] >= first_day)
                and (last_day is None or shift["day"] <= last_day)
            ):
                found.append(shift)
        found.sort(key=lambda shift: (shift["day"], shift["start"], shift["mediator"]))
        return found

    def _planned(
        self,
        plans: Sequence[PlannedShift],
        *,
        actor: str,
        lines: Sequence[int] | None = None,
        offices: frozenset[str] | None = None,
    ) -> tuple[list[Shift], list[Any]]:
        """Build the shifts and the events to save, or raise what was wrong.

        With ``lines``, every plan is checked and the errors are gathered by
        line; without, the first error is raised as it is.
        """
        days = _Days(self)
        shifts: list[Shift] = []
        errors: dict[str, list[str]] = {}
        for number, plan in enumerate(plans):
            try:
                if offices is not None and plan.office not in offices:
                    raise InvalidInputError.unknown_code(
                        "office", plan.office, sorted(offices)
                    )
                shift = self._plan_one(plan, actor=actor, days=days)
            except IncidentsError as error:
                if lines is None:
                    raise
                errors[f"line {lines[number]}"] = _messages(error)
                continue
            shifts.append(shift)
        if errors:
            raise InvalidInputError(errors)
        last = self.shift_log.get_last()
        next_version = 1 if last is None else last.originator_version + 1
        logged = [
            self.shift_log.trigger_event(
                next_originator_version=next_version + offset, shift_id=shift.id
            )
            for offset, shift in enumerate(shifts)
        ]
        pending = [event for shift in shifts for event in shift.collect_events()]
        return shifts, [*pending, *days.pending(), *logged]

    def _plan_one(self, plan: PlannedShift, *, actor: str, days: _Days) -> Shift:
        mediator = _mediator_name(plan.mediator)
        office = self._check_office("office", plan.office)
        self._check_mediator(mediator, office)
        shift = Shift.plan(
            actor=actor,
            mediator=mediator,
            office=office,
            day=plan.day,
            start=plan.start,
            end=plan.end,
            note=plan.note,
            allow_sunday=plan.allow_sunday,
            shift_id=plan.shift_id,
        )
        days.get(mediator, shift.day).book(shift.id, shift.start, shift.end)
        return shift

    def _shift_already_planned(
        self, shift_id: UUID, actor: str, plan: PlannedShift
    ) -> ShiftWrite | None:
        stored = next(iter(self.events.get(shift_id, lte=1)), None)
        if stored is None:
            return None
        if not isinstance(stored, Shift.ShiftPlanned):
            raise ShiftConflictError(shift_id)
        # Build the same plan again, alone, to compare what it would record.
        candidate = Shift.plan(
            actor=actor,
            mediator=_mediator_name(plan.mediator),
            office=str(plan.office),
            day=plan.day,
            start=plan.start,
            end=plan.end,
            note=plan.note,
            allow_sunday=True,
            shift_id=shift_id,
        ).collect_events()[0]
        if event_data(stored) != event_data(candidate):
            raise ShiftConflictError(shift_id)
        return ShiftWrite([self.get_shift(shift_id)], self._head())

    def _check_mediator(self, name: str, office: str) -> None:
        """Refuse a person who cannot take a shift in this office."""
        try:
            person = self._load_user(name)
        except (UserNotFoundError, InvalidInputError):
            raise InvalidInputError.field(
                "mediator", f"{name!r} is not a known person."
            ) from None
        if not person.is_active:
            raise InvalidInputError.field("mediator", f"{name!r} is deactivated.")
        if person.role != Role.MEDIATOR.value:
            raise InvalidInputError.field(
                "mediator", f"{name!r} is {person.role}, not a mediator."
            )
        if person.offices is not None and office not in person.offices:
            raise InvalidInputError.field(
                "mediator", f"{name!r} does not cover the office {office!r}."
            )

    def _change_shift(
        self,
        shift_id: UUID,
        command: Callable[[Shift, _Days], None],
        expected_version: int | None,
    ) -> ShiftWrite:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            shift = self._load_shift(shift_id)
            if expected_version is not None and shift.version != expected_version:
                raise StaleVersionError(
                    shift_id, expected_version, shift.version, kind="Shift"
                )
            days = _Days(self)
            command(shift, days)
            try:
                recordings = self.save(*shift.collect_events(), *days.pending())
            except IntegrityError:
                self._back_off(attempt)
                continue
            return ShiftWrite([shift.to_dict()], last_position(recordings))
        raise ConcurrentWriteError(shift_id, MAX_ATTEMPTS)

    def _load_shift(self, shift_id: UUID, *, version: int | None = None) -> Shift:
        if any(
            isinstance(log, EventSourcedLog) and log.originator_id == shift_id
            for log in vars(self).values()
        ):
            # Logs hold plain events that no aggregate is made of.
            raise ShiftNotFoundError(shift_id)
        try:
            shift: Shift = self.repository.get(shift_id, version=version)
        except AggregateNotFoundError:
            raise ShiftNotFoundError(shift_id) from None
        if not isinstance(shift, Shift) or (
            version is not None and shift.version != version
        ):
            raise ShiftNotFoundError(shift_id)
        return shift


class _Days:
    """Load each mediator's day once per attempt, opening those not yet booked."""

    def __init__(self, store: Rota) -> None:
        self._store = store
        self._days: dict[UUID, MediatorDay] = {}

    def get(self, mediator: str, day: date) -> MediatorDay:
        key = mediator_day_id(mediator, day)
        if key not in self._days:
            try:
                self._days[key] = self._store.repository.get(key)
            except AggregateNotFoundError:
                self._days[key] = MediatorDay.open(mediator, day)
        return self._days[key]

    def pending(self) -> list[Any]:
        return [event for day in self._days.values() for event in day.collect_events()]


def _mediator_name(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInputError.field("mediator", "Give the mediator's user name.")
    return value


def _messages(error: IncidentsError) -> list[str]:
    if isinstance(error, InvalidInputError):
        return [
            f"{field}: {message}"
            for field, messages in error.errors.items()
            for message in messages
        ]
    return [error.message]

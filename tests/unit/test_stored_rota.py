"""Read back the rota's events as first stored: shifts, mediators' days and hours.

``data/events-of-the-first-rota.json`` holds the rows the recorder stored when
the rota was first built: two shifts planned (one changed, one cancelled), the
mediator's days they booked, and one change of an office's opening hours. Later
code must still decode and rebuild every one of them.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from incidents.domain import MediatorDay, OpeningHours, Shift
from incidents.domain.mediator_day import mediator_day_id
from incidents.domain.opening_hours import default_hours, opening_hours_id
from incidents.domain.shift import ShiftLogged
from tests.unit.conftest import log_of_stored_rows
from tests.unit.test_event_topics import DESIGNED_EVENTS

STORED = Path(__file__).parent / "data" / "events-of-the-first-rota.json"
CHANGED = UUID("5a1f0000-0000-4000-8000-000000000001")
CANCELLED = UUID("5a1f0000-0000-4000-8000-000000000002")


@pytest.fixture
def rows():
    return json.loads(STORED.read_text(encoding="utf-8"))


@pytest.fixture
def old_log(rows):
    return log_of_stored_rows(rows)


def test_the_stored_rows_hold_every_event_of_the_rota(rows):
    designed = {
        f"incidents:{aggregate.__name__}.{name}"
        for aggregate in (Shift, MediatorDay, OpeningHours)
        for name in DESIGNED_EVENTS[aggregate]
    }

    assert {row["topic"] for row in rows} == designed | {ShiftLogged.TOPIC}


def test_the_stored_shifts_rebuild_as_they_were_left(old_log):
    changed = old_log.get_shift(CHANGED)
    cancelled = old_log.get_shift(CANCELLED)

    assert (changed["office"], changed["day"], changed["start"], changed["end"]) == (
        "asnieres-4-routes",
        date(2026, 12, 9),
        "09:00",
        "12:00",
    )
    assert changed["version"] == 2
    assert changed["note"] == "Matin"
    assert cancelled["status"] == "cancelled"
    assert old_log.get_shift(CHANGED, version=1)["day"] == date(2026, 12, 7)
    assert [s["id"] for s in old_log.list_shifts()] == [CANCELLED, CHANGED]


def test_the_stored_days_and_hours_rebuild(old_log):
    def bookings(day):
        return old_log.repository.get(mediator_day_id("amina", day)).bookings

    assert bookings(date(2026, 12, 7)) == {}
    assert bookings(date(2026, 12, 8)) == {}
    assert bookings(date(2026, 12, 9)) == {CHANGED: ("09:00", "12:00")}
    hours = old_log.repository.get(opening_hours_id("colombes-aragon"))
    assert hours.hours_on(date(2027, 1, 2)) == default_hours()
    assert hours.hours_on(date(2027, 1, 4)) == {**default_hours(), "saturday": []}

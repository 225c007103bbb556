"""Plan, change and cancel shifts by the rota's rules, and keep each office's hours."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from incidents.application import PlannedShift
from incidents.domain import MediatorDay, OpeningHours, Shift
from incidents.domain.mediator_day import mediator_day_id
from incidents.domain.opening_hours import default_hours, opening_hours_id
from incidents.errors import (
    InvalidInputError,
    NothingToChangeError,
    ShiftCancelledError,
    ShiftConflictError,
    ShiftNotFoundError,
    ShiftOverlapError,
    StaleVersionError,
)

MONDAY = date(2026, 3, 2)
SATURDAY = date(2026, 3, 7)
SUNDAY = date(2026, 3, 8)
OFFICE = "colombes-aragon"
OTHER_OFFICE = "nanterre-centre"
PLANNER = "officer-1"


@pytest.fixture
def rota_log(log):
    log.register_user(actor="admin", name="amina", role="mediator", offices=[OFFICE])
    log.register_user(actor="admin", name="bruno", role="mediator")
    log.register_user(actor="admin", name="olga", role="officer")
    return log


def plan(**overrides):
    values = {
        "mediator": "amina",
        "office": OFFICE,
        "day": MONDAY,
        "start": "09:00",
        "end": "12:30",
    }
    values.update(overrides)
    return PlannedShift(**values)


def test_a_planned_shift_records_one_event_and_books_the_mediators_day(rota_log):
    written = rota_log.plan_shift(actor=PLANNER, plan=plan(note="Matin"))

    shift = written.shift
    assert written.created
    assert shift["mediator"] == "amina"
    assert shift["office"] == OFFICE
    assert shift["day"] == MONDAY
    assert (shift["start"], shift["end"]) == ("09:00", "12:30")
    assert shift["status"] == "planned"
    assert shift["version"] == 1
    assert [type(e) for e in rota_log.events.get(shift["id"])] == [Shift.ShiftPlanned]
    day = rota_log.repository.get(mediator_day_id("amina", MONDAY))
    assert day.bookings == {shift["id"]: ("09:00", "12:30")}
    assert [type(e) for e in rota_log.events.get(day.id)] == [
        MediatorDay.Created,
        MediatorDay.ShiftBooked,
    ]
    assert rota_log.list_shifts() == [shift]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start": "12:30", "end": "12:30"}, "end"),
        ({"start": "14:00", "end": "09:00"}, "end"),
        ({"start": "9:00"}, "start"),
        ({"end": "24:00"}, "end"),
        ({"day": "2026-02-30"}, "day"),
        ({"office": "nowhere"}, "office"),
        ({"mediator": "nobody"}, "mediator"),
        ({"mediator": "olga"}, "mediator"),
        ({"office": OTHER_OFFICE}, "mediator"),
    ],
)
def test_a_shift_that_breaks_a_rule_is_refused_and_nothing_is_stored(
    rota_log, overrides, field
):
    head = rota_log.recorder.max_notification_id()

    with pytest.raises(InvalidInputError) as raised:
        rota_log.plan_shift(actor=PLANNER, plan=plan(**overrides))

    assert field in raised.value.errors
    assert rota_log.recorder.max_notification_id() == head


def test_a_deactivated_mediator_takes_no_shift(rota_log):
    rota_log.deactivate_user("amina", actor="admin", reason="Départ.")

    with pytest.raises(InvalidInputError, match="deactivated"):
        rota_log.plan_shift(actor=PLANNER, plan=plan())


def test_a_mediator_without_an_office_list_covers_every_office(rota_log):
    written = rota_log.plan_shift(
        actor=PLANNER, plan=plan(mediator="bruno", office=OTHER_OFFICE)
    )

    assert written.shift["office"] == OTHER_OFFICE


def test_sunday_is_refused_unless_allowed(rota_log):
    with pytest.raises(InvalidInputError, match="Sunday") as raised:
        rota_log.plan_shift(actor=PLANNER, plan=plan(day=SUNDAY))
    assert "day" in raised.value.errors

    written = rota_log.plan_shift(
        actor=PLANNER, plan=plan(day=SUNDAY, allow_sunday=True)
    )
    assert written.shift["day"] == SUNDAY
    assert rota_log.plan_shift(actor=PLANNER, plan=plan(day=SATURDAY)).created


@pytest.mark.parametrize(
    ("start", "end"),
    [("08:00", "09:01"), ("12:29", "13:00"), ("10:00", "11:00"), ("08:00", "13:00")],
)
def test_overlapping_shifts_of_one_mediator_are_refused_naming_the_clash(
    rota_log, start, end
):
    first = rota_log.plan_shift(actor=PLANNER, plan=plan()).shift

    with pytest.raises(ShiftOverlapError) as raised:
        rota_log.plan_shift(
            actor=PLANNER, plan=plan(office=OFFICE, start=start, end=end)
        )

    assert raised.value.clashing_id == first["id"]
    assert str(first["id"]) in raised.value.errors["shift_overlap"][0]
    assert [s["id"] for s in rota_log.list_shifts()] == [first["id"]]


def test_back_to_back_shifts_and_other_mediators_shifts_are_fine(rota_log):
    rota_log.plan_shift(actor=PLANNER, plan=plan())
    rota_log.plan_shift(actor=PLANNER, plan=plan(start="12:30", end="18:00"))
    rota_log.plan_shift(actor=PLANNER, plan=plan(start="08:00", end="09:00"))
    rota_log.plan_shift(actor=PLANNER, plan=plan(mediator="bruno"))
    rota_log.plan_shift(actor=PLANNER, plan=plan(day=SATURDAY))

    assert len(rota_log.list_shifts()) == 5


def test_the_same_shift_sent_again_with_its_id_is_stored_once(rota_log):
    shift_id = uuid4()
    first = rota_log.plan_shift(actor=PLANNER, plan=plan(shift_id=shift_id))
    again = rota_log.plan_shift(actor=PLANNER, plan=plan(shift_id=shift_id))

    assert first.created
    assert not again.created
    assert again.shift == first.shift
    assert len(rota_log.list_shifts()) == 1
    with pytest.raises(ShiftConflictError):
        rota_log.plan_shift(actor=PLANNER, plan=plan(shift_id=shift_id, end="13:00"))


def test_a_change_moves_the_shift_and_its_booking(rota_log):
    shift = rota_log.plan_shift(actor=PLANNER, plan=plan()).shift
    other = rota_log.plan_shift(actor=PLANNER, plan=plan(day=SATURDAY)).shift

    changed = rota_log.change_shift(
        shift["id"],
        actor=PLANNER,
        changes={"day": "2026-03-03", "start": "14:00", "end": "17:00"},
        reason="Échange avec Bruno.",
    ).shift

    assert (changed["day"], changed["start"], changed["end"]) == (
        date(2026, 3, 3),
        "14:00",
        "17:00",
    )
    assert changed["version"] == 2
    stored = list(rota_log.events.get(shift["id"]))
    assert isinstance(stored[-1], Shift.ShiftChanged)
    assert stored[-1].changes == {"day": "2026-03-03", "start": "14:00", "end": "17:00"}
    monday = rota_log.repository.get(mediator_day_id("amina", MONDAY))
    tuesday = rota_log.repository.get(mediator_day_id("amina", date(2026, 3, 3)))
    assert monday.bookings == {}
    assert tuesday.bookings == {shift["id"]: ("14:00", "17:00")}
    # The freed morning takes another shift; the Saturday one cannot move onto
    # the new afternoon.
    rota_log.plan_shift(actor=PLANNER, plan=plan())
    with pytest.raises(ShiftOverlapError):
        rota_log.change_shift(
            other["id"],
            actor=PLANNER,
            changes={"day": "2026-03-03", "start": "16:00", "end": "18:00"},
            reason="Essai.",
        )


def test_a_change_is_checked_like_a_plan(rota_log):
    shift = rota_log.plan_shift(actor=PLANNER, plan=plan()).shift

    def change(changes, reason="Parce que."):
        return rota_log.change_shift(
            shift["id"], actor=PLANNER, changes=changes, reason=reason
        )

    with pytest.raises(InvalidInputError, match="mediator"):
        change({"office": OTHER_OFFICE})
    with pytest.raises(InvalidInputError, match="office"):
        change({"office": "nowhere"})
    with pytest.raises(InvalidInputError, match="Sunday"):
        change({"day": SUNDAY.isoformat()})
    with pytest.raises(InvalidInputError, match="end"):
        change({"end": "08:00"})
    with pytest.raises(InvalidInputError, match="mediator"):
        change({"mediator": "bruno"})
    with pytest.raises(InvalidInputError, match="reason"):
        change({"end": "12:00"}, reason=" ")
    with pytest.raises(NothingToChangeError):
        change({"start": "09:00"})
    assert rota_log.get_shift(shift["id"])["version"] == 1


def test_a_stale_version_is_refused(rota_log):
    shift = rota_log.plan_shift(actor=PLANNER, plan=plan()).shift
    rota_log.change_shift(
        shift["id"], actor=PLANNER, changes={"end": "12:00"}, reason="Plus tôt."
    )

    with pytest.raises(StaleVersionError, match="Shift"):
        rota_log.cancel_shift(
            shift["id"], actor=PLANNER, reason="Malade.", expected_version=1
        )


def test_a_cancelled_shift_frees_its_times_and_takes_nothing_more(rota_log):
    shift = rota_log.plan_shift(actor=PLANNER, plan=plan()).shift

    cancelled = rota_log.cancel_shift(shift["id"], actor=PLANNER, reason="Malade.")

    assert cancelled.shift["status"] == "cancelled"
    with pytest.raises(ShiftCancelledError):
        rota_log.cancel_shift(shift["id"], actor=PLANNER, reason="Encore.")
    with pytest.raises(ShiftCancelledError):
        rota_log.change_shift(
            shift["id"], actor=PLANNER, changes={"end": "12:00"}, reason="Non."
        )
    assert rota_log.plan_shift(actor=PLANNER, plan=plan()).created


def test_an_unknown_shift_is_not_found(rota_log):
    with pytest.raises(ShiftNotFoundError):
        rota_log.get_shift(uuid4())
    with pytest.raises(ShiftNotFoundError):
        rota_log.get_shift(rota_log.shift_log.originator_id)
    incident_id = rota_log.register_user(actor="a", name="zoe", role="mediator")["id"]
    with pytest.raises(ShiftNotFoundError):
        rota_log.cancel_shift(incident_id, actor=PLANNER, reason="Non.")


def test_an_import_writes_every_line_or_none_and_names_the_bad_lines(rota_log):
    head = rota_log.recorder.max_notification_id()
    lines = [
        (2, plan()),
        (3, plan(mediator="bruno")),
        (4, plan(start="12:00", end="14:00")),  # overlaps line 2
        (5, plan(day=SUNDAY)),
        (6, plan(start="13:00", end="15:00")),  # fine once line 4 is left out
    ]

    with pytest.raises(InvalidInputError) as raised:
        rota_log.import_shifts(actor=PLANNER, plans=lines)

    assert set(raised.value.errors) == {"line 4", "line 5"}
    assert "shift_overlap" not in raised.value.errors
    assert "Sunday" in raised.value.errors["line 5"][0]
    assert rota_log.recorder.max_notification_id() == head

    good = [lines[0], lines[1], lines[4]]
    written = rota_log.import_shifts(actor=PLANNER, plans=good)
    assert len(written.shifts) == 3
    assert [s["start"] for s in rota_log.list_shifts(mediator="amina")] == [
        "09:00",
        "13:00",
    ]


def test_an_import_refuses_a_line_clashing_with_the_stored_rota(rota_log):
    stored = rota_log.plan_shift(actor=PLANNER, plan=plan()).shift

    with pytest.raises(InvalidInputError) as raised:
        rota_log.import_shifts(
            actor=PLANNER, plans=[(2, plan(mediator="bruno")), (3, plan(end="10:00"))]
        )

    assert list(raised.value.errors) == ["line 3"]
    assert str(stored["id"]) in raised.value.errors["line 3"][0]
    assert len(rota_log.list_shifts()) == 1


def test_shifts_are_listed_by_office_mediator_and_days(rota_log):
    rota_log.plan_shift(actor=PLANNER, plan=plan())
    rota_log.plan_shift(actor=PLANNER, plan=plan(mediator="bruno", office=OTHER_OFFICE))
    rota_log.plan_shift(actor=PLANNER, plan=plan(day=SATURDAY))

    assert len(rota_log.list_shifts(office=OFFICE)) == 2
    assert len(rota_log.list_shifts(mediator="bruno")) == 1
    assert len(rota_log.list_shifts(offices=frozenset({OTHER_OFFICE}))) == 1
    assert len(rota_log.list_shifts(first_day=SATURDAY)) == 1
    assert len(rota_log.list_shifts(last_day=MONDAY)) == 2


def test_opening_hours_default_then_change_from_a_date(log):
    assert log.get_opening_hours(OFFICE) == default_hours()
    assert default_hours()["saturday"] == [["09:00", "12:30"]]
    assert default_hours()["sunday"] == []
    hours = {**default_hours(), "wednesday": [["09:00", "12:00"], ["14:00", "18:00"]]}

    changed, _ = log.change_opening_hours(
        OFFICE, actor="admin", hours=hours, effective_from="2026-03-04"
    )

    assert changed["wednesday"] == [["09:00", "12:00"], ["14:00", "18:00"]]
    assert log.get_opening_hours(OFFICE, on=date(2026, 3, 3)) == default_hours()
    assert log.get_opening_hours(OFFICE, on=date(2026, 3, 4)) == hours
    assert log.get_opening_hours(OTHER_OFFICE, on=date(2026, 3, 4)) == default_hours()
    record = log.repository.get(opening_hours_id(OFFICE))
    assert [type(e) for e in log.events.get(record.id)] == [
        OpeningHours.Created,
        OpeningHours.OpeningHoursChanged,
    ]
    with pytest.raises(NothingToChangeError):
        log.change_opening_hours(
            OFFICE, actor="admin", hours=hours, effective_from="2026-03-05"
        )


@pytest.mark.parametrize(
    ("hours", "key"),
    [
        ({**default_hours(), "monday": [["18:00", "09:00"]]}, "monday"),
        (
            {**default_hours(), "monday": [["09:00", "13:00"], ["12:00", "18:00"]]},
            "monday",
        ),
        ({**default_hours(), "friday": "09:00-18:00"}, "friday"),
        ({**default_hours(), "funday": []}, "hours"),
        ({"monday": [["09:00", "18:00"]]}, "tuesday"),
        ({**default_hours(), "sunday": [["09:00"]]}, "sunday"),
    ],
)
def test_bad_opening_hours_are_refused_naming_the_day(log, hours, key):
    with pytest.raises(InvalidInputError) as raised:
        log.change_opening_hours(OFFICE, actor="admin", hours=hours)

    assert key in raised.value.errors
    assert log.get_opening_hours(OFFICE) == default_hours()

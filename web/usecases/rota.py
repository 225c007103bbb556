"""Say whose shifts a person may read and which shifts they may plan or change.

A mediator reads their own shifts only; officers read and plan the shifts of the
offices they cover; auditors read and admins read and plan every office's. A
shift outside a person's offices is not found (404), as for an incident. The
pages share the weeks they show and the shift a mediator is on now.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from incidents.errors import (
    InvalidInputError,
    PermissionDeniedError,
    ShiftNotFoundError,
)
from incidents.permissions import Action, covers, is_allowed, visible_offices
from projections.queries import paris_today
from web import get_incident_log
from web.usecases.read_your_writes import fresh_read_models
from web.usecases.scope import check_office_field

PARIS = ZoneInfo("Europe/Paris")


def readable_shifts(
    user: dict[str, Any], *, office: str | None, mediator: str | None
) -> dict[str, Any]:
    """Return the filters that keep a person to the shifts they may read.

    Refuse (403) a mediator asking for someone else's shifts, and an office
    outside the person's scope as unknown (422).
    """
    if office is not None:
        check_office_field(user, "office", office)
    if not is_allowed(user, Action.READ_OTHERS_SHIFTS):
        if mediator is not None and mediator != user["name"]:
            raise PermissionDeniedError(
                str(user["role"]), Action.READ_OTHERS_SHIFTS.value
            )
        mediator = str(user["name"])
    return {"office": office, "mediator": mediator, "offices": visible_offices(user)}


def visible_shift(user: dict[str, Any], shift_id: UUID) -> dict[str, Any]:
    """Return the shift, or raise not found when its office is outside the scope."""
    shift = get_incident_log().get_shift(shift_id)
    if not covers(user, shift["office"]):
        raise ShiftNotFoundError(shift_id)
    return shift


def monday_of(day: date) -> date:
    """Return the Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def week_of(monday: date) -> list[date]:
    """Return the seven days of the week that starts on a Monday."""
    return [monday + timedelta(days=offset) for offset in range(7)]


def current_shift(name: str, at: datetime) -> dict[str, Any] | None:
    """Return the person's planned shift that covers the moment, if any."""
    local = at.astimezone(PARIS)
    clock = local.strftime("%H:%M")
    for shift in get_incident_log().list_shifts(
        mediator=name, first_day=local.date(), last_day=local.date()
    ):
        if shift["status"] == "planned" and shift["start"] <= clock < shift["end"]:
            return shift
    return None


IMPACT_DAYS = 28
LONGEST_IMPACT_DAYS = 366


def presence_impact(
    office: str,
    *,
    from_: date | None,
    to: date | None,
    as_of: datetime | None,
) -> dict[str, Any]:
    """Compare an office's incidents with and without a mediator on shift.

    The incidents, the rota and the opening hours are all taken as known at
    ``as_of`` (now when ``None``); the range defaults to the four weeks up to
    today (or the day of ``as_of``).
    """
    last = to or paris_today(as_of)
    first = from_ or last - timedelta(days=IMPACT_DAYS - 1)
    if last < first:
        raise InvalidInputError.field("to", "Give a day on or after from.")
    if (last - first).days >= LONGEST_IMPACT_DAYS:
        raise InvalidInputError.field("from", "Give a range of a year at most.")
    log = get_incident_log()
    return fresh_read_models().presence_impact(
        office,
        from_=first,
        to=last,
        shifts=log.planned_rota(as_of=as_of),
        opening_hours=log.opening_hours_by_day(office, as_of=as_of),
        as_of=as_of,
    )

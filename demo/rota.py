"""Plan the demo's rota: five mediators over ten offices, with gaps, week by week.

Each mediator spends a week on a pair of neighbouring offices (the pairs of
:func:`demo.people.mediator_on_duty`): mornings in one and afternoons in the
other, swapping every day, and Saturday morning in one of the two. So each
office has a mediator half of its weekday hours, and now and then nobody at
all: a mediator is away on about one day in twelve (training, sick leave), a
gap the planner leaves open. Each week is planned as one file, every shift or
none, through :meth:`IncidentLog.import_shifts`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from demo.calendar import is_public_holiday
from demo.people import ADMIN, mediator_on_duty
from incidents.application import PlannedShift

if TYPE_CHECKING:
    from incidents.application import IncidentLog

MORNING = ("09:00", "12:30")
AFTERNOON = ("13:30", "18:00")
AWAY_CHANCE = 1 / 12


def plan_rota(
    log: IncidentLog, offices: Sequence[str], *, today: date, weeks: int, seed: int
) -> int:
    """Plan the shifts of the ``weeks`` weeks up to the end of this week."""
    last = today + timedelta(days=6 - today.weekday())
    first = last - timedelta(days=7 * weeks - 1)
    planned = 0
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        plans = list(_week(offices, monday, seed))
        if plans:
            written = log.import_shifts(
                actor=ADMIN, plans=list(enumerate(plans, start=2))
            )
            planned += len(written.shifts)
        monday += timedelta(days=7)
    return planned


def _week(offices: Sequence[str], monday: date, seed: int) -> list[PlannedShift]:
    plans: list[PlannedShift] = []
    for offset in range(6):
        day = monday + timedelta(days=offset)
        if is_public_holiday(day):
            continue
        for pair in range(0, len(offices) - 1, 2):
            first, second = offices[pair], offices[pair + 1]
            mediator = mediator_on_duty(offices, first, day)
            rng = random.Random(f"{seed}-rota-{mediator}-{day.isoformat()}")  # noqa: S311
            if rng.random() < AWAY_CHANCE:
                continue  # Away today: both offices go without.
            if day.weekday() == 5:
                office = first if (day.toordinal() // 7) % 2 else second
                plans.append(_shift(mediator, office, day, MORNING, seed))
                continue
            morning, afternoon = (first, second) if offset % 2 else (second, first)
            plans.append(_shift(mediator, morning, day, MORNING, seed))
            plans.append(_shift(mediator, afternoon, day, AFTERNOON, seed))
    return plans


def _shift(
    mediator: str, office: str, day: date, times: tuple[str, str], seed: int
) -> PlannedShift:
    # Ids drawn from the seed too: the same seed gives the same history.
    rng = random.Random(f"{seed}-shift-{office}-{day.isoformat()}-{times[0]}")  # noqa: S311
    return PlannedShift(
        mediator=mediator,
        office=office,
        day=day,
        start=times[0],
        end=times[1],
        shift_id=UUID(int=rng.getrandbits(128), version=4),
    )

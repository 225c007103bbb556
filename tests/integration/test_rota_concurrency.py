"""Writers racing to plan or move one mediator's shifts never leave two overlapping.

Each writer opens its own log on the same store, as separate processes would, so
that nothing in memory is shared: only the store's refusal of a second write of
the same version of the mediator's day keeps the shifts apart (ADR 0014).
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from incidents.application import IncidentLog, PlannedShift
from incidents.errors import ShiftOverlapError

if TYPE_CHECKING:
    from tests.conftest import OpenLog

WRITERS = 4
START_TIMEOUT = 30
DAY = date(2026, 12, 7)
OFFICE = "nanterre-centre"

STORES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=STORES)
def logs(request: pytest.FixtureRequest, make_log: OpenLog) -> list[IncidentLog]:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    first = make_log(url)
    first.register_user(actor="admin", name="amina", role="mediator")
    return [first, *(make_log(url, load_offices=False) for _ in range(WRITERS - 1))]


def race(
    logs: list[IncidentLog], command: Callable[[IncidentLog, int], Any]
) -> Counter[str]:
    start = threading.Barrier(WRITERS, timeout=START_TIMEOUT)

    def racer(writer: int) -> str:
        start.wait()
        try:
            command(logs[writer], writer)
        except ShiftOverlapError:
            return "overlap"
        return "stored"

    with ThreadPoolExecutor(WRITERS) as pool:
        return Counter(pool.map(racer, range(WRITERS)))


def planned(log: IncidentLog) -> list[tuple[str, str]]:
    return sorted(
        (shift["start"], shift["end"])
        for shift in log.list_shifts(mediator="amina")
        if shift["status"] == "planned"
    )


def test_overlapping_plans_sent_at_once_store_exactly_one(logs: list[IncidentLog]):
    def plan(log: IncidentLog, writer: int) -> None:
        # Every pair of these overlaps: 09:00-11:00, 09:30-11:30, ...
        start = f"{9 + writer // 2:02d}:{30 * (writer % 2):02d}"
        end = f"{11 + writer // 2:02d}:{30 * (writer % 2):02d}"
        log.plan_shift(
            actor=f"writer-{writer}",
            plan=PlannedShift(
                mediator="amina", office=OFFICE, day=DAY, start=start, end=end
            ),
        )

    outcomes = race(logs, plan)

    assert outcomes == {"stored": 1, "overlap": WRITERS - 1}
    assert len(planned(logs[0])) == 1


def test_shifts_moved_onto_each_other_at_once_do_not_both_move(
    logs: list[IncidentLog],
):
    times = [
        ("07:00", "08:00"),
        ("08:00", "09:00"),
        ("18:00", "19:00"),
        ("19:00", "20:00"),
    ]
    ids = [
        logs[0]
        .plan_shift(
            actor="admin",
            plan=PlannedShift(
                mediator="amina", office=OFFICE, day=DAY, start=start, end=end
            ),
        )
        .shift["id"]
        for start, end in times
    ]

    def move(log: IncidentLog, writer: int) -> None:
        # Each move alone is fine; any two of them overlap around noon.
        log.change_shift(
            ids[writer],
            actor=f"writer-{writer}",
            changes={"start": f"{11 + writer % 2}:00", "end": f"{13 + writer // 2}:30"},
            reason="Réorganisation.",
        )

    outcomes = race(logs, move)

    assert outcomes == {"stored": 1, "overlap": WRITERS - 1}
    shifts = planned(logs[0])
    assert all(
        not (a_start < b_end and b_start < a_end)
        for (a_start, a_end), (b_start, b_end) in itertools.pairwise(shifts)
    )

"""Append the demo's events to a log: a few weeks through the commands, or many fast."""

from __future__ import annotations

import heapq
import itertools
import random
import time as timer
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from demo.calendar import PARIS, is_public_holiday
from demo.memory_log import TICK, MemoryLog
from demo.people import officer_for, register_users
from demo.plans import Plan, plan_day, plan_incidents
from demo.rota import plan_rota
from demo.stories import Story
from incidents.application import load_default_offices
from incidents.errors import InvalidInputError

if TYPE_CHECKING:
    from incidents.application import IncidentLog


@dataclass(frozen=True)
class DemoResult:
    """Say what the demo loaded: who may sign in, and how much was recorded."""

    credentials: list[tuple[str, str, str]]
    incidents: int
    events: int


@dataclass(frozen=True)
class _Step:
    at: datetime
    order: tuple[int, int]
    run: Callable[[], object]


def load_demo(
    log: IncidentLog,
    *,
    today: date,
    seed: int = 92,
    weeks: int = 6,
    passwords: Mapping[str, str] | None = None,
) -> DemoResult:
    """Load offices, demo users and ``weeks`` weeks of incidents up to ``today``.

    Expects a log without the demo users: registering them again raises
    :class:`~incidents.errors.UserAlreadyExistsError` before any incident is written.
    """
    if weeks < 1:
        raise InvalidInputError.field("weeks", "Give at least one week.")
    head_before = _head(log)
    # The rotation covers the ten offices of the scheme, not offices added later.
    scheme = load_default_offices()
    log.ensure_offices(scheme)
    offices = sorted(office["code"] for office in scheme)
    credentials = register_users(log, offices, passwords or {})
    plan_rota(log, offices, today=today, weeks=weeks, seed=seed)
    now = log.clock()
    end_of_today = datetime.combine(today, time(23, 59, 59), PARIS)
    cutoff = min(now, end_of_today)
    plans = plan_incidents(seed, offices, today, weeks)
    steps: list[_Step] = []
    for number, plan in enumerate(plans):
        story = Story(log, plan, officer_for(plan.office))
        steps.extend(
            _Step(at, (number, index), run)
            for index, (at, run) in enumerate(story.tell())
        )
    steps.sort(key=lambda step: (step.at, step.order))
    incidents = 0
    for step in steps:
        if step.at > cutoff:
            break
        step.run()
        if step.order[1] == 0:  # A story starts with its report.
            incidents += 1
    return DemoResult(
        credentials=credentials, incidents=incidents, events=_head(log) - head_before
    )


def _head(log: IncidentLog) -> int:
    return log.recorder.max_notification_id() or 0


# Events saved in one transaction by generate_history.
HISTORY_BATCH = 1000


@dataclass(frozen=True)
class HistoryResult:
    """Say what generate_history wrote, and over which days."""

    incidents: int
    events: int
    first_day: date
    last_day: date
    seconds: float


_Timed = tuple[datetime, int, uuid.UUID, Callable[[], object]]


def generate_history(
    log: IncidentLog,
    *,
    events: int,
    today: date,
    seed: int = 92,
    batch: int = HISTORY_BATCH,
    progress: Callable[[int], None] | None = None,
    catalogue: Sequence[Mapping[str, str]] | None = None,
) -> HistoryResult:
    """Append about ``events`` events of realistic incidents, ending today.

    The stories are those of :func:`load_demo` (same offices, rates, rules),
    over as many days back from ``today`` as it takes to reach ``events``; the
    same seed and the same ``today`` give the same incidents, ids included.
    Steps later than the log's clock are left out. ``progress`` is called with
    the number of events saved so far, after each batch. ``catalogue`` replaces
    the shipped catalogue (the national scheme's 400 offices, for benchmarks).
    """
    if events < 1:
        raise InvalidInputError.field("events", "Give at least one event.")
    started = timer.perf_counter()
    scheme = (
        [dict(office) for office in catalogue]
        if catalogue is not None
        else load_default_offices()
    )
    log.ensure_offices(scheme)
    offices = sorted(office["code"] for office in scheme)
    cutoff = min(log.clock(), datetime.combine(today, time(23, 59, 59), PARIS))
    factors = _office_factors(seed, offices)
    first_day = _first_day(seed, offices, factors, today, cutoff, events)
    memory = MemoryLog()
    queue: list[_Timed] = []
    order = itertools.count()
    steps_left: dict[uuid.UUID, int] = {}
    saved = incidents = 0

    def play_until(moment: datetime) -> None:
        nonlocal saved
        while queue and queue[0][0] < moment:
            at, _, incident_id, run = heapq.heappop(queue)
            memory.at = at
            run()
            steps_left[incident_id] -= 1
            if not steps_left[incident_id]:
                del steps_left[incident_id]
                memory.forget(incident_id)
            if len(memory.pending) >= batch:
                saved += _save(log, memory, progress, saved)

    day = first_day
    while day <= today:
        play_until(datetime.combine(day, time(), PARIS))
        for _, plan, steps in _stories(seed, offices, factors, day, cutoff, memory):
            incidents += 1
            steps_left[plan.incident_id] = len(steps)
            for at, run in steps:
                heapq.heappush(queue, (at, next(order), plan.incident_id, run))
        day += timedelta(days=1)
    play_until(cutoff + TICK)
    saved += _save(log, memory, progress, saved)
    return HistoryResult(
        incidents=incidents,
        events=saved,
        first_day=first_day,
        last_day=today,
        seconds=timer.perf_counter() - started,
    )


def _office_factors(seed: int, offices: list[str]) -> dict[str, float]:
    return {
        code: random.Random(f"{seed}:history:{code}").uniform(0.8, 1.2)  # noqa: S311
        for code in offices
    }


def _stories(
    seed: int,
    offices: list[str],
    factors: Mapping[str, float],
    day: date,
    cutoff: datetime,
    memory: MemoryLog,
) -> Iterator[tuple[str, Plan, list[tuple[datetime, Callable[[], object]]]]]:
    """Yield each incident of one day, with its steps up to the cutoff."""
    if day.weekday() == 6 or is_public_holiday(day):
        return
    for code in offices:
        rng = random.Random(f"{seed}:history:{code}:{day.isoformat()}")  # noqa: S311
        for plan in plan_day(rng, offices, code, day, factors[code]):
            story = Story(memory, plan, officer_for(plan.office))
            steps = [(at, run) for at, run in story.tell() if at <= cutoff]
            if steps:
                yield code, plan, steps


def _first_day(
    seed: int,
    offices: list[str],
    factors: Mapping[str, float],
    today: date,
    cutoff: datetime,
    events: int,
) -> date:
    """Go back from today until the days' stories hold ``events`` steps."""
    counted, day, memory = 0, today, MemoryLog()
    while True:
        counted += sum(
            len(steps)
            for _, _, steps in _stories(seed, offices, factors, day, cutoff, memory)
        )
        if counted >= events:
            return day
        day -= timedelta(days=1)


def _save(
    log: IncidentLog,
    memory: MemoryLog,
    progress: Callable[[int], None] | None,
    saved_before: int,
) -> int:
    pending, memory.pending = memory.pending, []
    if pending:
        log.save(*pending)
        if progress is not None:
            progress(saved_before + len(pending))
    return len(pending)

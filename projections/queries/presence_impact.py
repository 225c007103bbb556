"""Compare an office's incidents with and without a mediator on shift, per open hour.

The incidents are the office's incident states valid now or at ``as_of`` (the
read model the office summary reads, rebuilt identically by ``incidents
replay``); the rota and the opening hours are given by the caller as they were
known at the same time. Each incident counts once: outside opening hours, with
a mediator (a planned shift in the office covers its time), or without. Hours
are opening hours covered by at least one planned shift, or not covered;
overlapping shifts count once. A rate on fewer than ``min_hours`` hours is not
given (``null``): the counts always are.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from incidents.domain.presence import PARIS, covering_mediator
from incidents.vocabulary import Category, Severity, Weekday
from projections.facts import iso
from projections.queries.offices import _office_states
from projections.queries.reading import Reader

DEFAULT_MIN_HOURS = 20.0
WEEKDAYS = [day.value for day in Weekday]
Intervals = Sequence[Sequence[str]]


class PresenceImpactQueries(Reader):
    """Count an office's incidents per open hour, with and without a mediator."""

    def presence_impact(
        self,
        office: str,
        *,
        from_: date,
        to: date,
        shifts: Sequence[Mapping[str, Any]],
        opening_hours: Callable[[date], Mapping[str, Intervals]],
        as_of: datetime | None = None,
        min_hours: float = DEFAULT_MIN_HOURS,
    ) -> dict[str, Any]:
        """Compare the incidents of [from, to] with and without a mediator."""
        where, params = _office_states(office, from_, to, as_of)
        with self._reading() as (cursor, tables):
            cursor.execute(
                "SELECT s.occurred_at, s.severity, s.category, s.de_escalations, "
                "s.calmed, s.closed_at, i.recorded_at "
                f"FROM {tables.name('incident_states')} s "
                f"JOIN {tables.name('incidents')} i "
                "ON i.report_position = s.report_position "
                f"WHERE {where}",
                params,
            )
            rows = cursor.fetchall()
        planned = [shift for shift in shifts if shift["office"] == office]
        covered = uncovered = 0.0
        day = from_
        while day <= to:
            opening = opening_hours(day)[WEEKDAYS[day.weekday()]]
            day_shifts = [(s["start"], s["end"]) for s in planned if s["day"] == day]
            with_shift = _minutes_covered(opening, day_shifts)
            covered += with_shift
            uncovered += _minutes(opening) - with_shift
            day += timedelta(days=1)
        groups: dict[str, list[tuple[Any, ...]]] = {"with": [], "without": []}
        outside = 0
        for row in rows:
            occurred = datetime.fromisoformat(row[0])
            local = occurred.astimezone(PARIS)
            opening = opening_hours(local.date())[WEEKDAYS[local.weekday()]]
            clock = local.strftime("%H:%M:%S")
            if not any(start + ":00" <= clock < end + ":00" for start, end in opening):
                outside += 1
            elif covering_mediator(planned, office, occurred) is not None:
                groups["with"].append(row)
            else:
                groups["without"].append(row)
        return {
            "office": office,
            "from": from_.isoformat(),
            "to": to.isoformat(),
            "as_of": iso(as_of) if as_of else None,
            "min_hours": min_hours,
            "with_mediator": _group(groups["with"], covered / 60, min_hours),
            "without_mediator": _group(groups["without"], uncovered / 60, min_hours),
            "outside_opening_hours": {"incidents": outside},
        }


def _minutes(intervals: Intervals) -> int:
    return sum(_at(end) - _at(start) for start, end in intervals)


def _minutes_covered(opening: Intervals, shifts: Sequence[tuple[str, str]]) -> int:
    """Return the opening minutes at least one shift covers (overlaps once)."""
    total = 0
    for open_start, open_end in opening:
        pieces = sorted(
            (max(_at(start), _at(open_start)), min(_at(end), _at(open_end)))
            for start, end in shifts
        )
        reach = _at(open_start)
        for start, end in pieces:
            start = max(start, reach)
            if end > start:
                total += end - start
                reach = end
    return total


def _at(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _group(
    rows: list[tuple[Any, ...]], hours: float, min_hours: float
) -> dict[str, Any]:
    severities = Counter(str(row[1]) for row in rows)
    categories = Counter(row[2] for row in rows)
    attempts = sum(int(row[3]) for row in rows)
    calmed = sum(int(row[4]) for row in rows)
    to_close = [
        (
            datetime.fromisoformat(row[5]) - datetime.fromisoformat(row[6])
        ).total_seconds()
        / 3600
        for row in rows
        if row[5] is not None
    ]
    return {
        "hours": round(hours, 2),
        "incidents": len(rows),
        "per_hour": round(len(rows) / hours, 4)
        if hours >= min_hours and hours > 0
        else None,
        "by_severity": {
            str(level.value): severities[str(level.value)] for level in Severity
        },
        "by_category": {code.value: categories[code.value] for code in Category},
        "de_escalations": attempts,
        "calmed_rate": round(calmed / attempts, 4) if attempts else 0,
        "time_to_close_hours": {
            "median": round(statistics.median(to_close), 2) if to_close else None
        },
    }

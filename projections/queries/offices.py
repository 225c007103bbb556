"""Summarise an office over a range of days, now or as known at a past time.

A summary *as of* a time reads the incident states that were valid at that
time: the same query as now, never a replay.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from incidents.vocabulary import (
    Category,
    EscalationTarget,
    Outcome,
    Severity,
    Target,
    Trigger,
)
from projections.days import paris_today
from projections.facts import iso
from projections.queries.reading import Reader, valid
from projections.tables import COLUMNS

_OUTCOME_COLUMNS = {
    "calmed": "calmed",
    "partially_calmed": "partially_calmed",
    "not_calmed": "not_calmed",
    "left": "outcome_left",
}


class OfficeQueries(Reader):
    """Count an office's incidents, de-escalations, escalations and follow-ups."""

    def office_summary(
        self,
        office: str | Sequence[str],
        *,
        from_: date | None = None,
        to: date | None = None,
        as_of: datetime | None = None,
        today: date | None = None,
    ) -> dict[str, Any]:
        """Summarise an office over a range of days, now or as known at a time.

        ``office`` may be several offices' codes: their incidents are then
        summarised together (a report of a group of offices), and the
        summary's ``office`` is that list.
        """
        today = today or paris_today(as_of)
        where, params = _office_states(office, from_, to, as_of)
        state_columns = COLUMNS["incident_states"]
        with self._reading() as (cursor, tables):
            cursor.execute(
                f"SELECT {', '.join('s.' + c for c in state_columns)} "
                f"FROM {tables.name('incident_states')} s WHERE {where}",
                params,
            )
            states = [
                dict(zip(state_columns, row, strict=True)) for row in cursor.fetchall()
            ]
            follow_filter, follow_params = valid(as_of, "f")
            cursor.execute(
                f"SELECT f.status, f.due_on FROM {tables.name('follow_up_states')} f "
                f"JOIN {tables.name('incident_states')} s "
                f"ON f.report_position = s.report_position "
                f"WHERE {where} AND {follow_filter}",
                (*params, *follow_params),
            )
            follow_ups = cursor.fetchall()
        return _summarise(office, from_, to, as_of, today, states, follow_ups)

    def office_daily_counts(
        self,
        office: str | Sequence[str],
        *,
        from_: date,
        to: date,
        as_of: datetime | None = None,
    ) -> dict[str, dict[str, int]]:
        """Count an office's incidents per day and category, now or as of a time.

        The rows are those :meth:`office_summary` counts by category, in one
        query grouped by day (``{"2025-01-06": {"threat": 2}}``, days without
        incidents left out): the caller folds days into weeks or months, which
        keeps the SQL the same on SQLite and PostgreSQL.
        """
        where, params = _office_states(office, from_, to, as_of)
        with self._reading() as (cursor, tables):
            cursor.execute(
                "SELECT s.occurred_on, s.category, COUNT(*) "
                f"FROM {tables.name('incident_states')} s WHERE {where} "
                "GROUP BY s.occurred_on, s.category "
                "ORDER BY s.occurred_on, s.category",
                params,
            )
            rows = cursor.fetchall()
        days: dict[str, dict[str, int]] = {}
        for day, category, count in rows:
            days.setdefault(day, {})[category] = int(count)
        return days


def _office_states(
    office: str | Sequence[str],
    from_: date | None,
    to: date | None,
    as_of: datetime | None,
) -> tuple[str, list[Any]]:
    """Select offices' incident states (alias ``s``) over days, now or then.

    An office's summary, its daily counts and its report read these same rows,
    on the (office, occurred_on) indexes.
    """
    offices = [office] if isinstance(office, str) else list(office)
    if not offices:
        raise ValueError("Give at least one office.")
    state_filter, state_params = valid(as_of, "s")
    conditions = [f"s.office IN ({', '.join('?' * len(offices))})", state_filter]
    params: list[Any] = [*offices, *state_params]
    if from_ is not None:
        conditions.append("s.occurred_on >= ?")
        params.append(from_.isoformat())
    if to is not None:
        conditions.append("s.occurred_on <= ?")
        params.append(to.isoformat())
    return " AND ".join(conditions), params


def _summarise(
    office: str | Sequence[str],
    from_: date | None,
    to: date | None,
    as_of: datetime | None,
    today: date,
    states: list[dict[str, Any]],
    follow_ups: list[tuple[Any, ...]],
) -> dict[str, Any]:
    by_category = Counter(state["category"] for state in states)
    by_severity = Counter(str(state["severity"]) for state in states)
    by_target = Counter(state["target"] for state in states)
    by_trigger = Counter(
        state["trigger_code"] for state in states if state["trigger_code"]
    )
    outcomes = {
        outcome: sum(state[column] for state in states)
        for outcome, column in _OUTCOME_COLUMNS.items()
    }
    attempts = sum(state["de_escalations"] for state in states)
    escalations = {
        target.value: sum(state[f"to_{target.value}"] for state in states)
        for target in EscalationTarget
    }
    hours = sorted(
        (
            datetime.fromisoformat(state["closed_at"])
            - datetime.fromisoformat(state["occurred_at"])
        ).total_seconds()
        / 3600
        for state in states
        if state["closed_at"] is not None
    )
    statuses = Counter(status for status, _ in follow_ups)
    overdue = sum(
        1
        for status, due_on in follow_ups
        if status == "scheduled" and due_on < today.isoformat()
    )
    return {
        "office": office if isinstance(office, str) else list(office),
        "from": from_.isoformat() if from_ else None,
        "to": to.isoformat() if to else None,
        "as_of": iso(as_of) if as_of else None,
        "incidents": {
            "total": len(states),
            "open": sum(1 for state in states if state["status"] == "open"),
            "by_category": {code.value: by_category[code.value] for code in Category},
            "by_severity": {
                str(level.value): by_severity[str(level.value)] for level in Severity
            },
            "by_target": {code.value: by_target[code.value] for code in Target},
            "by_trigger": {code.value: by_trigger[code.value] for code in Trigger},
        },
        "de_escalations": {
            "total": attempts,
            "by_outcome": {code.value: outcomes[code.value] for code in Outcome},
            "calmed_rate": round(outcomes["calmed"] / attempts, 4) if attempts else 0,
        },
        "escalations": {"by_target": escalations},
        "follow_ups": {
            "scheduled": len(follow_ups),
            "completed": statuses["completed"],
            "cancelled": statuses["cancelled"],
            "open": statuses["scheduled"],
            "overdue": overdue,
        },
        "time_to_close_hours": {
            "median": round(statistics.median(hours), 2) if hours else None,
            "p90": round(hours[math.ceil(0.9 * len(hours)) - 1], 2) if hours else None,
        },
    }

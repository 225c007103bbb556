"""Answer the read-side questions: lists, summaries, timelines, board, audit trail.

Every answer is plain data (dicts of str, int, float, bool and None) that the web
layer can serialise as it is. A summary *as of* a time reads the incident states
that were valid at that time: the same query as now, never a replay.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from incidents.vocabulary import (
    Category,
    EscalationTarget,
    Outcome,
    Severity,
    Target,
    Trigger,
)
from projections.database import Cursor, Database
from projections.handlers import PARIS, iso
from projections.projector import Projector
from projections.tables import COLUMNS, Tables

MAX_PAGE_SIZE = 200

_INCIDENT_ITEM = {
    "incident_id": "id",
    "office": "office",
    "status": "status",
    "occurred_at": "occurred_at",
    "recorded_at": "recorded_at",
    "modified_at": "modified_at",
    "category": "category",
    "severity": "severity",
    "target": "target",
    "trigger_code": "trigger",
    "summary": "summary",
    "reported_by": "reported_by",
    "version": "version",
    "position": "position",
    "resolution": "resolution",
    "scheduled_follow_ups": "scheduled_follow_ups",
}

_OUTCOME_COLUMNS = {
    "calmed": "calmed",
    "partially_calmed": "partially_calmed",
    "not_calmed": "not_calmed",
    "left": "outcome_left",
}


def day_start(day: date) -> str:
    """Return the first instant of a Paris day, as stored text."""
    return iso(datetime.combine(day, time(), tzinfo=PARIS))


def paris_today(moment: datetime | None = None) -> date:
    """Return today's date in Paris (or the date of a given instant there)."""
    return (moment or datetime.now(UTC)).astimezone(PARIS).date()


class ReadModels:
    """Query the live generation of the read models."""

    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self.database: Database = projector.database

    @contextmanager
    def _reading(self) -> Iterator[tuple[Cursor, Tables]]:
        with self.database.snapshot() as cursor:
            yield cursor, self.projector.live_tables(cursor)

    def _page(
        self,
        table: str,
        columns: str,
        where: str,
        params: list[Any],
        *,
        order: str,
        page: int,
        page_size: int,
        days: tuple[str, list[Any]] | None = None,
    ) -> dict[str, Any]:
        """Return one page of rows and the total, read from one snapshot.

        With ``days`` (conditions on the day counts), the total is summed over
        the days instead of counted over the rows.
        """
        page, page_size = max(page, 1), min(max(page_size, 1), MAX_PAGE_SIZE)
        with self._reading() as (cursor, tables):
            name = tables.name(table)
            if days is None:
                cursor.execute(f"SELECT COUNT(*) FROM {name} WHERE {where}", params)
            else:
                cursor.execute(
                    "SELECT COALESCE(SUM(events), 0) FROM "
                    f"{tables.name('day_counts')} WHERE {days[0]}",
                    days[1],
                )
            total = int(_one(cursor)[0])
            cursor.execute(
                f"SELECT {columns} FROM {name} WHERE {where} "
                f"ORDER BY {order} LIMIT ? OFFSET ?",
                (*params, page_size, (page - 1) * page_size),
            )
            rows = cursor.fetchall()
        return {"items": rows, "total": total, "page": page, "page_size": page_size}

    # Incident index.

    def list_incidents(
        self,
        *,
        offices: Collection[str] | None = None,
        office: str | None = None,
        status: str | None = None,
        category: str | None = None,
        severity: int | None = None,
        from_: date | None = None,
        to: date | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> dict[str, Any]:
        """List incidents, newest first, within the offices a reader may see."""
        conditions, params = _scope(offices)
        for column, value in (
            ("office", office),
            ("status", status),
            ("category", category),
            ("severity", severity),
        ):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        if from_ is not None:
            conditions.append("occurred_on >= ?")
            params.append(from_.isoformat())
        if to is not None:
            conditions.append("occurred_on <= ?")
            params.append(to.isoformat())
        where = " AND ".join(conditions) or "1 = 1"
        collection = self._page(
            "incidents",
            ", ".join(_INCIDENT_ITEM),
            where,
            params,
            order="occurred_at DESC, incident_id DESC",
            page=page,
            page_size=page_size,
        )
        collection["items"] = [
            dict(zip(_INCIDENT_ITEM.values(), row, strict=True))
            for row in collection["items"]
        ]
        return collection

    def get_incident_summary(self, incident_id: UUID) -> dict[str, Any] | None:
        """Return the index row of one incident, or ``None``."""
        with self._reading() as (cursor, tables):
            cursor.execute(
                f"SELECT {', '.join(_INCIDENT_ITEM)} FROM {tables.name('incidents')} "
                "WHERE incident_id = ?",
                (str(incident_id),),
            )
            row = cursor.fetchone()
        return (
            None
            if row is None
            else dict(zip(_INCIDENT_ITEM.values(), row, strict=True))
        )

    def incident_version_as_of(self, incident_id: UUID, as_of: datetime) -> int | None:
        """Return the version of an incident as known at a time, or ``None``."""
        with self._reading() as (cursor, tables):
            cursor.execute(
                f"SELECT MAX(version) FROM {tables.name('events')} "
                "WHERE aggregate_id = ? AND office IS NOT NULL AND recorded_at <= ?",
                (str(incident_id), iso(as_of)),
            )
            row = cursor.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def contacts_closed_before(self, moment: datetime) -> list[UUID]:
        """Return the incidents still holding a contact, closed before a time."""
        with self._reading() as (cursor, tables):
            cursor.execute(
                f"SELECT i.incident_id FROM {tables.name('incidents')} i "
                f"JOIN {tables.name('incident_states')} s "
                "ON s.report_position = i.report_position AND s.valid_to IS NULL "
                "WHERE i.has_contact = 1 AND i.status = 'closed' "
                "AND s.closed_at < ? ORDER BY s.closed_at, i.incident_id",
                (iso(moment),),
            )
            return [UUID(row[0]) for row in cursor.fetchall()]

    # Office summary.

    def office_summary(
        self,
        office: str,
        *,
        from_: date | None = None,
        to: date | None = None,
        as_of: datetime | None = None,
        today: date | None = None,
    ) -> dict[str, Any]:
        """Summarise an office over a range of days, now or as known at a time."""
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
            follow_filter, follow_params = _valid(as_of, "f")
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
        office: str,
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

    # Timelines.

    def incident_timeline(self, incident_id: UUID) -> list[dict[str, Any]]:
        """Return every event of an incident in order, with both clocks."""
        with self._reading() as (cursor, tables):
            cursor.execute(
                f"SELECT {_TIMELINE_SELECT} FROM {tables.name('events')} "
                "WHERE aggregate_id = ? AND office IS NOT NULL ORDER BY position",
                (str(incident_id),),
            )
            return [_timeline_item(row) for row in cursor.fetchall()]

    def office_timeline(
        self,
        office: str,
        *,
        from_: date | None = None,
        to: date | None = None,
        as_of: datetime | None = None,
        page: int = 1,
        page_size: int = 100,
    ) -> dict[str, Any]:
        """Return an office's events in log order, recorded within the range."""
        conditions, days = ["office = ?"], ["scope = ?"]
        params: list[Any] = [office]
        day_params: list[Any] = [office]
        if from_ is None and to is None:
            days.append("day = ''")  # the office's count over all days
        if from_ is not None:
            conditions.append("recorded_at >= ?")
            params.append(day_start(from_))
            days.append("day >= ?")
            day_params.append(from_.isoformat())
        if to is not None:
            conditions.append("recorded_at < ?")
            params.append(day_start(to + timedelta(days=1)))
            days.append("day <= ? AND day <> ''")
            day_params.append(to.isoformat())
        if as_of is not None:
            conditions.append("recorded_at <= ?")
            params.append(iso(as_of))
        where = " AND ".join(conditions)
        collection = self._page(
            "events",
            _TIMELINE_SELECT,
            where,
            params,
            order="position",
            page=page,
            page_size=page_size,
            # As of a time, part of a day counts: count the rows (a range of
            # the office's index that ends at that time).
            days=None if as_of is not None else (" AND ".join(days), day_params),
        )
        collection["items"] = [_timeline_item(row) for row in collection["items"]]
        return collection

    # Follow-up board.

    def follow_up_board(
        self,
        *,
        offices: Collection[str] | None = None,
        office: str | None = None,
        overdue_only: bool = False,
        today: date | None = None,
    ) -> dict[str, Any]:
        """Return the open follow-ups, overdue first, then by due date."""
        today = today or paris_today()
        conditions, params = _scope(offices, column="i.office")
        conditions += ["f.valid_to IS NULL", "f.status = 'scheduled'"]
        if office is not None:
            conditions.append("i.office = ?")
            params.append(office)
        if overdue_only:
            conditions.append("f.due_on < ?")
            params.append(today.isoformat())
        with self._reading() as (cursor, tables):
            cursor.execute(
                "SELECT f.follow_up_id, f.incident_id, i.office, f.kind, f.due_on, "
                "f.assignee, i.category, i.severity "
                f"FROM {tables.name('follow_up_states')} f "
                f"JOIN {tables.name('incidents')} i "
                "ON i.report_position = f.report_position "
                f"WHERE {' AND '.join(conditions)} "
                "ORDER BY f.due_on, f.follow_up_id",
                params,
            )
            rows = cursor.fetchall()
        items = [
            {
                "id": row[0],
                "incident_id": row[1],
                "office": row[2],
                "kind": row[3],
                "due_on": row[4],
                "assignee": row[5],
                "category": row[6],
                "severity": row[7],
                "status": "scheduled",
                "overdue": row[4] < today.isoformat(),
            }
            for row in rows
        ]
        return {"items": items, "total": len(items), "page": 1, "page_size": len(items)}

    # Audit trail.

    def audit_events(self, *, after: int = 0, limit: int = 100) -> dict[str, Any]:
        """Return the global log in order, after a position."""
        limit = min(max(limit, 1), 1000)
        columns = _AUDIT_COLUMNS
        with self._reading() as (cursor, tables):
            table = tables.name("events")
            cursor.execute(
                "SELECT COALESCE(SUM(events), 0) FROM "
                f"{tables.name('day_counts')} WHERE scope = '' AND day = ''"
            )
            total = int(_one(cursor)[0])
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE position > ? "
                "ORDER BY position LIMIT ?",
                (after, limit),
            )
            items = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        return {"items": items, "total": total, "after": after, "limit": limit}


_TIMELINE_COLUMNS = (
    "position",
    "incident_id",
    "version",
    "type",
    "recorded_at",
    "occurred_at",
    "actor",
    "data",
)
# The incident's id is the event's aggregate id.
_TIMELINE_SELECT = ", ".join(_TIMELINE_COLUMNS).replace("incident_id", "aggregate_id")
# The columns every event has (the rest are those of an incident's events).
_AUDIT_COLUMNS = COLUMNS["events"][: COLUMNS["events"].index("office")]


def _timeline_item(row: tuple[Any, ...]) -> dict[str, Any]:
    item = dict(zip(_TIMELINE_COLUMNS, row, strict=True))
    item["data"] = json.loads(item["data"])
    item["occurred_at"] = item["occurred_at"] or item["recorded_at"]
    return item


def _one(cursor: Cursor) -> tuple[Any, ...]:
    row = cursor.fetchone()
    if row is None:  # pragma: no cover - aggregates always return a row
        raise LookupError("no row")
    return row


def _scope(
    offices: Collection[str] | None, column: str = "office"
) -> tuple[list[str], list[Any]]:
    if offices is None:
        return [], []
    if not offices:
        return ["1 = 0"], []
    return [f"{column} IN ({', '.join('?' * len(offices))})"], list(offices)


def _valid(as_of: datetime | None, alias: str) -> tuple[str, list[Any]]:
    if as_of is None:
        return f"{alias}.valid_to IS NULL", []
    moment = iso(as_of)
    return (
        f"{alias}.valid_from <= ? "
        f"AND ({alias}.valid_to IS NULL OR {alias}.valid_to > ?)",
        [moment, moment],
    )


def _office_states(
    office: str, from_: date | None, to: date | None, as_of: datetime | None
) -> tuple[str, list[Any]]:
    """Select an office's incident states (alias ``s``) over days, now or then.

    An office's summary and its daily counts read these same rows, on the
    (office, occurred_on) indexes.
    """
    state_filter, state_params = _valid(as_of, "s")
    conditions = ["s.office = ?", state_filter]
    params: list[Any] = [office, *state_params]
    if from_ is not None:
        conditions.append("s.occurred_on >= ?")
        params.append(from_.isoformat())
    if to is not None:
        conditions.append("s.occurred_on <= ?")
        params.append(to.isoformat())
    return " AND ".join(conditions), params


def _summarise(
    office: str,
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
        "office": office,
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

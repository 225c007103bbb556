"""Apply one stored event to the read-model tables of one generation.

Incident states and follow-up states are kept *as of* each recorded time: a
change closes the current row (``valid_to``) and opens a new one (``valid_from``),
so a summary as known at any past time is the same query as the summary now.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from incidents.domain import Incident
from incidents.vocabulary import FollowUpStatus, Status
from projections.database import Cursor
from projections.tables import COLUMNS, Tables

PARIS = ZoneInfo("Europe/Paris")

_STATE_COLUMNS = COLUMNS["incident_states"]


def iso(moment: datetime) -> str:
    """Return a fixed-width, sortable UTC text for an instant."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def paris_day(moment: datetime) -> str:
    """Return the calendar day in Paris of an instant, as YYYY-MM-DD."""
    return moment.astimezone(PARIS).date().isoformat()


def apply_event(cursor: Cursor, tables: Tables, event: Any, position: int) -> None:
    """Bring every read model up to date with one event at a log position."""
    recorded_at = iso(event.timestamp)
    _append_audit(cursor, tables, event, position, recorded_at)
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return
    incident_id = str(event.originator_id)
    if isinstance(event, Incident.Reported):
        office = event.office
    else:
        cursor.execute(
            f"SELECT office FROM {tables.name('incidents')} WHERE incident_id = ?",
            (incident_id,),
        )
        found = cursor.fetchone()
        if found is None:  # pragma: no cover - the log starts with Reported
            return
        office = str(found[0])
    handler(cursor, tables, event, recorded_at)
    _append_timeline(cursor, tables, event, position, recorded_at, office)
    cursor.execute(
        f"UPDATE {tables.name('incidents')} SET version = ?, position = ?, "
        "modified_at = ? WHERE incident_id = ?",
        (event.originator_version, position, recorded_at, incident_id),
    )


def _append_audit(
    cursor: Cursor, tables: Tables, event: Any, position: int, recorded_at: str
) -> None:
    cursor.execute(
        f"INSERT INTO {tables.name('audit')} "
        "(position, aggregate_id, version, type, topic, actor, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            position,
            str(event.originator_id),
            getattr(event, "originator_version", None),
            type(event).__name__,
            getattr(type(event), "TOPIC", None),
            getattr(event, "actor", None),
            recorded_at,
        ),
    )


def _append_timeline(
    cursor: Cursor,
    tables: Tables,
    event: Any,
    position: int,
    recorded_at: str,
    office: str,
) -> None:
    data = {
        name: value
        for name, value in vars(event).items()
        if name
        not in {
            "originator_id",
            "originator_version",
            "timestamp",
            "originator_topic",
            "actor",
        }
    }
    occurred_at = data.get("occurred_at")
    if "contact" in data:
        # Read models never hold a visitor's contact details: only whether
        # there were some.
        data["contact"] = {"recorded": data["contact"] is not None}
    cursor.execute(
        f"INSERT INTO {tables.name('timeline')} (position, incident_id, office, "
        "version, type, recorded_at, occurred_at, actor, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            position,
            str(event.originator_id),
            office,
            event.originator_version,
            type(event).__name__,
            recorded_at,
            iso(occurred_at) if isinstance(occurred_at, datetime) else None,
            event.actor,
            json.dumps(data, default=_json_default, sort_keys=True, ensure_ascii=False),
        ),
    )


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (date, UUID)):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    raise TypeError(f"Cannot store {type(value).__name__} in a timeline")


# Incident states.


def _on_reported(
    cursor: Cursor, tables: Tables, event: Incident.Reported, recorded_at: str
) -> None:
    incident_id = str(event.originator_id)
    cursor.execute(
        f"INSERT INTO {tables.name('incidents')} ({', '.join(COLUMNS['incidents'])}) "
        f"VALUES ({', '.join('?' * len(COLUMNS['incidents']))})",
        (
            incident_id,
            event.office,
            Status.OPEN.value,
            iso(event.occurred_at),
            paris_day(event.occurred_at),
            recorded_at,
            recorded_at,
            event.category,
            event.severity,
            event.target,
            event.trigger,
            event.summary,
            event.actor,
            event.originator_version,
            0,
            None,
            0,
            int(event.contact is not None),
        ),
    )
    state: dict[str, Any] = dict.fromkeys(_STATE_COLUMNS, 0)
    state.update(
        incident_id=incident_id,
        version=event.originator_version,
        valid_from=recorded_at,
        valid_to=None,
        office=event.office,
        occurred_at=iso(event.occurred_at),
        occurred_on=paris_day(event.occurred_at),
        category=event.category,
        severity=event.severity,
        target=event.target,
        trigger_code=event.trigger,
        status=Status.OPEN.value,
        closed_at=None,
    )
    _insert(cursor, tables, "incident_states", state)


def _change_state(
    cursor: Cursor,
    tables: Tables,
    event: Any,
    recorded_at: str,
    change: Callable[[dict[str, Any]], None],
) -> None:
    _supersede(
        cursor,
        tables,
        "incident_states",
        ("incident_id", str(event.originator_id)),
        event,
        recorded_at,
        change,
    )


def _supersede(
    cursor: Cursor,
    tables: Tables,
    table: str,
    key: tuple[str, str],
    event: Any,
    recorded_at: str,
    change: Callable[[dict[str, Any]], None],
) -> None:
    """Close the current temporal row at ``recorded_at`` and open a changed copy."""
    columns = COLUMNS[table]
    key_column, key_value = key
    cursor.execute(
        f"SELECT {', '.join(columns)} FROM {tables.name(table)} "
        f"WHERE {key_column} = ? AND valid_to IS NULL",
        (key_value,),
    )
    current = cursor.fetchone()
    if current is None:  # pragma: no cover - the log opens a row before changes
        return
    row = dict(zip(columns, current, strict=True))
    cursor.execute(
        f"UPDATE {tables.name(table)} SET valid_to = ? "
        f"WHERE {key_column} = ? AND valid_to IS NULL",
        (recorded_at, key_value),
    )
    change(row)
    row.update(version=event.originator_version, valid_from=recorded_at, valid_to=None)
    _insert(cursor, tables, table, row)


def _on_de_escalation(
    cursor: Cursor, tables: Tables, event: Any, recorded_at: str
) -> None:
    column = "outcome_left" if event.outcome == "left" else event.outcome

    def count(state: dict[str, Any]) -> None:
        state["de_escalations"] += 1
        state[column] += 1

    _change_state(cursor, tables, event, recorded_at, count)


def _on_escalated(cursor: Cursor, tables: Tables, event: Any, recorded_at: str) -> None:
    def count(state: dict[str, Any]) -> None:
        state[f"to_{event.to}"] += 1

    _change_state(cursor, tables, event, recorded_at, count)


def _on_severity(cursor: Cursor, tables: Tables, event: Any, recorded_at: str) -> None:
    _change_state(
        cursor,
        tables,
        event,
        recorded_at,
        lambda state: state.update(severity=event.severity),
    )
    _update_incident(cursor, tables, event, severity=event.severity)


_AMENDED_STATE = {"category": "category", "target": "target", "trigger": "trigger_code"}


def _on_amended(cursor: Cursor, tables: Tables, event: Any, recorded_at: str) -> None:
    changes: dict[str, Any] = {}
    for name, value in event.changes.items():
        if name in _AMENDED_STATE:
            changes[_AMENDED_STATE[name]] = value
        elif name == "occurred_at":
            changes["occurred_at"] = iso(value)
            changes["occurred_on"] = paris_day(value)
    if changes:
        _change_state(
            cursor, tables, event, recorded_at, lambda state: state.update(changes)
        )
    if "summary" in event.changes:
        changes["summary"] = event.changes["summary"]
    if changes:
        _update_incident(cursor, tables, event, **changes)


def _on_closed(cursor: Cursor, tables: Tables, event: Any, recorded_at: str) -> None:
    closed = Status.CLOSED.value
    _change_state(
        cursor,
        tables,
        event,
        recorded_at,
        lambda state: state.update(status=closed, closed_at=recorded_at),
    )
    _update_incident(cursor, tables, event, status=closed, resolution=event.resolution)


def _on_reopened(cursor: Cursor, tables: Tables, event: Any, recorded_at: str) -> None:
    opened = Status.OPEN.value
    _change_state(
        cursor,
        tables,
        event,
        recorded_at,
        lambda state: state.update(status=opened, closed_at=None),
    )
    _update_incident(cursor, tables, event, status=opened, resolution=None)


def _on_erased(cursor: Cursor, tables: Tables, event: Any, recorded_at: str) -> None:
    _update_incident(cursor, tables, event, has_contact=0)


def _on_note(cursor: Cursor, tables: Tables, event: Any, recorded_at: str) -> None:
    """Notes appear only in the timelines."""


# Follow-ups.


def _on_follow_up_scheduled(
    cursor: Cursor, tables: Tables, event: Any, recorded_at: str
) -> None:
    _insert(
        cursor,
        tables,
        "follow_up_states",
        {
            "follow_up_id": str(event.follow_up_id),
            "version": event.originator_version,
            "incident_id": str(event.originator_id),
            "valid_from": recorded_at,
            "valid_to": None,
            "kind": event.kind,
            "due_on": event.due_on.isoformat(),
            "assignee": event.assignee,
            "status": FollowUpStatus.SCHEDULED.value,
        },
    )
    _count_scheduled(cursor, tables, event, +1)


def _finish_follow_up(
    cursor: Cursor, tables: Tables, event: Any, recorded_at: str, status: str
) -> None:
    _supersede(
        cursor,
        tables,
        "follow_up_states",
        ("follow_up_id", str(event.follow_up_id)),
        event,
        recorded_at,
        lambda row: row.update(status=status),
    )
    _count_scheduled(cursor, tables, event, -1)


def _on_follow_up_completed(
    cursor: Cursor, tables: Tables, event: Any, recorded_at: str
) -> None:
    _finish_follow_up(
        cursor, tables, event, recorded_at, FollowUpStatus.COMPLETED.value
    )


def _on_follow_up_cancelled(
    cursor: Cursor, tables: Tables, event: Any, recorded_at: str
) -> None:
    _finish_follow_up(
        cursor, tables, event, recorded_at, FollowUpStatus.CANCELLED.value
    )


def _count_scheduled(cursor: Cursor, tables: Tables, event: Any, step: int) -> None:
    cursor.execute(
        f"UPDATE {tables.name('incidents')} "
        "SET scheduled_follow_ups = scheduled_follow_ups + ? WHERE incident_id = ?",
        (step, str(event.originator_id)),
    )


# Helpers.


def _insert(cursor: Cursor, tables: Tables, table: str, row: dict[str, Any]) -> None:
    columns = COLUMNS[table]
    cursor.execute(
        f"INSERT INTO {tables.name(table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})",
        tuple(row[column] for column in columns),
    )


def _update_incident(
    cursor: Cursor, tables: Tables, event: Any, **changes: Any
) -> None:
    assignments = ", ".join(f"{column} = ?" for column in changes)
    cursor.execute(
        f"UPDATE {tables.name('incidents')} SET {assignments} WHERE incident_id = ?",
        (*changes.values(), str(event.originator_id)),
    )


_Handler = Callable[[Cursor, Tables, Any, str], None]

_HANDLERS: dict[type, _Handler] = {
    Incident.Reported: _on_reported,
    Incident.DeEscalationRecorded: _on_de_escalation,
    Incident.Escalated: _on_escalated,
    Incident.SeverityReassessed: _on_severity,
    Incident.FollowUpScheduled: _on_follow_up_scheduled,
    Incident.FollowUpCompleted: _on_follow_up_completed,
    Incident.FollowUpCancelled: _on_follow_up_cancelled,
    Incident.NoteAdded: _on_note,
    Incident.Amended: _on_amended,
    Incident.Closed: _on_closed,
    Incident.Reopened: _on_reopened,
    Incident.PersonalDataErased: _on_erased,
}

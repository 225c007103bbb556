"""Apply a batch of facts to the read-model tables of one generation.

Incident states and follow-up states are kept *as of* each recorded time: a
change closes the current row (``valid_to``) and opens a new one (``valid_from``),
so a summary as known at any past time is the same query as the summary now.

A batch is applied in memory, then written in a few statements. The rows its
facts refer to are read first, with one query per table (or taken from what the
previous batch left, :class:`Known`, when the projector may trust it); every
fact is then applied in log order, to those rows and to the rows that earlier
facts of the batch opened (a later fact may close a row opened earlier in the
batch: that row is written already closed); and the result is written with one
statement per table and kind (``COPY`` for inserts on PostgreSQL).

A handler changes rows only through the batch (``open``, ``supersede``,
``change_incident``, ``count_scheduled``), never with SQL of its own: a later
fact of the same batch must see the change.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from incidents.domain import Incident
from incidents.vocabulary import FollowUpStatus, Status
from projections.database import Cursor
from projections.facts import Fact, Unreadable, iso
from projections.tables import COLUMNS, KEYS, Tables

__all__ = ["PARIS", "Known", "apply_facts", "iso", "paris_day"]

PARIS = ZoneInfo("Europe/Paris")
OPEN, CLOSED = Status.OPEN.value, Status.CLOSED.value
SCHEDULED_STATUS = FollowUpStatus.SCHEDULED.value
COMPLETED, CANCELLED = FollowUpStatus.COMPLETED.value, FollowUpStatus.CANCELLED.value

# How many keys one query reads at most (well under every driver's limit).
LOAD_CHUNK = 500

_STATE_COLUMNS = COLUMNS["incident_states"]
_INCIDENT_VALUES = tuple(c for c in COLUMNS["incidents"] if c != "report_position")
_ROW_TABLES = ("incidents", "incident_states", "follow_up_states")
# What the timeline shows apart from an event's data.
_NOT_DATA = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}
)

Row = dict[str, Any]


def paris_day(instant: str) -> str:
    """Return the calendar day in Paris of a stored instant, as YYYY-MM-DD.

    Paris has been one or two hours ahead of UTC since the 1970s: a UTC instant
    before 22:00 falls on the same date there, read from its text. Only the last
    two hours of a UTC day, and instants in other forms, are converted.
    """
    if instant[11:13] < "22" and instant.endswith("+00:00") and instant >= "1980":
        return instant[:10]
    return datetime.fromisoformat(instant).astimezone(PARIS).date().isoformat()


@dataclass
class Known:
    """Hold rows that a batch left as they now stand, for the next batch to use.

    They are the rows of the incidents it touched: index rows, and current
    incident and follow-up states. The next batch may trust them only if it is
    applied to the same generation, right after (no other projector applied a
    batch in between): the projector checks both.
    """

    incidents: dict[str, Row] = field(default_factory=dict)
    current: dict[str, dict[str, Row]] = field(default_factory=dict)


def apply_facts(
    cursor: Cursor, tables: Tables, facts: Sequence[Fact], known: Known | None = None
) -> Known:
    """Bring every read model up to date with a batch of facts, in log order.

    ``known`` saves reading again the rows the previous batch wrote; the rows
    this batch leaves are returned for the next one.
    """
    batch = _Batch(cursor, tables, known or Known())
    batch.load(facts)
    for fact in facts:
        batch.apply(fact)
    batch.write()
    return batch.known()


class _Batch:
    """Hold the rows one batch reads and writes, until it writes them."""

    def __init__(self, cursor: Cursor, tables: Tables, known: Known) -> None:
        self.cursor = cursor
        self.tables = tables
        self.events: list[tuple[Any, ...]] = []
        # The index rows the batch knows, by incident: read, or new in the batch.
        self.incidents: dict[str, Row] = {}
        self.new_incidents: dict[str, Row] = {}
        self.changed_incidents: dict[str, Row] = {}
        # The current temporal row of each incident and follow-up it knows.
        self.current: dict[str, dict[str, Row]] = {
            "incident_states": {},
            "follow_up_states": {},
        }
        # Rows read from the database (by table, key, version), which are closed
        # by an UPDATE; rows opened in the batch are written already closed.
        self.stored: set[tuple[str, str, int]] = set()
        self.closed: dict[str, list[tuple[Any, ...]]] = {
            "incident_states": [],
            "follow_up_states": [],
        }
        self.opened: dict[str, list[Row]] = {
            "incident_states": [],
            "follow_up_states": [],
        }
        # Events recorded each day, by office, and those of no office.
        self.days: dict[tuple[str, str], int] = {}
        self.other_days: dict[str, int] = {}
        self.incidents.update(known.incidents)
        for table, rows in known.current.items():
            self.current[table].update(rows)
            self.stored.update(
                (table, key, row["version"]) for key, row in rows.items()
            )

    def known(self) -> Known:
        """Return the rows of the incidents this batch touched, as written."""
        touched = self.new_incidents | self.changed_incidents
        current: dict[str, dict[str, Row]] = {}
        for table, key in _CURRENT_KEY.items():
            current[table] = {
                row[key]: row
                for row in self.current[table].values()
                if row["incident_id"] in touched
            }
        return Known(touched, current)

    # Reading what the facts refer to.

    def load(self, facts: Sequence[Fact]) -> None:
        """Read the current rows that the batch's facts change, with few queries."""
        reported: set[str] = set()
        incident_ids: set[str] = set()
        # Incidents whose current state, or one of whose follow-ups, is missing.
        wanted: dict[str, set[str]] = {table: set() for table in _CURRENT_KEY}
        states, follow_ups = (
            self.current["incident_states"],
            self.current["follow_up_states"],
        )
        for fact in facts:
            topic = fact.kind.topic
            if topic not in _HANDLERS:
                continue
            incident_id = fact.originator_id
            if topic == REPORTED:
                reported.add(incident_id)
                continue
            if incident_id in reported:
                continue
            incident_ids.add(incident_id)
            if topic in _CHANGES_STATE and incident_id not in states:
                wanted["incident_states"].add(incident_id)
            elif topic in _FINISHES and fact.get("follow_up_id") not in follow_ups:
                wanted["follow_up_states"].add(incident_id)
        missing = self._report_positions(incident_ids - self.incidents.keys())
        for row in self._read("incidents", "report_position", missing):
            self.incidents[row["incident_id"]] = row
        # Temporal rows are found by their incident's report position (their
        # key's first column), which the incidents' rows give.
        for table, ids in wanted.items():
            positions = [
                self.incidents[incident_id]["report_position"]
                for incident_id in ids & self.incidents.keys()
            ]
            for row in self._read(table, "report_position", positions, current=True):
                key = row[_CURRENT_KEY[table]]
                if key not in self.current[table]:
                    self.current[table][key] = row
                    self.stored.add((table, key, row["version"]))

    def _report_positions(self, incident_ids: set[str]) -> list[int]:
        """Return the log positions where incidents were reported.

        Read from the event store's own key (an incident's report is its event
        at version 1), not from the incidents' index by id, which a rebuild
        builds only once the rows are loaded: inserting random ids one batch
        after another took a tenth of a rebuild at a million events. The
        in-memory store has no table to ask: its incidents are few.
        """
        database, wanted = self.tables.database, sorted(incident_ids)
        if database.events_table is None:
            found = self._read("incidents", "incident_id", wanted)
            return [row["report_position"] for row in found]
        positions: list[int] = []
        for start in range(0, len(wanted), LOAD_CHUNK):
            chunk = wanted[start : start + LOAD_CHUNK]
            if database.dialect == "postgres":
                position, match = "notification_id", "= ANY(CAST(? AS uuid[]))"
                params: list[Any] = [chunk]
            else:  # SQLite keeps the ids as 32 hexadecimal digits.
                position, match = "rowid", f"IN ({', '.join('?' * len(chunk))})"
                params = [incident_id.replace("-", "") for incident_id in chunk]
            self.cursor.execute(
                f"SELECT {position} FROM {database.table(database.events_table)} "
                f"WHERE originator_version = 1 AND originator_id {match}",
                params,
            )
            positions.extend(int(row[0]) for row in self.cursor.fetchall())
        return positions

    def _read(
        self, table: str, key: str, keys: Iterable[Any], *, current: bool = False
    ) -> Iterator[Row]:
        columns = COLUMNS[table]
        valid = "valid_to IS NULL AND " if current else ""
        wanted = sorted(keys)
        for start in range(0, len(wanted), LOAD_CHUNK):
            chunk = wanted[start : start + LOAD_CHUNK]
            if self.tables.database.dialect == "postgres":
                match, params = f"{key} = ANY(?)", [chunk]
            else:
                match, params = f"{key} IN ({', '.join('?' * len(chunk))})", chunk
            self.cursor.execute(
                f"SELECT {', '.join(columns)} FROM {self.tables.name(table)} "
                f"WHERE {valid}{match}",
                params,
            )
            for values in self.cursor.fetchall():
                yield dict(zip(columns, values, strict=True))

    # Applying facts in memory.

    def apply(self, fact: Fact) -> None:
        """Apply one fact to the rows of the batch."""
        kind, recorded_at, incident_id = fact.kind, fact.recorded_at, fact.originator_id
        day = paris_day(recorded_at)
        handler = _HANDLERS.get(kind.topic)
        office = None
        if kind.topic == REPORTED:
            office = fact.get("office")
        elif handler is not None and incident_id in self.incidents:
            office = self.incidents[incident_id]["office"]
        if handler is None or office is None:
            # Only in the audit trail: not an incident's event (an incident
            # unknown here cannot be, for the log starts with its report).
            self.events.append(
                (
                    fact.position,
                    incident_id,
                    fact.version,
                    kind.name,
                    kind.topic,
                    fact.get("actor"),
                    recorded_at,
                    None,
                    None,
                    None,
                )
            )
            self.other_days[day] = self.other_days.get(day, 0) + 1
            return
        handler(self, fact)
        self.events.append(_event_row(fact, office))
        days, key = self.days, (office, day)
        days[key] = days.get(key, 0) + 1
        row = self.incidents[incident_id]
        if incident_id not in self.new_incidents:
            self.changed_incidents[incident_id] = row
        row["version"] = fact.version
        row["position"] = fact.position
        row["modified_at"] = recorded_at

    def add_incident(self, row: Row) -> None:
        self.incidents[row["incident_id"]] = row
        self.new_incidents[row["incident_id"]] = row

    def change_incident(self, fact: Fact, **changes: Any) -> Row:
        row = self.incidents[fact.originator_id]
        row.update(changes)
        if fact.originator_id not in self.new_incidents:
            self.changed_incidents[fact.originator_id] = row
        return row

    def count_scheduled(self, fact: Fact, step: int) -> None:
        row = self.incidents[fact.originator_id]
        self.change_incident(
            fact, scheduled_follow_ups=row["scheduled_follow_ups"] + step
        )

    def open(self, table: str, key: str, row: Row) -> None:
        self.opened[table].append(row)
        self.current[table][key] = row

    def supersede(
        self, table: str, key: str, fact: Fact, change: Callable[[Row], None]
    ) -> None:
        """Close the current temporal row at the fact's time and open a changed copy."""
        current = self.current[table].get(key)
        if current is None:  # pragma: no cover - the log opens a row before changes
            return
        stored = (table, key, current["version"])
        if stored in self.stored:
            self.stored.discard(stored)
            self.closed[table].append((fact.recorded_at, *_KEY_OF[table](current)))
        else:
            current["valid_to"] = fact.recorded_at
        row = current.copy()
        change(row)
        row["version"] = fact.version
        row["valid_from"] = fact.recorded_at
        row["valid_to"] = None
        self.open(table, key, row)

    # Writing.

    def write(self) -> None:
        """Write what the batch changed, one statement per table and kind."""
        cursor, tables = self.cursor, self.tables
        cursor.insert_many(tables.name("events"), COLUMNS["events"], self.events)
        cursor.insert_many(
            tables.name("incidents"),
            COLUMNS["incidents"],
            [_ROW_OF["incidents"](row) for row in self.new_incidents.values()],
        )
        cursor.executemany(
            f"UPDATE {tables.name('incidents')} SET "
            f"{', '.join(f'{column} = ?' for column in _INCIDENT_VALUES)} "
            "WHERE report_position = ?",
            [
                (*_INCIDENT_VALUES_OF(row), row["report_position"])
                for row in self.changed_incidents.values()
            ],
        )
        for table in ("incident_states", "follow_up_states"):
            cursor.executemany(
                f"UPDATE {tables.name(table)} SET valid_to = ? WHERE "
                + " AND ".join(f"{column} = ?" for column in KEYS[table]),
                self.closed[table],
            )
            cursor.insert_many(
                tables.name(table),
                COLUMNS[table],
                [_ROW_OF[table](row) for row in self.opened[table]],
            )
        days = tables.name("day_counts")
        cursor.executemany(
            f"INSERT INTO {days} (scope, day, events) VALUES (?, ?, ?) "
            f"ON CONFLICT (scope, day) DO UPDATE SET events = {days}.events "
            "+ excluded.events",
            [(scope, day, events) for (scope, day), events in self.day_counts()],
        )

    def day_counts(self) -> list[tuple[tuple[str, str], int]]:
        """Count the batch's events by scope and day, and over all days ("")."""
        counts: Counter[tuple[str, str]] = Counter()
        for (office, day), events in self.days.items():
            counts[office, day] += events
            counts[office, ""] += events
            counts["", day] += events
        for day, events in self.other_days.items():
            counts["", day] += events
        counts["", ""] = sum(self.days.values()) + sum(self.other_days.values())
        return sorted(counts.items())


# Each table's columns, and the temporal tables' keys, taken from a row in order.
_ROW_OF = {table: itemgetter(*COLUMNS[table]) for table in _ROW_TABLES}
_KEY_OF = {table: itemgetter(*KEYS[table]) for table in _ROW_TABLES[1:]}
_INCIDENT_VALUES_OF = itemgetter(*_INCIDENT_VALUES)


def _event_row(fact: Fact, office: str) -> tuple[Any, ...]:
    """Return the row of an incident's event, with what its timelines show."""
    data = fact.state.copy()
    for name in _NOT_DATA:
        data.pop(name, None)
    if "contact" in data and data["contact"] is None:
        # Read models never hold a visitor's contact details: only whether
        # there were some (facts already hold {"recorded": true} for them).
        data["contact"] = {"recorded": False}
    occurred_at = data.get("occurred_at")
    kind = fact.kind
    return (
        fact.position,
        fact.originator_id,
        fact.version,
        kind.name,
        kind.topic,
        fact.get("actor"),
        fact.recorded_at,
        office,
        occurred_at if isinstance(occurred_at, str) else None,
        _encode(data),
    )


def _unreadable(value: object) -> str:
    name = value.transcoding if isinstance(value, Unreadable) else type(value).__name__
    raise TypeError(f"Cannot store {name} in a timeline")


def _encoder() -> Callable[[Any], str]:
    """Return a function writing JSON as ``json.dumps(sort_keys=True)`` would.

    CPython's C encoder, made once, writes a small object in half the time that
    ``JSONEncoder.encode`` takes, which makes it afresh every call.
    """
    options = json.JSONEncoder(default=_unreadable, sort_keys=True, ensure_ascii=False)
    if c_make_encoder is None:  # pragma: no cover - CPython has it
        return options.encode
    encode = c_make_encoder(
        None,
        _unreadable,
        encode_basestring,
        None,
        options.key_separator,
        options.item_separator,
        True,
        False,
        True,
    )
    return lambda value: "".join(encode(value, 0))


_encode = _encoder()


# Incident states.


def _on_reported(batch: _Batch, fact: Fact) -> None:
    occurred_at = fact.get("occurred_at")
    occurred_on = paris_day(occurred_at)
    batch.add_incident(
        {
            "incident_id": fact.originator_id,
            "report_position": fact.position,
            "office": fact.get("office"),
            "status": OPEN,
            "occurred_at": occurred_at,
            "occurred_on": occurred_on,
            "recorded_at": fact.recorded_at,
            "modified_at": fact.recorded_at,
            "category": fact.get("category"),
            "severity": fact.get("severity"),
            "target": fact.get("target"),
            "trigger_code": fact.get("trigger"),
            "summary": fact.get("summary"),
            "reported_by": fact.get("actor"),
            "version": fact.version,
            "position": fact.position,
            "resolution": None,
            "scheduled_follow_ups": 0,
            "has_contact": int(fact.get("contact") is not None),
        }
    )
    state: Row = dict.fromkeys(_STATE_COLUMNS, 0)
    state.update(
        report_position=fact.position,
        incident_id=fact.originator_id,
        version=fact.version,
        valid_from=fact.recorded_at,
        valid_to=None,
        office=fact.get("office"),
        occurred_at=occurred_at,
        occurred_on=occurred_on,
        category=fact.get("category"),
        severity=fact.get("severity"),
        target=fact.get("target"),
        trigger_code=fact.get("trigger"),
        status=OPEN,
        closed_at=None,
    )
    batch.open("incident_states", fact.originator_id, state)


def _change_state(batch: _Batch, fact: Fact, change: Callable[[Row], None]) -> None:
    batch.supersede("incident_states", fact.originator_id, fact, change)


def _on_de_escalation(batch: _Batch, fact: Fact) -> None:
    outcome = fact.get("outcome")
    column = "outcome_left" if outcome == "left" else outcome

    def count(state: Row) -> None:
        state["de_escalations"] += 1
        state[column] += 1

    _change_state(batch, fact, count)


def _on_escalated(batch: _Batch, fact: Fact) -> None:
    column = f"to_{fact.get('to')}"

    def count(state: Row) -> None:
        state[column] += 1

    _change_state(batch, fact, count)


def _on_severity(batch: _Batch, fact: Fact) -> None:
    severity = fact.get("severity")
    _change_state(batch, fact, lambda state: state.update(severity=severity))
    batch.change_incident(fact, severity=severity)


_AMENDED_STATE = {"category": "category", "target": "target", "trigger": "trigger_code"}


def _on_amended(batch: _Batch, fact: Fact) -> None:
    amended: dict[str, Any] = fact.get("changes")
    changes: dict[str, Any] = {}
    for name, value in amended.items():
        if name in _AMENDED_STATE:
            changes[_AMENDED_STATE[name]] = value
        elif name == "occurred_at":
            changes["occurred_at"] = value
            changes["occurred_on"] = paris_day(value)
    if changes:
        _change_state(batch, fact, lambda state: state.update(changes))
    if "summary" in amended:
        changes["summary"] = amended["summary"]
    if changes:
        batch.change_incident(fact, **changes)


def _on_closed(batch: _Batch, fact: Fact) -> None:
    at = fact.recorded_at
    _change_state(batch, fact, lambda state: state.update(status=CLOSED, closed_at=at))
    batch.change_incident(fact, status=CLOSED, resolution=fact.get("resolution"))


def _on_reopened(batch: _Batch, fact: Fact) -> None:
    _change_state(batch, fact, lambda state: state.update(status=OPEN, closed_at=None))
    batch.change_incident(fact, status=OPEN, resolution=None)


def _on_erased(batch: _Batch, fact: Fact) -> None:
    batch.change_incident(fact, has_contact=0)


def _on_note(batch: _Batch, fact: Fact) -> None:
    """Notes appear only in the timelines."""


# Follow-ups.


def _on_follow_up_scheduled(batch: _Batch, fact: Fact) -> None:
    follow_up_id = fact.get("follow_up_id")
    batch.open(
        "follow_up_states",
        follow_up_id,
        {
            "report_position": batch.incidents[fact.originator_id]["report_position"],
            "follow_up_id": follow_up_id,
            "version": fact.version,
            "incident_id": fact.originator_id,
            "valid_from": fact.recorded_at,
            "valid_to": None,
            "kind": fact.get("kind"),
            "due_on": fact.get("due_on"),
            "assignee": fact.get("assignee"),
            "status": SCHEDULED_STATUS,
        },
    )
    batch.count_scheduled(fact, +1)


def _finish_follow_up(batch: _Batch, fact: Fact, status: str) -> None:
    batch.supersede(
        "follow_up_states",
        fact.get("follow_up_id"),
        fact,
        lambda row: row.update(status=status),
    )
    batch.count_scheduled(fact, -1)


def _on_follow_up_completed(batch: _Batch, fact: Fact) -> None:
    _finish_follow_up(batch, fact, COMPLETED)


def _on_follow_up_cancelled(batch: _Batch, fact: Fact) -> None:
    _finish_follow_up(batch, fact, CANCELLED)


_Handler = Callable[[_Batch, Fact], None]

REPORTED = Incident.Reported.TOPIC
SCHEDULED = Incident.FollowUpScheduled.TOPIC
# What the batch keeps the current temporal rows by.
_CURRENT_KEY = {"incident_states": "incident_id", "follow_up_states": "follow_up_id"}
_FINISHES = {
    Incident.FollowUpCompleted.TOPIC,
    Incident.FollowUpCancelled.TOPIC,
}
_CHANGES_STATE = {
    Incident.DeEscalationRecorded.TOPIC,
    Incident.Escalated.TOPIC,
    Incident.SeverityReassessed.TOPIC,
    Incident.Amended.TOPIC,
    Incident.Closed.TOPIC,
    Incident.Reopened.TOPIC,
}
_HANDLERS: dict[str | None, _Handler] = {
    REPORTED: _on_reported,
    Incident.DeEscalationRecorded.TOPIC: _on_de_escalation,
    Incident.Escalated.TOPIC: _on_escalated,
    Incident.SeverityReassessed.TOPIC: _on_severity,
    SCHEDULED: _on_follow_up_scheduled,
    Incident.FollowUpCompleted.TOPIC: _on_follow_up_completed,
    Incident.FollowUpCancelled.TOPIC: _on_follow_up_cancelled,
    Incident.NoteAdded.TOPIC: _on_note,
    Incident.Amended.TOPIC: _on_amended,
    Incident.Closed.TOPIC: _on_closed,
    Incident.Reopened.TOPIC: _on_reopened,
    Incident.PersonalDataErased.TOPIC: _on_erased,
}

"""Hold the rows one batch of facts reads, changes and writes, until it writes them.

The rows the batch's facts refer to are read first, with one query per table
(or taken from what the previous batch left, :class:`Known`, when the projector
may trust it); every fact is then applied in log order, to those rows and to the
rows that earlier facts of the batch opened (a later fact may close a row opened
earlier in the batch: that row is written already closed); and the result is
written with one statement per table and kind (``COPY`` for inserts on
PostgreSQL).

A handler changes rows only through the batch (``open``, ``supersede``,
``add_incident``, ``change_incident``, ``count_scheduled``), never with SQL of
its own: a later fact of the same batch must see the change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from incidents.domain import Incident
from projections.database import Cursor
from projections.days import paris_day
from projections.facts import Fact
from projections.handlers.day_counts import DayCounts
from projections.handlers.timelines import event_row
from projections.tables import COLUMNS, KEYS, Tables

# How many keys one query reads at most (well under every driver's limit).
LOAD_CHUNK = 500

REPORTED = Incident.Reported.TOPIC
_INCIDENT_VALUES = tuple(c for c in COLUMNS["incidents"] if c != "report_position")
_ROW_TABLES = ("incidents", "incident_states", "follow_up_states")
# What the batch keeps the current temporal rows by.
_CURRENT_KEY = {"incident_states": "incident_id", "follow_up_states": "follow_up_id"}

Row = dict[str, Any]
Handler = Callable[["Batch", Fact], None]


@dataclass(frozen=True)
class Dispatch:
    """Say what each topic's facts do to the read models.

    ``handlers`` are run in turn for every event of an incident (a topic without
    any is only in the audit trail); the two sets name the topics whose facts
    change the current row of an incident's state or of a follow-up's, which
    the batch reads first.
    """

    handlers: Mapping[str | None, tuple[Handler, ...]]
    changes_incident_state: frozenset[str]
    changes_follow_up_state: frozenset[str]


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


class Batch:
    """Hold the rows one batch reads and writes, until it writes them."""

    def __init__(
        self, cursor: Cursor, tables: Tables, known: Known, dispatch: Dispatch
    ) -> None:
        self.cursor = cursor
        self.tables = tables
        self.dispatch = dispatch
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
        self.days = DayCounts()
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
        handlers = self.dispatch.handlers
        changes_state = self.dispatch.changes_incident_state
        changes_follow_up = self.dispatch.changes_follow_up_state
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
            if topic not in handlers:
                continue
            incident_id = fact.originator_id
            if topic == REPORTED:
                reported.add(incident_id)
                continue
            if incident_id in reported:
                continue
            incident_ids.add(incident_id)
            if topic in changes_state and incident_id not in states:
                wanted["incident_states"].add(incident_id)
            elif topic in changes_follow_up and (
                fact.get("follow_up_id") not in follow_ups
            ):
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
        handlers = self.dispatch.handlers.get(kind.topic)
        office = None
        if kind.topic == REPORTED:
            office = fact.get("office")
        elif handlers is not None and incident_id in self.incidents:
            office = self.incidents[incident_id]["office"]
        if handlers is None or office is None:
            # Only in the audit trail: not an incident's event (an incident
            # unknown here cannot be, for the log starts with its report).
            self.events.append(event_row(fact, None))
            self.days.count(None, day)
            return
        for handler in handlers:
            handler(self, fact)
        self.events.append(event_row(fact, office))
        self.days.count(office, day)
        # Every event of an incident moves its index row to the event's version.
        row = self.incidents[incident_id]
        if incident_id not in self.new_incidents:
            self.changed_incidents[incident_id] = row
        row["version"] = fact.version
        row["position"] = fact.position
        row["modified_at"] = recorded_at

    def add_incident(self, row: Row) -> None:
        """Add a new incident's index row."""
        self.incidents[row["incident_id"]] = row
        self.new_incidents[row["incident_id"]] = row

    def change_incident(self, fact: Fact, **changes: Any) -> Row:
        """Change columns of the index row of the fact's incident."""
        row = self.incidents[fact.originator_id]
        row.update(changes)
        if fact.originator_id not in self.new_incidents:
            self.changed_incidents[fact.originator_id] = row
        return row

    def count_scheduled(self, fact: Fact, step: int) -> None:
        """Add ``step`` to the follow-ups still scheduled for the fact's incident."""
        row = self.incidents[fact.originator_id]
        self.change_incident(
            fact, scheduled_follow_ups=row["scheduled_follow_ups"] + step
        )

    def open(self, table: str, key: str, row: Row) -> None:
        """Open a temporal row, current until a later fact supersedes it."""
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
        self.days.write(cursor, tables)


# Each table's columns, and the temporal tables' keys, taken from a row in order.
_ROW_OF = {table: itemgetter(*COLUMNS[table]) for table in _ROW_TABLES}
_KEY_OF = {table: itemgetter(*KEYS[table]) for table in _ROW_TABLES[1:]}
_INCIDENT_VALUES_OF = itemgetter(*_INCIDENT_VALUES)

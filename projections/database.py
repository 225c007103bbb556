"""Reach the read-model tables in the database that holds the events.

Read models live beside the event store: in the same SQLite file, or in the same
PostgreSQL schema, through the event store's own connection pool. For the
in-memory event store they live in a private in-memory SQLite database. SQL is
written once with ``?`` placeholders and adapted to the driver.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from eventsourcing.persistence import Notification, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from incidents.sql_names import qualified

if TYPE_CHECKING:
    from incidents.application import IncidentLog

Row = tuple[Any, ...]

# Numbers nothing else in the database uses as advisory locks.
SCHEMA_LOCK = 0x52EAD0DE1
READERS_LOCK = 0x52EAD0DE2


class _DriverCursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: Any, params: Any = ...) -> Any: ...
    def executemany(self, sql: Any, params: Any) -> Any: ...
    def fetchall(self) -> Any: ...
    def fetchmany(self, size: int) -> Any: ...
    def fetchone(self) -> Any: ...


class Cursor:
    """Run SQL written with ``?`` placeholders, and return rows as tuples."""

    def __init__(self, cursor: _DriverCursor, *, dialect: str) -> None:
        self._cursor = cursor
        self._dialect = dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._cursor.execute(self._adapt(sql), tuple(params))
        return int(self._cursor.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(self._adapt(sql), [tuple(row) for row in rows])

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert rows into a table: on PostgreSQL by COPY, many times faster."""
        if not rows:
            return
        if self._dialect == "postgres":
            postgres: Any = self._cursor  # a psycopg cursor
            with postgres.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        self._cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            rows,
        )

    def fetchall(self) -> list[Row]:
        return [self._row(row) for row in self._cursor.fetchall()]

    def fetchmany(self, size: int) -> list[Row]:
        return [self._row(row) for row in self._cursor.fetchmany(size)]

    def fetchone(self) -> Row | None:
        row = self._cursor.fetchone()
        return None if row is None else self._row(row)

    def _adapt(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._dialect == "postgres" else sql

    def _row(self, row: Any) -> Row:
        if isinstance(row, dict):
            return tuple(row.values())
        return tuple(row)


class Database:
    """Open transactions on the database of an incident log."""

    def __init__(self, log: IncidentLog) -> None:
        recorder = log.recorder
        self._lock = threading.RLock()
        self._memory: sqlite3.Connection | None = None
        # The event store's table, which the read models read their events from.
        self.events_table: str | None = getattr(recorder, "events_table_name", None)
        if isinstance(recorder, PostgresApplicationRecorder):
            self.dialect = "postgres"
            self._postgres = recorder.datastore
            self.schema = recorder.datastore.schema
        elif isinstance(recorder, SQLiteApplicationRecorder):
            self.dialect = "sqlite"
            self._sqlite = recorder.datastore
            self.schema = ""
        else:
            self.dialect = "sqlite"
            self.schema = ""
            self._memory = sqlite3.connect(
                ":memory:", check_same_thread=False, isolation_level=None
            )

    @property
    def in_memory(self) -> bool:
        """Tell whether this is the private database of an in-memory event store."""
        return self._memory is not None

    def notifications(
        self, log: IncidentLog, start: int, limit: int, stop: int | None = None
    ) -> list[Notification]:
        """Read up to ``limit`` events of the log from position ``start`` on.

        What the event store's ``select_notifications`` returns, read with one
        plain query from the table it keeps them in, with the originator's id
        as the text the read models keep rather than a ``UUID`` they would turn
        back into text (a million events read in 3.7 s this way on SQLite, 4.4 s
        through ``select_notifications``). The in-memory store is asked.
        """
        if self._memory is not None:
            return [
                replace(notification, originator_id=str(notification.originator_id))
                for notification in log.recorder.select_notifications(
                    start, limit, stop=stop
                )
            ]
        if self.dialect == "postgres":
            position, originator = "notification_id", "CAST(originator_id AS TEXT)"
        else:
            position, originator = "rowid", _SQLITE_ID_TEXT
        with self.transaction(write=False) as cursor:
            cursor.execute(
                f"SELECT {position}, {originator}, originator_version, topic, state "
                f"FROM {self.table(str(self.events_table))} "
                f"WHERE {position} >= ? AND {position} <= ? "
                f"ORDER BY {position} LIMIT ?",
                (start, _LAST if stop is None else stop, limit),
            )
            return [
                Notification(
                    id=row[0],
                    originator_id=row[1],
                    originator_version=row[2],
                    topic=row[3],
                    state=bytes(row[4]),
                )
                for row in cursor.fetchall()
            ]

    def table(self, name: str) -> str:
        """Return the table name, qualified by the schema where there is one."""
        return qualified(self.schema, name) if self.dialect == "postgres" else name

    def has_table(self, cursor: Cursor, name: str) -> bool:
        """Tell whether a table exists, without locking it."""
        if self.dialect == "postgres":
            cursor.execute("SELECT to_regclass(?) IS NOT NULL", (self.table(name),))
        else:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master "
                "WHERE type = 'table' AND name = ?)",
                (name,),
            )
        row = cursor.fetchone()
        return row is not None and bool(row[0])

    def columns(self, cursor: Cursor, name: str) -> list[str]:
        """Return the columns of a table in order (none if it does not exist)."""
        if self.dialect == "postgres":
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                (self.schema, name),
            )
        else:
            cursor.execute(
                "SELECT name FROM pragma_table_info(?) ORDER BY cid", (name,)
            )
        return [str(row[0]) for row in cursor.fetchall()]

    @contextmanager
    def changing_schema(self) -> Iterator[Cursor]:
        """Create or drop tables in a write transaction that one process runs at a time.

        PostgreSQL refuses concurrent DDL on one object even with IF NOT EXISTS;
        SQLite's write lock already serialises it.
        """
        with self.transaction(write=True) as cursor:
            if self.dialect == "postgres":
                cursor.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))
            yield cursor

    def analyse(self, tables: Sequence[str]) -> None:
        """Give PostgreSQL's planner the statistics of tables just loaded.

        Until autovacuum gets to them, it would plan queries on a bulk-loaded
        table as if it were empty. SQLite plans from the indexes' shapes alone.
        """
        if self.dialect != "postgres":
            return
        with self.transaction(write=True) as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")

    @contextmanager
    def snapshot(self) -> Iterator[Cursor]:
        """Read in one transaction that sees a single state of the database.

        On PostgreSQL the reader also holds a shared lock that a swap of
        generations waits for (:meth:`swapping`), taken *before* the snapshot
        begins: DDL is not covered by snapshots there, so a reader must never
        start on tables that a rebuild is about to drop.
        """
        if self.dialect != "postgres":
            with self.transaction(write=False) as cursor:
                yield cursor
            return
        with self._postgres.get_connection() as connection:
            connection.execute("SELECT pg_advisory_lock_shared(%s)", (READERS_LOCK,))
            try:
                with connection.transaction(force_rollback=True):
                    pg_cursor = connection.cursor()
                    pg_cursor.row_factory = _tuple_rows  # type: ignore[assignment]
                    pg_cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    yield Cursor(pg_cursor, dialect=self.dialect)
            finally:
                connection.execute(
                    "SELECT pg_advisory_unlock_shared(%s)", (READERS_LOCK,)
                )

    @contextmanager
    def swapping(self) -> Iterator[Cursor]:
        """Write in a transaction that waits until no snapshot reader is reading."""
        with self.transaction(write=True) as cursor:
            if self.dialect == "postgres":
                cursor.execute("SELECT pg_advisory_xact_lock(?)", (READERS_LOCK,))
            yield cursor

    @contextmanager
    def transaction(self, *, write: bool, durable: bool = True) -> Iterator[Cursor]:
        """Run statements in one transaction, committed only if ``write``.

        A transaction that is not ``durable`` (read models and their position,
        which the log rebuilds) is committed without waiting for the disk on
        SQLite: a crash of the machine may lose it, never half of it, and the
        projector then applies those events again.
        """
        if self._memory is not None:
            with self._lock:
                cursor = self._memory.cursor()
                cursor.execute("BEGIN")
                try:
                    yield Cursor(cursor, dialect=self.dialect)
                except BaseException:
                    self._memory.rollback()
                    raise
                if write:
                    self._memory.commit()
                else:
                    self._memory.rollback()
            return
        if self.dialect == "postgres":
            with self._postgres.transaction(commit=write) as pg_cursor:
                pg_cursor.row_factory = _tuple_rows  # type: ignore[assignment]
                yield Cursor(pg_cursor, dialect=self.dialect)
            return
        with self._sqlite.get_connection(commit=write) as connection:
            # A writer takes the database lock at BEGIN (waiting for it up to the
            # lock timeout), so that what it reads stays true until it commits.
            cursor = connection.cursor().sqlite_cursor
            relaxed = write and not durable
            if relaxed:
                # Set outside the transaction, and back after it: the
                # connection goes back to the pool the event store shares.
                cursor.execute("PRAGMA synchronous = NORMAL")
            try:
                try:
                    cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                    yield Cursor(cursor, dialect=self.dialect)
                except sqlite3.OperationalError as error:
                    connection.rollback()
                    raise OperationalError(error) from error
                except BaseException:
                    connection.rollback()
                    raise
                if write:
                    connection.commit()
                else:
                    connection.rollback()
            finally:
                if relaxed:
                    cursor.execute("PRAGMA synchronous = FULL")
                cursor.close()


# An originator's id as text in the usual hyphenated form: the form SQLite keeps
# it in (32 hexadecimal digits, as eventsourcing writes a UUID) is cut there, in
# C, rather than in Python for every event.
_SQLITE_ID_TEXT = (
    "CASE WHEN length(originator_id) = 32 THEN lower(substr(originator_id, 1, 8) "
    "|| '-' || substr(originator_id, 9, 4) || '-' || substr(originator_id, 13, 4) "
    "|| '-' || substr(originator_id, 17, 4) || '-' || substr(originator_id, 21)) "
    "ELSE originator_id END"
)
# Past the last position any log can reach (a 64-bit signed integer).
_LAST = 2**63 - 1


def _tuple_rows(cursor: object) -> type[tuple[Any, ...]]:
    # A psycopg row factory: the store's connections make dicts of rows, which
    # would keep only one of two columns of the same name (COUNT(*), COUNT(...)).
    return tuple

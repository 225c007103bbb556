"""Keep the hash chain and the signed checkpoints beside the events.

The ledger is two tables in the event store's own database (the same SQLite
file, the same PostgreSQL schema), reached through its connection pool as
``incidents/credentials.py`` does; a plain list for the in-memory store:

- ``evidence_chain(position, size, content, chain)``: one row per event, appended
  in log order and never changed; its last row is how far the ledger has gone;
- ``evidence_checkpoints(size, position, root, time, signature, key_id)``.

It is *not* a read model: it is never rebuilt from the events, because it is the
memory that the events are checked against.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from incidents.evidence.hashing import GENESIS
from incidents.evidence.signing import Checkpoint

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder

# Numbers nothing else in the database uses as advisory locks.
LEDGER_SCHEMA_LOCK = 0x5EA1ED01
LEDGER_WRITE_LOCK = 0x5EA1ED02
READ_BATCH = 1000

Row = tuple[Any, ...]


@dataclass(frozen=True)
class ChainRow:
    """Hold one row of the chain: an event's position, content hash and chain value."""

    position: int
    size: int
    content: bytes
    chain: bytes


@dataclass(frozen=True)
class Head:
    """Say how far the ledger has gone: last position, events covered, chain value."""

    position: int
    size: int
    chain: bytes


EMPTY = Head(0, 0, GENESIS)


class Ledger(ABC):
    """Store the chain and the checkpoints; append-only."""

    @abstractmethod
    def head(self) -> Head:
        """Return the last row of the chain, or :data:`EMPTY`."""

    @abstractmethod
    def append(self, after: Head, rows: Sequence[ChainRow]) -> bool:
        """Append rows in one transaction if the head is still ``after``; say if so."""

    @abstractmethod
    def rows(self, start: int, stop: int, *, limit: int = READ_BATCH) -> list[ChainRow]:
        """Return up to ``limit`` rows with ``start <= position <= stop``, in order."""

    @abstractmethod
    def add_checkpoint(self, checkpoint: Checkpoint) -> Checkpoint:
        """Store a checkpoint unless one of that size exists; return the stored one."""

    @abstractmethod
    def checkpoints(self) -> list[Checkpoint]:
        """Return every checkpoint, smallest first."""

    @abstractmethod
    def latest_checkpoint(self) -> Checkpoint | None:
        """Return the checkpoint of the largest size, if any."""

    def iter_rows(self, start: int, stop: int) -> Iterator[ChainRow]:
        """Yield the rows with ``start <= position <= stop``, a page at a time."""
        while start <= stop:
            page = self.rows(start, stop, limit=READ_BATCH)
            if not page:
                return
            yield from page
            start = page[-1].position + 1

    def row_at(self, position: int) -> ChainRow | None:
        """Return the row at a position, if the ledger has one."""
        page = self.rows(position, position, limit=1)
        return page[0] if page else None


class MemoryLedger(Ledger):
    """Keep the ledger in memory, beside the in-memory event store."""

    def __init__(self) -> None:
        self._rows: list[ChainRow] = []
        self._checkpoints: dict[int, Checkpoint] = {}
        self._lock = threading.Lock()

    def head(self) -> Head:
        with self._lock:
            if not self._rows:
                return EMPTY
            last = self._rows[-1]
            return Head(last.position, last.size, last.chain)

    def append(self, after: Head, rows: Sequence[ChainRow]) -> bool:
        with self._lock:
            current = self._rows[-1].position if self._rows else 0
            if current != after.position:
                return False
            self._rows.extend(rows)
            return True

    def rows(self, start: int, stop: int, *, limit: int = READ_BATCH) -> list[ChainRow]:
        with self._lock:
            # Positions are ascending: a bisection finds the first wanted row.
            low, high = 0, len(self._rows)
            while low < high:
                middle = (low + high) // 2
                if self._rows[middle].position < start:
                    low = middle + 1
                else:
                    high = middle
            found: list[ChainRow] = []
            for index in range(low, min(low + limit, len(self._rows))):
                row = self._rows[index]
                if row.position > stop:
                    break
                found.append(row)
            return found

    def add_checkpoint(self, checkpoint: Checkpoint) -> Checkpoint:
        with self._lock:
            return self._checkpoints.setdefault(checkpoint.size, checkpoint)

    def checkpoints(self) -> list[Checkpoint]:
        with self._lock:
            return [self._checkpoints[size] for size in sorted(self._checkpoints)]

    def latest_checkpoint(self) -> Checkpoint | None:
        with self._lock:
            if not self._checkpoints:
                return None
            return self._checkpoints[max(self._checkpoints)]


class SQLLedger(Ledger):
    """Keep the ledger in two tables of the event store's database."""

    dialect: str

    def __init__(self) -> None:
        self.chain_table = self.table("evidence_chain")
        self.checkpoints_table = self.table("evidence_checkpoints")
        self._create_tables()

    # What each database does differently.

    @abstractmethod
    def table(self, name: str) -> str:
        """Return a table's name as SQL, qualified by the schema where there is one."""

    @abstractmethod
    def reading(self) -> Any:
        """Return a context manager giving a cursor in a read-only transaction."""

    @abstractmethod
    def writing(self) -> Any:
        """Return a context manager giving a cursor in a serialised write."""

    @abstractmethod
    def _create_tables(self) -> None: ...

    def _table_statements(self, integer: str, blob: str) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.chain_table} ("
            f" position {integer} PRIMARY KEY,"
            f" size {integer} NOT NULL,"
            f" content {blob} NOT NULL,"
            f" chain {blob} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.checkpoints_table} ("
            f" size {integer} PRIMARY KEY,"
            f" position {integer} NOT NULL,"
            f" root {blob} NOT NULL,"
            " time TEXT NOT NULL,"
            f" signature {blob} NOT NULL,"
            " key_id TEXT NOT NULL)",
        ]

    # The ledger.

    def head(self) -> Head:
        with self.reading() as cursor:
            return self._head(cursor)

    def _head(self, cursor: _Cursor) -> Head:
        cursor.execute(
            f"SELECT position, size, chain FROM {self.chain_table} "  # noqa: S608
            "ORDER BY position DESC LIMIT 1"
        )
        row = cursor.fetchone()
        if row is None:
            return EMPTY
        return Head(int(row[0]), int(row[1]), bytes(row[2]))

    def append(self, after: Head, rows: Sequence[ChainRow]) -> bool:
        with self.writing() as cursor:
            if self._head(cursor).position != after.position:
                return False  # Another keeper sealed these events first.
            cursor.executemany(
                f"INSERT INTO {self.chain_table} "  # noqa: S608
                "(position, size, content, chain) VALUES (?, ?, ?, ?)",
                [(row.position, row.size, row.content, row.chain) for row in rows],
            )
        return True

    def rows(self, start: int, stop: int, *, limit: int = READ_BATCH) -> list[ChainRow]:
        with self.reading() as cursor:
            cursor.execute(
                f"SELECT position, size, content, chain FROM {self.chain_table} "  # noqa: S608
                "WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?",
                (start, stop, limit),
            )
            return [
                ChainRow(int(row[0]), int(row[1]), bytes(row[2]), bytes(row[3]))
                for row in cursor.fetchall()
            ]

    def add_checkpoint(self, checkpoint: Checkpoint) -> Checkpoint:
        with self.writing() as cursor:
            cursor.execute(
                f"INSERT INTO {self.checkpoints_table} "  # noqa: S608
                "(size, position, root, time, signature, key_id) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (size) DO NOTHING",
                (
                    checkpoint.size,
                    checkpoint.position,
                    checkpoint.root,
                    checkpoint.time,
                    checkpoint.signature,
                    checkpoint.key_id,
                ),
            )
            stored = self._select_checkpoints(
                cursor, "WHERE size = ?", (checkpoint.size,)
            )
        return stored[0]

    def checkpoints(self) -> list[Checkpoint]:
        with self.reading() as cursor:
            return self._select_checkpoints(cursor, "ORDER BY size", ())

    def latest_checkpoint(self) -> Checkpoint | None:
        with self.reading() as cursor:
            found = self._select_checkpoints(cursor, "ORDER BY size DESC LIMIT 1", ())
        return found[0] if found else None

    def _select_checkpoints(
        self, cursor: _Cursor, clause: str, params: Sequence[Any]
    ) -> list[Checkpoint]:
        cursor.execute(
            "SELECT size, position, root, time, key_id, signature "  # noqa: S608
            f"FROM {self.checkpoints_table} {clause}",
            params,
        )
        return [
            Checkpoint(
                size=int(row[0]),
                position=int(row[1]),
                root=bytes(row[2]),
                time=str(row[3]),
                key_id=str(row[4]),
                signature=bytes(row[5]),
            )
            for row in cursor.fetchall()
        ]


class _Cursor:
    # SQL is written once with ``?`` placeholders; rows come back as tuples.

    def __init__(self, cursor: Any, *, dialect: str) -> None:
        self._cursor = cursor
        self._postgres = dialect == "postgres"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(self._adapt(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(self._adapt(sql), [tuple(row) for row in rows])

    def fetchone(self) -> Row | None:
        row = self._cursor.fetchone()
        return None if row is None else self._row(row)

    def fetchall(self) -> list[Row]:
        return [self._row(row) for row in self._cursor.fetchall()]

    def _adapt(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._postgres else sql

    @staticmethod
    def _row(row: Any) -> Row:
        return tuple(row.values()) if isinstance(row, dict) else tuple(row)


class SQLiteLedger(SQLLedger):
    """Keep the ledger in the SQLite file of the events."""

    dialect = "sqlite"

    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self._datastore = recorder.datastore
        super().__init__()

    def table(self, name: str) -> str:
        return name

    def _create_tables(self) -> None:
        with self.reading() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                "AND name IN ('evidence_chain', 'evidence_checkpoints')"
            )
            row = cursor.fetchone()
        if row is not None and row[0] == 2:
            return
        with self.writing() as cursor:
            for statement in self._table_statements("INTEGER", "BLOB"):
                cursor.execute(statement)

    @contextmanager
    def reading(self) -> Iterator[_Cursor]:
        with self._datastore.transaction(commit=False) as cursor:
            yield _Cursor(cursor.sqlite_cursor, dialect=self.dialect)

    @contextmanager
    def writing(self) -> Iterator[_Cursor]:
        with self._datastore.get_connection(commit=True) as connection:
            # BEGIN IMMEDIATE takes the database's write lock at once (waiting up
            # to the lock timeout), so the head read next stays true until commit.
            cursor = connection.cursor().sqlite_cursor
            try:
                cursor.execute("BEGIN IMMEDIATE")
                yield _Cursor(cursor, dialect=self.dialect)
            except sqlite3.OperationalError as error:
                connection.rollback()
                raise OperationalError(error) from error
            except BaseException:
                connection.rollback()
                raise
            else:
                connection.commit()
            finally:
                cursor.close()


class PostgresLedger(SQLLedger):
    """Keep the ledger in the PostgreSQL schema of the events."""

    dialect = "postgres"

    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self._datastore = recorder.datastore
        super().__init__()

    def table(self, name: str) -> str:
        return f'"{self._datastore.schema}".{name}'

    def _create_tables(self) -> None:
        with self.reading() as cursor:
            cursor.execute(
                "SELECT to_regclass(?) IS NOT NULL AND to_regclass(?) IS NOT NULL",
                (self.chain_table, self.checkpoints_table),
            )
            row = cursor.fetchone()
        if row is not None and row[0]:
            return
        with self._datastore.transaction(commit=True) as pg_cursor:
            cursor = _Cursor(pg_cursor, dialect=self.dialect)
            # PostgreSQL refuses concurrent DDL on one object, even with IF NOT
            # EXISTS: processes starting together create the tables in turn.
            cursor.execute("SELECT pg_advisory_xact_lock(?)", (LEDGER_SCHEMA_LOCK,))
            for statement in self._table_statements("BIGINT", "BYTEA"):
                cursor.execute(statement)

    @contextmanager
    def reading(self) -> Iterator[_Cursor]:
        with self._datastore.transaction(commit=False) as pg_cursor:
            yield _Cursor(pg_cursor, dialect=self.dialect)

    @contextmanager
    def writing(self) -> Iterator[_Cursor]:
        with self._datastore.transaction(commit=True) as pg_cursor:
            cursor = _Cursor(pg_cursor, dialect=self.dialect)
            cursor.execute("SELECT pg_advisory_xact_lock(?)", (LEDGER_WRITE_LOCK,))
            yield cursor


def ledger_for(recorder: ApplicationRecorder) -> Ledger:
    """Return the ledger that lives beside the given event recorder."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLiteLedger(recorder)
    if isinstance(recorder, PostgresApplicationRecorder):
        return PostgresLedger(recorder)
    return MemoryLedger()

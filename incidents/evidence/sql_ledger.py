"""Keep the ledger in two tables of the event store's SQLite file or PostgreSQL schema.

Reached through the event store's own connection pool, as
``incidents/credentials.py`` does (no database driver is imported here). The
SQL is written once with ``?`` placeholders. Writes happen only in a
transaction that holds the event table's write lock (the one storing events,
or :meth:`SQLLedger.writing`), so the head it reads stays true until commit.
"""

from __future__ import annotations

import sqlite3
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import OperationalError

from incidents.evidence.ledger import (
    EMPTY,
    READ_BATCH,
    ChainRow,
    Head,
    Ledger,
    LedgerWriter,
)
from incidents.evidence.signing import Checkpoint
from incidents.evidence.sql_rows import (
    CHECKPOINT_COLUMNS,
    ROW_COLUMNS,
    SIGNED_TREE_COLUMNS,
    TREE_COLUMNS,
    Cursor,
    Layout,
    chain_row,
    checkpoint_row,
)

if TYPE_CHECKING:
    from eventsourcing.postgres import PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder


class SQLLedger(Ledger):
    """Keep the ledger in two tables of the event store's database."""

    dialect: str
    integer: str
    blob: str
    empty_blob: str

    def __init__(self) -> None:
        self.chain_table = self.table("evidence_chain")
        self.checkpoints_table = self.table("evidence_checkpoints")

    # What each database does differently.

    @abstractmethod
    def table(self, name: str) -> str:
        """Return a table's name as SQL, qualified by the schema where there is one."""

    @abstractmethod
    def reading(self) -> Any:
        """Return a context manager giving a cursor in a read-only transaction."""

    @abstractmethod
    def writing(self) -> Any:
        """Return a context manager giving a cursor holding the events' write lock."""

    @abstractmethod
    def columns(self, cursor: Cursor, table: str) -> set[str]:
        """Return the names of a ledger table's columns (none if it is absent)."""

    def layout(self, cursor: Cursor) -> Layout:
        """Tell which version of the ledger's tables the store holds."""
        chain = self.columns(cursor, "evidence_chain")
        if not chain:
            return Layout.ABSENT
        if not set(TREE_COLUMNS) <= chain:
            return Layout.CHAINED
        if not set(SIGNED_TREE_COLUMNS) <= self.columns(cursor, "evidence_checkpoints"):
            return Layout.TREE
        if "mac" not in chain:
            return Layout.SIGNED_TREE
        return Layout.CURRENT

    # The tables.

    def create_tables(self, cursor: Cursor) -> None:
        """Create the ledger's tables and index in their current layout."""
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {self.chain_table} ("
            f" position {self.integer} PRIMARY KEY,"
            f" size {self.integer} NOT NULL,"
            f" content {self.blob} NOT NULL,"
            f" chain {self.blob} NOT NULL,"
            + ",".join(f" {name} {self.blob} NOT NULL" for name in TREE_COLUMNS)
            # NULL only in rows sealed before MACs, until the store is migrated.
            + f", mac {self.blob})"
        )
        self._create_size_index(cursor)
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {self.checkpoints_table} ("
            f" size {self.integer} PRIMARY KEY,"
            f" position {self.integer} NOT NULL,"
            f" root {self.blob} NOT NULL,"
            " time TEXT NOT NULL,"
            f" signature {self.blob} NOT NULL,"
            " key_id TEXT NOT NULL,"
            f" chain {self.blob},"
            f" format {self.integer} NOT NULL DEFAULT 1)"
        )

    def add_checkpoint_columns(self, cursor: Cursor) -> None:
        """Let the checkpoints table hold format-2 checkpoints (old ones are 1)."""
        cursor.execute(
            f"ALTER TABLE {self.checkpoints_table} ADD COLUMN chain {self.blob}"
        )
        cursor.execute(
            f"ALTER TABLE {self.checkpoints_table} ADD COLUMN format {self.integer} "
            "NOT NULL DEFAULT 1"
        )

    def add_tree_columns(self, cursor: Cursor) -> None:
        """Bring a chain-only ledger to the current layout (empty values to fill)."""
        for name in TREE_COLUMNS:
            cursor.execute(
                f"ALTER TABLE {self.chain_table} ADD COLUMN {name} {self.blob} "
                f"NOT NULL DEFAULT {self.empty_blob}"
            )
        self._create_size_index(cursor)

    def add_mac_column(self, cursor: Cursor) -> None:
        """Let rows carry a MAC (NULL in the rows written before, until filled)."""
        cursor.execute(f"ALTER TABLE {self.chain_table} ADD COLUMN mac {self.blob}")

    def _create_size_index(self, cursor: Cursor) -> None:
        # A row is found by size when a writer looks up the tree's peaks.
        name = self.chain_table.rsplit(".", 1)[-1]
        cursor.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {name}_size "
            f"ON {self.chain_table} (size)"
        )

    def writer(self, cursor: Cursor) -> SQLLedgerWriter:
        """Return a writer working in the transaction of ``cursor``."""
        return SQLLedgerWriter(self, cursor)

    # Reading.

    def head(self) -> Head:
        with self.reading() as cursor:
            return self.writer(cursor).head()

    def rows(self, start: int, stop: int, *, limit: int = READ_BATCH) -> list[ChainRow]:
        with self.reading() as cursor:
            cursor.execute(
                f"SELECT {ROW_COLUMNS} FROM {self.chain_table} "  # noqa: S608
                "WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?",
                (start, stop, limit),
            )
            return [chain_row(row) for row in cursor.fetchall()]

    def leaves(self, start_size: int, stop_size: int) -> list[bytes]:
        with self.reading() as cursor:
            cursor.execute(
                f"SELECT size, leaf FROM {self.chain_table} "  # noqa: S608
                "WHERE size > ? AND size <= ? ORDER BY size",
                (start_size, stop_size),
            )
            found: list[bytes] = []
            for size, leaf in cursor.fetchall():
                if int(size) != start_size + len(found) + 1:
                    break  # A row is missing: the leaves stop before it.
                found.append(bytes(leaf))
            return found

    def peaks(self, sizes: Sequence[int]) -> dict[int, bytes]:
        with self.reading() as cursor:
            return self.writer(cursor).peaks(sizes)

    def checkpoints(self) -> list[Checkpoint]:
        with self.reading() as cursor:
            return self.select_checkpoints(cursor, "ORDER BY size", ())

    def latest_checkpoint(self) -> Checkpoint | None:
        with self.reading() as cursor:
            return self.writer(cursor).latest_checkpoint()

    def select_checkpoints(
        self, cursor: Cursor, clause: str, params: Sequence[Any]
    ) -> list[Checkpoint]:
        """Return the checkpoints a clause (``WHERE``, ``ORDER BY``) selects."""
        cursor.execute(
            f"SELECT {CHECKPOINT_COLUMNS} "  # noqa: S608
            f"FROM {self.checkpoints_table} {clause}",
            params,
        )
        return [checkpoint_row(row) for row in cursor.fetchall()]


class SQLLedgerWriter(LedgerWriter):
    """Read and append the ledger's tables in the caller's transaction."""

    def __init__(self, ledger: SQLLedger, cursor: Cursor) -> None:
        self.ledger = ledger
        self.cursor = cursor

    def head(self) -> Head:
        self.cursor.execute(
            "SELECT position, size, chain, root "  # noqa: S608
            f"FROM {self.ledger.chain_table} ORDER BY position DESC LIMIT 1"
        )
        row = self.cursor.fetchone()
        if row is None:
            return EMPTY
        position, size, chain, root = row
        return Head(int(position), int(size), bytes(chain), bytes(root))

    def peaks(self, sizes: Sequence[int]) -> dict[int, bytes]:
        if not sizes:
            return {}
        marks = ", ".join("?" * len(sizes))
        self.cursor.execute(
            f"SELECT size, peak FROM {self.ledger.chain_table} "  # noqa: S608
            f"WHERE size IN ({marks})",
            sizes,
        )
        return {int(size): bytes(peak) for size, peak in self.cursor.fetchall()}

    def append(self, rows: Sequence[ChainRow]) -> None:
        self.cursor.executemany(
            f"INSERT INTO {self.ledger.chain_table} ({ROW_COLUMNS}) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    row.position,
                    row.size,
                    row.content,
                    row.chain,
                    row.leaf,
                    row.peak,
                    row.root,
                    row.mac,
                )
                for row in rows
            ],
        )

    def latest_checkpoint(self) -> Checkpoint | None:
        found = self.ledger.select_checkpoints(
            self.cursor, "ORDER BY size DESC LIMIT 1", ()
        )
        return found[0] if found else None

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self.cursor.execute(
            f"INSERT INTO {self.ledger.checkpoints_table} "  # noqa: S608
            f"({CHECKPOINT_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (size) DO NOTHING",
            (
                checkpoint.size,
                checkpoint.position,
                checkpoint.root,
                checkpoint.time,
                checkpoint.key_id,
                checkpoint.signature,
                checkpoint.chain,
                checkpoint.format,
            ),
        )

    # Migrating a chain-only ledger (ADR 0011).

    def unfilled_rows(self, after: int, limit: int) -> list[tuple[int, int, bytes]]:
        """Return ``(position, size, content)`` of rows after ``after``, in order."""
        self.cursor.execute(
            "SELECT position, size, content "  # noqa: S608
            f"FROM {self.ledger.chain_table} WHERE position > ? "
            "ORDER BY position LIMIT ?",
            (after, limit),
        )
        return [
            (int(position), int(size), bytes(content))
            for position, size, content in self.cursor.fetchall()
        ]

    def fill(self, rows: Sequence[ChainRow]) -> None:
        """Write the tree's columns of rows that have only their chain."""
        self.cursor.executemany(
            f"UPDATE {self.ledger.chain_table} "  # noqa: S608
            "SET leaf = ?, peak = ?, root = ? WHERE position = ?",
            [(row.leaf, row.peak, row.root, row.position) for row in rows],
        )

    def rows_without_mac(self, after: int, limit: int) -> list[ChainRow]:
        """Return the rows after ``after`` that carry no MAC, in order."""
        self.cursor.execute(
            f"SELECT {ROW_COLUMNS} FROM {self.ledger.chain_table} "  # noqa: S608
            "WHERE position > ? AND mac IS NULL ORDER BY position LIMIT ?",
            (after, limit),
        )
        return [chain_row(row) for row in self.cursor.fetchall()]

    def set_macs(self, rows: Sequence[ChainRow]) -> None:
        """Write the MACs of rows sealed before rows carried one."""
        self.cursor.executemany(
            f"UPDATE {self.ledger.chain_table} "  # noqa: S608
            "SET mac = ? WHERE position = ?",
            [(row.mac, row.position) for row in rows],
        )


class SQLiteLedger(SQLLedger):
    """Keep the ledger in the SQLite file of the events."""

    dialect = "sqlite"
    integer = "INTEGER"
    blob = "BLOB"
    empty_blob = "x''"

    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self._datastore = recorder.datastore
        super().__init__()

    def table(self, name: str) -> str:
        return name

    def columns(self, cursor: Cursor, table: str) -> set[str]:
        cursor.execute("SELECT name FROM pragma_table_info(?)", (table,))
        return {str(row[0]) for row in cursor.fetchall()}

    @contextmanager
    def reading(self) -> Iterator[Cursor]:
        with self._datastore.transaction(commit=False) as cursor:
            yield Cursor(cursor.sqlite_cursor, dialect=self.dialect)

    @contextmanager
    def writing(self) -> Iterator[Cursor]:
        with self._datastore.get_connection(commit=True) as connection:
            # BEGIN IMMEDIATE takes the database's write lock at once (waiting up
            # to the lock timeout), so the head read next stays true until commit.
            cursor = connection.cursor().sqlite_cursor
            try:
                cursor.execute("BEGIN IMMEDIATE")
                yield Cursor(cursor, dialect=self.dialect)
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
    integer = "BIGINT"
    blob = "BYTEA"
    empty_blob = "''::bytea"

    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self._datastore = recorder.datastore
        self._events_table = (
            f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
        )
        super().__init__()

    def table(self, name: str) -> str:
        return f'"{self._datastore.schema}".{name}'

    def columns(self, cursor: Cursor, table: str) -> set[str]:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            (self._datastore.schema, table),
        )
        return {str(row[0]) for row in cursor.fetchall()}

    @contextmanager
    def reading(self) -> Iterator[Cursor]:
        with self._datastore.transaction(commit=False) as pg_cursor:
            yield Cursor(pg_cursor, dialect=self.dialect)

    @contextmanager
    def writing(self) -> Iterator[Cursor]:
        with self._datastore.transaction(commit=True) as pg_cursor:
            cursor = Cursor(pg_cursor, dialect=self.dialect)
            # The lock every insert of events takes (eventsourcing's recorder):
            # while it is held, nobody stores an event, so nobody seals one.
            cursor.execute(f"LOCK TABLE {self._events_table} IN EXCLUSIVE MODE")
            yield cursor

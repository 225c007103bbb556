"""Let reads of a SQLite file go on while a write waits (write-ahead log).

eventsourcing's connection pool lends connections one request at a time, in
the order asked: a request for the writer's connection waits for the writer in
turn, and while it waits every other request waits behind it, reads included.
On a file in write-ahead-log mode a read never needs to wait for a writer
(SQLite's readers see the last commit, whatever is being written), so under
load that queue made each read of a request (its token, the rota, the read
models' position) wait for the writes before it (BENCHMARKS.md, "Issue 20").

Here reads take a connection straight from the pool; writes keep the library's
turn and its single writer. Readers hold at most all the pool's connections but
one, which stays for the writer: more threads than connections (``incidents
serve --threads``) would otherwise let reads take them all and a write time
out. An in-memory database keeps the library's pool, whose reads and writes
exclude each other.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from eventsourcing.persistence import (
    ConnectionPoolClosedError,
    ConnectionUnavailableError,
)
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory


class ReadersPassPool(SQLiteConnectionPool):
    """A pool whose readers never queue behind a writer waiting for its turn."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._reader_slots = threading.BoundedSemaphore(
            max(1, self.pool_size + self.max_overflow - 1)
        )

    def get_connection(
        self, timeout: float | None = None, *, is_writer: bool | None = None
    ) -> SQLiteConnection:
        if is_writer is not False or self.is_sqlite_memory_mode:
            return super().get_connection(timeout, is_writer=is_writer)
        if self._closed:
            raise ConnectionPoolClosedError
        timeout = self.pool_timeout if timeout is None else timeout
        started = time.monotonic()
        if not self._reader_slots.acquire(timeout=timeout):
            msg = "Timed out waiting for a reader's connection"
            raise ConnectionUnavailableError(msg)
        if self._closed:  # Closed while this reader waited.
            self._reader_slots.release()
            raise ConnectionPoolClosedError
        with self._no_readers:
            self._num_readers += 1
        try:
            connection = self._get_connection(
                timeout=max(0.0, timeout - (time.monotonic() - started))
            )
        except BaseException:
            with self._no_readers:
                self._num_readers -= 1
            self._reader_slots.release()
            raise
        # Returned as a reader's: put_connection counts it back.
        connection.is_writer = False
        return connection

    def put_connection(self, conn: SQLiteConnection) -> None:
        reader = conn.is_writer is False and not self.is_sqlite_memory_mode
        try:
            super().put_connection(conn)
        finally:
            if reader:
                self._reader_slots.release()


def let_readers_pass(factory: SQLiteFactory, connections: int | None = None) -> None:
    """Give a SQLite store, before its first connection, the pool above.

    ``connections``: how many it may hold at once (the library's 15 if not told).
    """
    datastore: Any = factory.datastore
    library = datastore.pool
    if library.is_sqlite_memory_mode:
        return
    overflow = library.max_overflow
    if connections is not None:
        overflow = max(0, connections - library.pool_size)
    datastore.pool = ReadersPassPool(
        db_name=library.db_name,
        lock_timeout=library.lock_timeout,
        pool_size=library.pool_size,
        max_overflow=overflow,
        pool_timeout=library.pool_timeout,
        max_age=library.max_age,
        pre_ping=library.pre_ping,
    )
    library.close()

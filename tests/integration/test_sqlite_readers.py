"""Reads of a SQLite file never queue behind a write waiting for its turn."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from eventsourcing.persistence import ConnectionUnavailableError
from eventsourcing.sqlite import SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import Environment

from incidents.bootstrap import open_incident_log
from incidents.sqlite_readers import ReadersPassPool, let_readers_pass


def writers_queued(pool: SQLiteConnectionPool) -> threading.Thread:
    """Hold the writer's connection and queue a second writer behind it."""
    holding = pool.get_connection(is_writer=True)
    queued = threading.Event()

    def second_writer() -> None:
        queued.set()
        connection = pool.get_connection(timeout=5, is_writer=True)
        pool.put_connection(connection)

    writer = threading.Thread(target=second_writer)
    writer.start()
    queued.wait(5)
    writer.join(0.2)  # Now waiting for the writer's turn.
    assert writer.is_alive()
    release = threading.Timer(1.0, pool.put_connection, args=(holding,))
    release.start()
    return writer


def test_a_read_goes_on_while_a_writer_waits_for_its_turn(tmp_path: Path) -> None:
    log = open_incident_log(f"sqlite:///{tmp_path / 'log.sqlite'}")
    try:
        pool = log.factory.datastore.pool
        assert isinstance(pool, ReadersPassPool)
        writer = writers_queued(pool)
        reader = pool.get_connection(timeout=0.5, is_writer=False)
        try:
            cursor = reader.cursor()
            cursor.execute("SELECT count(*) FROM stored_events")
            assert cursor.fetchone()[0] >= 0
            assert writer.is_alive()  # read while the second writer still waits
        finally:
            pool.put_connection(reader)
        writer.join(5)
        assert not writer.is_alive()
        # Counted back: the pool holds the connections it lent, none in use.
        assert pool._num_readers == 0
        assert pool._num_writers == 0
    finally:
        log.close()


def test_readers_leave_one_connection_for_the_writer(tmp_path: Path) -> None:
    # More reading threads than connections: the writer still gets one at once.
    pool = ReadersPassPool(
        db_name=str(tmp_path / "busy.sqlite"), pool_size=2, max_overflow=0
    )
    readers = []
    try:
        for _ in range(2):  # Capacity 2 (no overflow): one connection for readers.
            readers.append(pool.get_connection(timeout=0.5, is_writer=False))
    except ConnectionUnavailableError:
        pass
    try:
        assert len(readers) == 1
        writer = pool.get_connection(timeout=0.5, is_writer=True)
        pool.put_connection(writer)
        pool.put_connection(readers.pop())
        # The slot is given back with the connection.
        again = pool.get_connection(timeout=0.5, is_writer=False)
        pool.put_connection(again)
        assert pool._num_readers == 0
    finally:
        for reader in readers:
            pool.put_connection(reader)
        pool.close()


def test_the_librarys_pool_made_that_read_wait(tmp_path: Path) -> None:
    # What the pool above changes: without it, the read times out.
    pool = SQLiteConnectionPool(db_name=str(tmp_path / "plain.sqlite"))
    try:
        writer = writers_queued(pool)
        with pytest.raises(ConnectionUnavailableError):
            pool.get_connection(timeout=0.3, is_writer=False)
        writer.join(5)
    finally:
        pool.close()


def test_an_in_memory_database_keeps_the_librarys_pool() -> None:
    # Its reads and writes exclude each other: the library's pool does that.
    factory = SQLiteFactory(
        Environment(
            "memory", {"SQLITE_DBNAME": "file:readers?mode=memory&cache=shared"}
        )
    )
    try:
        let_readers_pass(factory)
        assert type(factory.datastore.pool) is SQLiteConnectionPool
    finally:
        factory.close()

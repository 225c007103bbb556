"""Read models commit without waiting for the disk; the event store still does.

On SQLite the projector's batches (read models and their position, which the
log rebuilds) are committed with ``synchronous = NORMAL``, on connections the
event store shares: every connection must be back at ``FULL`` afterwards, even
when the batch failed.
"""

from __future__ import annotations

from typing import Any

import pytest

from projections.database import Database
from projections.projector import Projector
from tests.conftest import OpenLog

NORMAL, FULL = 1, 2


def _levels(database: Database, pooled: int) -> set[int]:
    levels = set()
    for _ in range(pooled + 1):  # The pool hands its connections out in turn.
        with database.transaction(write=False) as cursor:
            cursor.execute("PRAGMA synchronous")
            levels.add(cursor.fetchone()[0])
    return levels


def test_a_relaxed_batch_commits_without_sync_and_restores_full(
    sqlite_url: str, make_log: OpenLog
):
    log = make_log(sqlite_url)
    database = Database(log)
    with database.transaction(write=True, durable=False) as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == NORMAL
        cursor.execute("CREATE TABLE relaxed (x INTEGER)")

    assert _levels(database, log.recorder.datastore.pool.num_in_pool) == {FULL}
    with database.transaction(write=False) as cursor:
        cursor.execute("SELECT count(*) FROM relaxed")
        assert cursor.fetchone()[0] == 0


def _fail_in_a_relaxed_batch(database: Database) -> None:
    with database.transaction(write=True, durable=False) as cursor:
        cursor.execute("CREATE TABLE relaxed (x INTEGER)")
        raise RuntimeError("the batch failed")


def test_a_failed_relaxed_batch_also_restores_full(sqlite_url: str, make_log: OpenLog):
    log = make_log(sqlite_url)
    database = Database(log)
    with pytest.raises(RuntimeError):
        _fail_in_a_relaxed_batch(database)

    assert _levels(database, log.recorder.datastore.pool.num_in_pool) == {FULL}
    with database.transaction(write=False) as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'relaxed'")
        assert cursor.fetchone()[0] == 0


def test_the_projector_commits_its_batches_relaxed(
    sqlite_url: str, make_log: OpenLog, monkeypatch: pytest.MonkeyPatch
):
    log = make_log(sqlite_url)
    projector = Projector(log)
    projector.ensure_tables()
    durable: list[bool] = []
    real = projector.database.transaction

    def spy(**kwargs: bool) -> Any:
        if kwargs["write"]:
            durable.append(kwargs.get("durable", True))
        return real(**kwargs)

    monkeypatch.setattr(projector.database, "transaction", spy)
    assert projector.step() > 0  # The offices loaded are events to apply.

    assert durable
    assert not any(durable)

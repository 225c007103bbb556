"""A PostgreSQL write that waits keeps its connection.

Another writer holds the events table's lock while its transaction is sealed; a
large write waiting behind it sends more than the server reads meanwhile. The
connection's bounds (``incidents/persistence.py``) must not take that wait for a
vanished server: the first attempt is stored, its connection intact.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from incidents.domain import Incident
from tests.conftest import OpenLog

# Longer than the 2 s tcp_user_timeout that once cut such a write.
LOCK_HELD_SECONDS = 3.0
# Well over what the kernel buffers while the server does not read (~200 KB).
REPORTS = 300
SUMMARY = "Attente au guichet, le ton monte, puis tout se calme. " * 18


@pytest.mark.postgres
def test_a_large_write_waiting_for_the_table_lock_is_stored_at_the_first_try(
    postgres_url: str, make_log: OpenLog
):
    log = make_log(postgres_url)
    now = log.clock()
    reports = [
        Incident.report(
            actor="mediator",
            office="colombes-aragon",
            occurred_at=now - timedelta(minutes=5),
            category="waiting_time",
            severity=1,
            target="mediator",
            summary=SUMMARY,
            now=now,
        )
        for _ in range(REPORTS)
    ]
    recorder: Any = log.recorder
    pool = recorder.datastore.pool
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    errors: list[Exception] = []

    def save() -> None:
        try:
            log.save(*reports)
        except Exception as error:  # The test looks at it.
            errors.append(error)

    with psycopg.connect(postgres_url, autocommit=True) as other:
        other.execute("BEGIN")
        other.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
        before = pool.get_stats()
        writer = threading.Thread(target=save)
        writer.start()
        time.sleep(LOCK_HELD_SECONDS)
        assert writer.is_alive()  # Still waiting for the lock, its data sent.
        other.execute("COMMIT")
        writer.join(timeout=60)

    assert not writer.is_alive()
    assert errors == []
    stats = pool.get_stats()
    for broken in ("connections_lost", "returns_bad"):
        assert stats.get(broken, 0) == before.get(broken, 0), stats
    for report in reports:
        assert log.get_incident(report.id)["summary"] == SUMMARY.strip()

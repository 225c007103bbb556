"""Measure one write at a time: the limits of the store, then our command path.

- raw_insert: the database driver alone, one row per committed transaction;
- bare_save: the eventsourcing library's ``Application.save`` of a new
  aggregate of one small event, without rules;
- report: ``IncidentLog.report_incident``, with every rule it checks;
- append: one event more on an existing incident (``IncidentLog.add_note``);
- group_commit: reports acknowledged per second under 32 writers at once (one
  thread each, one process), reports waiting together stored in one
  transaction (ADR 0018); one_commit_each: the same writers with every report
  committed alone, as before group commit.

Each runs for a fixed time, and rounds interleave them, so that a busy moment
of the shared machine hits them all alike; rates are medians over rounds.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import statistics
import threading
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from argon2 import PasswordHasher
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from benchmarks.stores import Stores
from incidents.application import IncidentLog
from incidents.bootstrap import open_incident_log
from incidents.persistence import environment_for, sqlite_path

REPORT = {
    "office": "nanterre-centre",
    "category": "waiting_time",
    "severity": 1,
    "target": "staff",
    "trigger": "queue",
    "summary": "Usager mécontent de l'attente au guichet, ton qui monte.",
}
PHASES = (
    "raw_insert",
    "bare_save",
    "report",
    "append",
    "group_commit",
    "one_commit_each",
)
WRITERS = 32


def cheap_password_hasher() -> PasswordHasher:
    """Return an argon2 hasher cheap enough for setting up benchmarks."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def report_body() -> dict[str, Any]:
    """Return the fields of the report every benchmark sends."""
    occurred = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return {**REPORT, "occurred_at": occurred.isoformat()}


class Note(Aggregate):
    """Hold one line of text: the smallest useful aggregate."""

    def __init__(self, text: str) -> None:
        self.text = text


class BareLog(Application[UUID]):
    """Save aggregates with nothing of ours around the library."""

    name = "BareLog"
    env: ClassVar[dict[str, str]] = {}


class RawInserts:
    """Insert one row per committed transaction with the driver alone."""

    def __init__(self, database_url: str) -> None:
        path = sqlite_path(database_url)
        self.data = json.dumps(report_body(), ensure_ascii=False)
        if path is not None:
            # As eventsourcing opens its SQLite files: write-ahead log.
            self.sqlite = sqlite3.connect(path, isolation_level=None)
            self.sqlite.execute("PRAGMA journal_mode=WAL")
            self.sqlite.execute(
                "CREATE TABLE rows (id INTEGER PRIMARY KEY, data TEXT NOT NULL)"
            )
            self.insert = self._insert_sqlite
            self.close = self.sqlite.close
        else:
            self.postgres = psycopg.connect(database_url, autocommit=True)
            self.postgres.execute(
                "CREATE TABLE rows (id bigserial PRIMARY KEY, data text NOT NULL)"
            )
            self.insert = self._insert_postgres
            self.close = self.postgres.close

    def _insert_sqlite(self) -> None:
        self.sqlite.execute("BEGIN")
        self.sqlite.execute("INSERT INTO rows (data) VALUES (?)", (self.data,))
        self.sqlite.execute("COMMIT")

    def _insert_postgres(self) -> None:
        self.postgres.execute("INSERT INTO rows (data) VALUES (%s)", (self.data,))


def rate(operation: Callable[[], object], seconds: float) -> float:
    """Repeat an operation for some seconds; return how many ran per second."""
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        operation()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started)


def concurrent_rate(
    operation: Callable[[], object], seconds: float, writers: int = WRITERS
) -> float:
    """Repeat an operation in several threads at once; return the rate per second."""
    counts = [0] * writers
    ready = threading.Barrier(writers + 1)
    deadline = [0.0]

    def write(number: int) -> None:
        ready.wait()
        while time.perf_counter() < deadline[0]:
            operation()
            counts[number] += 1

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    ready.wait()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def one_commit_each(
    log: IncidentLog, operation: Callable[[], object], seconds: float
) -> float:
    """Return the rate of ``operation`` under many writers, each save alone."""
    grouped, log.group_commit.most = log.group_commit.most, 1
    try:
        return concurrent_rate(operation, seconds)
    finally:
        log.group_commit.most = grouped


def measure(stores: Stores, *, seconds: float, rounds: int) -> dict[str, float]:
    """Measure every phase in interleaved rounds; return median rates per second."""
    raw = RawInserts(stores.new("raw"))
    bare = BareLog(environment_for(stores.new("bare")))
    log = open_incident_log(
        stores.new("commands"), password_hasher=cheap_password_hasher()
    )
    reported: list[UUID] = []
    body = report_body()
    turn = 0

    def report() -> None:
        result = log.report_incident(actor="bench", **body)
        reported.append(result.incident["id"])

    def append() -> None:
        nonlocal turn
        log.add_note(reported[turn % len(reported)], actor="bench", text="Vu.")
        turn += 1

    operations: dict[str, Callable[[], object]] = {
        "raw_insert": raw.insert,
        "bare_save": lambda: bare.save(Note("Attente au guichet.")),
        "report": report,
        "append": append,
    }
    rates: dict[str, Callable[[], float]] = {
        name: functools.partial(rate, operation, seconds)
        for name, operation in operations.items()
    }
    rates["group_commit"] = functools.partial(concurrent_rate, report, seconds)
    rates["one_commit_each"] = functools.partial(one_commit_each, log, report, seconds)
    runs: dict[str, list[float]] = {name: [] for name in PHASES}
    with closing(log), closing(bare):
        try:
            for operation in operations.values():  # Warm up: connections, caches.
                for _ in range(20):
                    operation()
            for _ in range(rounds):
                for name in PHASES:
                    runs[name].append(rates[name]())
        finally:
            raw.close()
    return {f"{name}_per_s": statistics.median(runs[name]) for name in PHASES}

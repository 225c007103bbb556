"""Run the read-model benchmark's phases, each in a child process of its own.

A child's peak memory is then its own: read (page through the log and decode
every event, the floor), rebuild (``incidents replay``), check (``incidents
replay --check``), and the latency of the questions the pages and the API ask.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from incidents.application import load_default_offices
from incidents.bootstrap import open_incident_log

SUMMARY_DAYS = 30
TIMELINE_DAYS = 7


def phase(database_url: str, name: str) -> dict[str, float]:
    """Run one measured phase in this process and return its figures."""
    from projections.projector import Projector
    from projections.replay import check, rebuild

    log = open_incident_log(database_url, load_offices=False)
    started = time.perf_counter()
    if name == "read":
        count, start = 0, 1
        while True:
            notifications = log.recorder.select_notifications(start, 1000)
            if not notifications:
                break
            for notification in notifications:
                log.mapper.to_domain_event(notification)
            count += len(notifications)
            start = notifications[-1].id + 1
    elif name == "rebuild":
        count = rebuild(Projector(log)).events
    else:
        result = check(Projector(log))
        if result.differences:
            raise SystemExit(f"check found {len(result.differences)} differences")
        count = result.position
    seconds = time.perf_counter() - started
    log.close()
    return {"events": count, "seconds": seconds, "peak_mib": _peak_mib()}


def query_latencies(
    database_url: str, samples: int, seed: int = 7
) -> dict[str, dict[str, float]]:
    """Time each question ``samples`` times, on random offices and incidents."""
    from projections.projector import Projector
    from projections.queries import ReadModels, paris_today

    log = open_incident_log(database_url, load_offices=False)
    read_models = ReadModels(Projector(log))
    read_models.projector.catch_up()
    rng = random.Random(seed)
    offices = [office["code"] for office in load_default_offices()]
    today = paris_today()
    recent = today - timedelta(days=SUMMARY_DAYS - 1)
    with read_models.database.snapshot() as cursor:
        tables = read_models.projector.live_tables(cursor)
        # Incidents of the last 30 days: at every size, as many of them are
        # still under way, so that their timelines have the same length.
        cursor.execute(
            f"SELECT incident_id FROM {tables.name('incidents')} "  # noqa: S608
            "WHERE occurred_on >= ? ORDER BY incident_id",
            (recent.isoformat(),),
        )
        incident_ids = [uuid.UUID(row[0]) for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT MIN(recorded_at), MAX(recorded_at) FROM {tables.name('events')}"  # noqa: S608
        )
        first, last = (datetime.fromisoformat(text) for text in _row(cursor))
    asks: dict[str, Callable[[], object]] = {
        "summary": lambda: read_models.office_summary(
            rng.choice(offices), from_=recent, to=today
        ),
        "incident_timeline": lambda: read_models.incident_timeline(
            rng.choice(incident_ids)
        ),
        "office_timeline": lambda: read_models.office_timeline(
            rng.choice(offices), from_=today - timedelta(days=TIMELINE_DAYS - 1)
        ),
        "office_timeline_all": lambda: read_models.office_timeline(rng.choice(offices)),
        "asof_summary": lambda: read_models.office_summary(
            rng.choice(offices), as_of=first + (last - first) * rng.random()
        ),
    }
    figures: dict[str, dict[str, float]] = {}
    for name, ask in asks.items():
        ask()  # warm the caches once
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            ask()
            times.append(time.perf_counter() - started)
        figures[name] = _percentiles(times)
    log.close()
    return figures


def _row(cursor: Any) -> tuple[Any, ...]:
    row = cursor.fetchone()
    if row is None:  # pragma: no cover - aggregates always give a row
        raise LookupError("no row")
    return tuple(row)


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)

    def rank(share: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99)}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(arguments: list[str]) -> Any:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.readmodels", *arguments],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def measure(database_url: str, name: str) -> dict[str, float]:
    """Run a phase in a child process, so that its peak memory is its own."""
    figures: dict[str, float] = _child(
        ["--phase", name, "--database-url", database_url]
    )
    return figures


def measure_queries(database_url: str, samples: int) -> dict[str, dict[str, float]]:
    """Time the queries in a child process."""
    figures: dict[str, dict[str, float]] = _child(
        [
            "--phase",
            "queries",
            "--database-url",
            database_url,
            "--samples",
            str(samples),
        ]
    )
    return figures

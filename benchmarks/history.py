"""Measure a long history: rebuild, verify, reading it, and the queries on it.

For each size, ``generate_history`` (what ``incidents demo --events`` runs)
writes the stories of the demo into a fresh store, then each phase runs in a
child process of its own, so that its peak resident memory is its own (the
phases of ``benchmarks.readmodels`` and ``benchmarks.evidence``):

- read: page through the log and decode every event; rebuild: rebuild every
  read model from the first event;
- raw_read: page through the stored rows; verify: ``incidents verify``'s work.

Then, once every size is written, the queries a safety officer and an auditor
make, in rounds that take every size in turn: an office's summary over the last
30 days, an incident's timeline, and an office's summary over 30 days as known
15 days ago (as of), each timed many times over random offices and incidents.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from benchmarks import evidence, readmodels
from benchmarks.stores import Stores
from demo import generate_history
from incidents.application import load_default_offices
from incidents.bootstrap import open_incident_log
from projections.projector import Projector
from projections.queries import ReadModels

PARIS = ZoneInfo("Europe/Paris")
SEED = 92
INCIDENT_TOPICS = "incidents:Incident."
WINDOW = timedelta(days=30)
AS_OF_AGO = timedelta(days=15)
WARM_UP = 5


def percentiles(seconds: list[float]) -> dict[str, float]:
    """Return the 50th, 95th and 99th percentiles of durations, in milliseconds."""
    if len(seconds) < 2:
        only = seconds[0] * 1000 if seconds else 0.0
        return {"p50_ms": only, "p95_ms": only, "p99_ms": only, "samples": 1}
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {
        "p50_ms": cuts[49] * 1000,
        "p95_ms": cuts[94] * 1000,
        "p99_ms": cuts[98] * 1000,
        "samples": len(seconds),
    }


def populate(
    database_url: str,
    events: int,
    today: date,
    offices: Sequence[Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """Write about ``events`` events of the demo's stories; say what was written."""
    log = open_incident_log(database_url)
    try:
        written = generate_history(
            log, events=events, today=today, seed=SEED, catalogue=offices
        )
        head = log.recorder.max_notification_id() or 0
    finally:
        log.close()
    return {
        "events": head,
        "incidents": written.incidents,
        "first_day": written.first_day.isoformat(),
        "generated_per_s": written.events / written.seconds,
    }


def _rate(runs: list[dict[str, float]]) -> float:
    return statistics.median(run["events"] / run["seconds"] for run in runs)


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def measure_phases(url: str, folder: Path, repeat: int) -> dict[str, float]:
    """Seal, then run read, rebuild, raw read and verify, interleaved, in children."""
    folder.mkdir(parents=True, exist_ok=True)
    evidence.measure(url, "seal", folder)
    runs: dict[str, list[dict[str, float]]] = {
        "read": [],
        "rebuild": [],
        "raw_read": [],
        "verify": [],
    }
    for _ in range(repeat):
        # Interleaved, so that a busy moment of the machine hits every phase.
        runs["read"].append(readmodels.measure(url, "read"))
        runs["rebuild"].append(readmodels.measure(url, "rebuild"))
        runs["raw_read"].append(evidence.measure(url, "read", folder))
        runs["verify"].append(evidence.measure(url, "verify", folder))
    return {
        "read_per_s": _rate(runs["read"]),
        "rebuild_per_s": _rate(runs["rebuild"]),
        "rebuild_seconds": _median(runs["rebuild"], "seconds"),
        "rebuild_peak_mib": _median(runs["rebuild"], "peak_mib"),
        "raw_read_per_s": _rate(runs["raw_read"]),
        "verify_per_s": _rate(runs["verify"]),
        "verify_seconds": _median(runs["verify"], "seconds"),
        "verify_peak_mib": _median(runs["verify"], "peak_mib"),
    }


def _sample_incidents(log: Any, count: int, rng: random.Random) -> list[UUID]:
    head = log.recorder.max_notification_id() or 0
    found: list[UUID] = []
    for _ in range(count * 20):
        notifications = log.recorder.select_notifications(rng.randint(1, head), 1)
        if notifications and notifications[0].topic.startswith(INCIDENT_TOPICS):
            found.append(notifications[0].originator_id)
            if len(found) == count:
                break
    return found


def measure_queries(
    url: str,
    today: date,
    *,
    samples: int,
    budget: float,
    offices: Sequence[Mapping[str, str]] | None = None,
) -> dict[str, dict[str, float]]:
    """Time the summary, timeline and as-of summary over random offices and ids."""
    log = open_incident_log(url, load_offices=False)
    try:
        read_models = ReadModels(Projector(log))
        rng = random.Random(SEED)
        codes = [office["code"] for office in offices or load_default_offices()]
        incidents = _sample_incidents(log, samples, rng)
        as_of = datetime.combine(today - AS_OF_AGO, clock(18), PARIS)
        queries: dict[str, Callable[[int], object]] = {
            "summary_ms": lambda turn: read_models.office_summary(
                codes[turn % len(codes)], from_=today - WINDOW, to=today
            ),
            "timeline_ms": lambda turn: read_models.incident_timeline(
                incidents[turn % len(incidents)]
            ),
            "asof_summary_ms": lambda turn: read_models.office_summary(
                codes[turn % len(codes)],
                from_=as_of.date() - WINDOW,
                to=as_of.date(),
                as_of=as_of,
            ),
        }
        timings: dict[str, list[float]] = {name: [] for name in queries}
        for turn in range(WARM_UP):
            for query in queries.values():
                query(turn)
        deadline = time.perf_counter() + budget
        for turn in range(samples):
            for name, query in queries.items():
                started = time.perf_counter()
                query(turn)
                timings[name].append(time.perf_counter() - started)
            if time.perf_counter() > deadline and turn >= WARM_UP * 4:
                break
    finally:
        log.close()
    return {name: percentiles(values) for name, values in timings.items()}


def measure(
    stores: Stores,
    folder: Path,
    sizes: list[int],
    *,
    repeat: int,
    samples: int,
    budget: float,
    say: Callable[[str], None],
    offices: Sequence[Mapping[str, str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Populate each size afresh, measure its phases, then time the queries.

    The queries' latencies are compared across sizes, so they are timed in
    ``repeat`` rounds that take every size in turn, once all are written: a busy
    moment of the machine then falls on every size alike. Each percentile is
    the median of the rounds'.
    """
    today = date.today()
    figures: dict[str, dict[str, Any]] = {}
    urls: dict[int, str] = {}
    try:
        for size in sizes:
            url = urls[size] = stores.new(f"history-{size}")
            say(f"writing about {size:,} events")
            written = populate(url, size, today, offices)
            say(f"rebuilding and verifying {written['events']:,} events")
            phases = measure_phases(url, folder / f"evidence-{size}", repeat)
            figures[str(size)] = {
                **written,
                **phases,
                "store_mib": stores.size(url) / 2**20,
            }
        say(f"timing the queries, {repeat} round(s) over every size")
        rounds: dict[int, list[dict[str, dict[str, float]]]] = {
            size: [] for size in sizes
        }
        for _ in range(repeat):
            for size in sizes:
                rounds[size].append(
                    measure_queries(
                        urls[size],
                        today,
                        samples=samples,
                        budget=budget / repeat,
                        offices=offices,
                    )
                )
        for size in sizes:
            figures[str(size)].update(_median_percentiles(rounds[size]))
    finally:
        for url in urls.values():
            stores.remove(url)
    return figures


def _median_percentiles(
    rounds: list[dict[str, dict[str, float]]],
) -> dict[str, dict[str, float]]:
    """Return each query's percentiles as the medians of the rounds' own."""
    return {
        query: {
            key: statistics.median(timings[query][key] for timings in rounds)
            for key in rounds[0][query]
        }
        for query in rounds[0]
    }

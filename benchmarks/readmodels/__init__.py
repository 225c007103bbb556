"""Measure the read models: rebuilding them against reading the events, and queries.

Usage: python -m benchmarks.readmodels [--events N ...] [--database-url URL]
       [--repeat R] [--samples S] [--json]

For each size, the script writes a log of about N events into a fresh SQLite file
(or a fresh database on the PostgreSQL server of ``--database-url``): incidents
reported at a steady pace, so that a longer log is a longer history, not a
denser one, each followed over the next days by a de-escalation, a follow-up
scheduled then completed, and a closure. Then, each phase in a child process of
its own so that its peak memory is its own, interleaved ``--repeat`` times:

- read: page through the notification log and decode every event (the floor);
- rebuild: ``incidents replay``'s work (``replay.rebuild``);
- check: ``incidents replay --check``'s work (``replay.check``);

and once, in another child, the latency of the questions the pages and the API
ask, ``--samples`` times each with a random office or incident: an office's
summary over the last 30 days, an incident's timeline, an office's timeline over
the last 7 days (first page) and without a range, and an office's summary as
known at a past instant (over all days, the most an as-of summary reads).

It prints a table per size, then the ratios that the performance issue sets
targets for, all measured in this one run. Compare ratios, not absolute times,
on a shared machine.

Other harnesses import :func:`measure_readmodels` (figures as a dict) and
:func:`print_report`; :func:`populate` writes a log of a given size. The
package: :mod:`.population` writes the logs, :mod:`.phases` runs each phase in
a child, :mod:`.report` prints the figures, and ``__main__`` is the command.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

from benchmarks.readmodels.phases import measure, measure_queries
from benchmarks.readmodels.population import EVENTS_PER_DAY, fresh_store, populate
from benchmarks.readmodels.report import (
    MEASURED_PHASES,
    QUERIES,
    TARGETS,
    print_report,
    ratios,
    size_lines,
)

__all__ = [
    "MEASURED_PHASES",
    "QUERIES",
    "TARGETS",
    "measure",
    "measure_readmodels",
    "populate",
    "print_report",
    "ratios",
]


def measure_readmodels(
    database_url: str | None,
    sizes: Sequence[int],
    repeat: int = 3,
    *,
    samples: int = 200,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Measure every phase and query at each size; return the figures and ratios.

    ``database_url`` is ``None`` (or a ``sqlite:`` URL) for fresh SQLite files,
    or a PostgreSQL URL whose server gets a fresh database per size. The result:

    ``{"store": "sqlite" | "postgresql", "repeat": R, "samples": S,
    "sizes": [{"events": N, "days": D,
    "phases": {"read" | "rebuild" | "check": {"events_per_second": median,
    "seconds": median, "peak_mib": median}},
    "queries": {name: {"p50": s, "p95": s, "p99": s}}}, ...],
    "ratios": {name: value}, "targets": {name: [comparison, value]}}``

    Sizes are measured in increasing order, each phase ``repeat`` times. Every
    store is kept until the end, so that the queries are then timed on all sizes
    in turn, ``repeat`` rounds (medians shown): a busy moment of the machine hits
    every size alike. Ratios compare the largest size with the smallest (query
    growth) or with the one before it (memory growth).
    """
    results: list[dict[str, Any]] = []
    with ExitStack() as stores:
        urls: list[str] = []
        for size in sorted(sizes):
            url = stores.enter_context(fresh_store(database_url))
            urls.append(url)
            written = populate(url, size)
            runs: dict[str, list[dict[str, float]]] = {
                name: [] for name in MEASURED_PHASES
            }
            for _ in range(repeat):
                # Interleaved, so that a busy moment of the machine hits each.
                for name in MEASURED_PHASES:
                    runs[name].append(measure(url, name))
            results.append(
                {
                    "events": written,
                    "days": round(size / EVENTS_PER_DAY),
                    "phases": {name: _medians(runs[name]) for name in MEASURED_PHASES},
                }
            )
            if progress is not None:
                progress(size_lines(results[-1]))
        rounds: list[list[dict[str, dict[str, float]]]] = [[] for _ in urls]
        for _ in range(repeat):
            for index, url in enumerate(urls):
                rounds[index].append(measure_queries(url, samples))
    for figures, timed in zip(results, rounds, strict=True):
        figures["queries"] = {
            name: {
                rank: statistics.median(run[name][rank] for run in timed)
                for rank in ("p50", "p95", "p99")
            }
            for name in QUERIES
        }
        if progress is not None:
            progress(size_lines(figures, phases=False))
    return {
        "store": "sqlite"
        if not database_url or database_url.startswith("sqlite")
        else "postgresql",
        "repeat": repeat,
        "samples": samples,
        "sizes": results,
        "ratios": ratios(results),
        "targets": {name: list(target) for name, target in TARGETS.items()},
    }


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {
        "events_per_second": statistics.median(
            r["events"] / r["seconds"] for r in runs
        ),
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mib": statistics.median(r["peak_mib"] for r in runs),
    }

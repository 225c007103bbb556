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
:func:`print_report`; :func:`populate` writes a log of a given size.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher

from incidents.application import load_default_offices
from incidents.bootstrap import open_incident_log
from incidents.domain import Incident

__all__ = [
    "MEASURED_PHASES",
    "QUERIES",
    "measure_readmodels",
    "populate",
    "print_report",
    "ratios",
]

PARIS = ZoneInfo("Europe/Paris")
SAVE_BATCH = 500
# Ten offices, five incidents each a day, five events each.
EVENTS_PER_DAY = 250
CATEGORIES = [
    "waiting_time",
    "misunderstanding",
    "service_refused",
    "verbal_incivility",
]
MEASURED_PHASES = ("read", "rebuild", "check")
QUERIES = (
    "summary",
    "incident_timeline",
    "office_timeline",
    "office_timeline_all",
    "asof_summary",
)
SUMMARY_DAYS = 30
TIMELINE_DAYS = 7
# The targets, for the report (ratios measured in one run).
TARGETS = {
    "rebuild_vs_decode": (">=", 0.25),
    "summary_p95_growth": ("<=", 1.5),
    "timeline_p95_growth": ("<=", 1.5),
    "asof_vs_rebuild": ("<", 0.02),
    "rebuild_rss_growth": ("<=", 1.2),
    "check_rss_growth": ("<=", 1.2),
}


# Writing a log.


@contextmanager
def _stamped_by(clock: Callable[[], datetime]) -> Iterator[None]:
    """Stamp the incident events created meanwhile with a simulated clock.

    Only the benchmark does this, to write years of history in a minute; the
    product's events are always stamped when they happen.
    """
    classes = (Incident.Reported, Incident.Event)
    for cls in classes:
        cls.create_timestamp = staticmethod(clock)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls in classes:
            del cls.create_timestamp


def populate(
    database_url: str, events: int, seed: int = 92, *, per_day: int = EVENTS_PER_DAY
) -> int:
    """Write about ``events`` events of realistic shape; return the log's size.

    The history ends about now and spans ``events / per_day`` days: incidents are
    reported at a steady pace, and each one's de-escalation, follow-up and
    closure come over the following minutes and days, between other incidents'
    events. The incidents still under way at the end are left open.
    """
    log = open_incident_log(
        database_url,
        password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    offices = [office["code"] for office in load_default_offices()]
    rng = random.Random(seed)
    written = log.recorder.max_notification_id() or 0
    # Steps still to come, in time order: (when, order, incident id, step).
    steps: list[tuple[datetime, int, uuid.UUID, int]] = []
    incidents: dict[uuid.UUID, tuple[Incident, uuid.UUID, date]] = {}
    # Saved as events, not aggregates, so that log order is time order.
    pending: list[Any] = []
    now = datetime.now(UTC)
    # Incidents under way hold about three days of events at any time, and the
    # history stops short of now rather than run into the future.
    clock = [now - timedelta(days=max(events - written, 0) / per_day + 3.5)]
    next_report = clock[0]
    order = 0
    with _stamped_by(lambda: clock[0]):
        while written < events and min([next_report, *[s[0] for s in steps[:1]]]) < now:
            if steps and steps[0][0] <= next_report:
                clock[0], _, incident_id, step = heapq.heappop(steps)
                incident, follow_up_id, due_on = incidents[incident_id]
                _follow(incident, step, follow_up_id, due_on)
                if step == 4:
                    del incidents[incident_id]
            else:
                clock[0] = next_report
                next_report += timedelta(days=rng.expovariate(per_day / 5))
                incident, follow_up_id, due_on = _report(rng, offices, clock[0])
                incidents[incident.id] = (incident, follow_up_id, due_on)
                due = datetime.combine(due_on, datetime.min.time(), PARIS)
                completed = (due + timedelta(hours=rng.uniform(8, 18))).astimezone(UTC)
                for step, at in enumerate(
                    [
                        clock[0] + timedelta(minutes=rng.uniform(1, 30)),
                        clock[0] + timedelta(minutes=rng.uniform(30, 180)),
                        completed,
                        completed + timedelta(minutes=rng.uniform(5, 60)),
                    ],
                    start=1,
                ):
                    order += 1
                    heapq.heappush(steps, (at, order, incident.id, step))
            pending.extend(incident.collect_events())
            written += 1
            if len(pending) >= SAVE_BATCH or written >= events:
                log.save(*pending)
                pending.clear()
    size = log.recorder.max_notification_id() or 0
    log.close()
    return size


def _report(
    rng: random.Random, offices: list[str], now: datetime
) -> tuple[Incident, uuid.UUID, date]:
    incident = Incident.report(
        actor="bench",
        office=rng.choice(offices),
        occurred_at=now - timedelta(minutes=rng.uniform(5, 240)),
        category=rng.choice(CATEGORIES),
        severity=rng.randint(0, 2),
        target="staff",
        summary="Attente prolongée au guichet, ton qui monte.",
        now=now,
    )
    due_on = now.astimezone(PARIS).date() + timedelta(days=rng.randint(1, 14))
    return incident, uuid.uuid4(), due_on


def _follow(
    incident: Incident, step: int, follow_up_id: uuid.UUID, due_on: date
) -> None:
    if step == 1:
        incident.record_de_escalation(
            actor="bench", techniques=["active_listening"], outcome="calmed"
        )
    elif step == 2:
        incident.schedule_follow_up(
            actor="bench",
            follow_up_id=follow_up_id,
            kind="association_debrief",
            due_on=due_on,
        )
    elif step == 3:
        incident.complete_follow_up(actor="bench", follow_up_id=follow_up_id)
    else:
        incident.close(actor="bench", resolution="resolved_on_site")


# The phases, each run in a child process.


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


# Fresh stores, one per size.


@contextmanager
def fresh_store(database_url: str | None) -> Iterator[str]:
    """Give the URL of an empty store: a SQLite file, or a new PostgreSQL database.

    With a PostgreSQL URL, a database is created beside the one named (which
    needs the CREATEDB right) and dropped afterwards.
    """
    if not database_url or database_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    name = f"bench_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(database_url)
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
            )


# Measuring and reporting.


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
                progress(_size_lines(results[-1]))
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
            progress(_size_lines(figures, phases=False))
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


def ratios(sizes: list[dict[str, Any]]) -> dict[str, float]:
    """Compute the ratios the issue names, from figures sorted by size."""
    small, large = sizes[0], sizes[-1]
    before = sizes[-2] if len(sizes) > 1 else small
    phases, queries = large["phases"], large["queries"]

    def growth(query: str) -> float:
        return float(queries[query]["p95"] / small["queries"][query]["p95"])

    def rss(name: str) -> float:
        return float(phases[name]["peak_mib"] / before["phases"][name]["peak_mib"])

    return {
        "rebuild_vs_decode": phases["rebuild"]["events_per_second"]
        / phases["read"]["events_per_second"],
        "summary_p95_growth": growth("summary"),
        "timeline_p95_growth": growth("incident_timeline"),
        "office_timeline_p95_growth": growth("office_timeline"),
        "office_timeline_all_p95_growth": growth("office_timeline_all"),
        "asof_vs_rebuild": queries["asof_summary"]["p95"]
        / phases["rebuild"]["seconds"],
        "rebuild_rss_growth": rss("rebuild"),
        "check_rss_growth": rss("check"),
    }


def _size_lines(figures: dict[str, Any], *, phases: bool = True) -> str:
    lines = [
        f"{figures['events']:,} events, about {figures['days']:,} days of history:"
    ]
    read_rate = figures["phases"]["read"]["events_per_second"]
    for name in MEASURED_PHASES if phases else ():
        measured = figures["phases"][name]
        lines.append(
            f"  {name:<8} {measured['events_per_second']:>10,.0f} events/s "
            f"({measured['events_per_second'] / read_rate:4.2f} x read) "
            f"{measured['seconds']:8.2f} s  peak {measured['peak_mib']:5.0f} MiB"
        )
    for name in QUERIES if "queries" in figures else ():
        times = figures["queries"][name]
        lines.append(
            f"  {name:<20} p50 {times['p50'] * 1000:8.2f} ms  "
            f"p95 {times['p95'] * 1000:8.2f} ms  p99 {times['p99'] * 1000:8.2f} ms"
        )
    return "\n".join(lines)


def print_report(result: dict[str, Any], *, sizes_printed: bool = False) -> None:
    """Print the figures of :func:`measure_readmodels` and its ratios."""
    if not sizes_printed:
        for figures in result["sizes"]:
            print(_size_lines(figures))
    print(
        "ratios (largest size; query growth against the smallest, memory against "
        "the size before):"
    )
    for name, value in result["ratios"].items():
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            comparison, limit = target
            met = {
                ">=": value >= limit,
                "<=": value <= limit,
                "<": value < limit,
            }[comparison]
            verdict = f"  (target {comparison} {limit}: {'met' if met else 'MISSED'})"
        print(f"  {name:<32} {value:8.3f}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--database-url", help="a PostgreSQL URL; default: SQLite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the figures there")
    parser.add_argument(
        "--phase", choices=[*MEASURED_PHASES, "queries"], help=argparse.SUPPRESS
    )
    arguments = parser.parse_args()
    if arguments.phase == "queries":
        print(json.dumps(query_latencies(arguments.database_url, arguments.samples)))
        return
    if arguments.phase:
        print(json.dumps(phase(arguments.database_url, arguments.phase)))
        return
    result = measure_readmodels(
        arguments.database_url,
        arguments.events,
        arguments.repeat,
        samples=arguments.samples,
        progress=lambda lines: print(lines, flush=True),
    )
    print_report(result, sizes_printed=True)
    if arguments.json:
        arguments.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

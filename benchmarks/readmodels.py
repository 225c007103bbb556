"""Measure rebuilding the read models against merely reading the same events.

Usage: python -m benchmarks.readmodels [--events N ...] [--database-url URL]

For each size, the script writes a log of about N events into a fresh SQLite file
(or the PostgreSQL database given), then, each phase in a child process of its
own so that peak memory is measured per phase:

- read: page through the notification log and decode every event;
- rebuild: rebuild every read model from the first event (``replay.rebuild``).

It prints events per second for both, their ratio, and each phase's peak resident
memory. Medians of ``--repeat`` runs are shown; compare ratios, not absolute
times, on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from argon2 import PasswordHasher

from incidents.application import load_default_offices
from incidents.bootstrap import open_incident_log
from incidents.domain import Incident

SAVE_BATCH = 500
CATEGORIES = [
    "waiting_time",
    "misunderstanding",
    "service_refused",
    "verbal_incivility",
]


def populate(database_url: str, events: int, seed: int = 92) -> int:
    """Write about ``events`` events of realistic shape; return the log's size."""
    log = open_incident_log(
        database_url,
        password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    offices = [office["code"] for office in load_default_offices()]
    rng = random.Random(seed)
    now = datetime.now(UTC)
    written = log.recorder.max_notification_id() or 0
    pending: list[Incident] = []
    while written < events:
        incident = Incident.report(
            actor="bench",
            office=rng.choice(offices),
            occurred_at=now - timedelta(minutes=rng.randint(10, 60 * 24 * 365)),
            category=rng.choice(CATEGORIES),
            severity=rng.randint(0, 2),
            target="staff",
            summary="Attente prolongée au guichet, ton qui monte.",
            now=now,
        )
        incident.record_de_escalation(
            actor="bench", techniques=["active_listening"], outcome="calmed"
        )
        follow_up = uuid4()
        incident.schedule_follow_up(
            actor="bench",
            follow_up_id=follow_up,
            kind="association_debrief",
            due_on=(now + timedelta(days=rng.randint(-30, 30))).date(),
        )
        incident.complete_follow_up(actor="bench", follow_up_id=follow_up)
        incident.close(actor="bench", resolution="resolved_on_site")
        pending.append(incident)
        written += 5
        if len(pending) >= SAVE_BATCH:
            log.save(*pending)
            pending.clear()
    if pending:
        log.save(*pending)
    size = log.recorder.max_notification_id() or 0
    log.close()
    return size


def phase(database_url: str, name: str) -> dict[str, float]:
    """Run one measured phase in this process and return its figures."""
    from projections.projector import Projector
    from projections.replay import rebuild

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
    else:
        count = rebuild(Projector(log)).events
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"events": count, "seconds": seconds, "peak_mib": peak_kib / 1024}


def measure(database_url: str, name: str) -> dict[str, float]:
    """Run a phase in a child process, so that its peak memory is its own."""
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.readmodels",
            "--phase",
            name,
            "--database-url",
            database_url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--database-url", help="a PostgreSQL URL; default: SQLite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--phase", choices=["read", "rebuild"], help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.phase:
        print(json.dumps(phase(arguments.database_url, arguments.phase)))
        return
    print(
        f"{'events':>10} {'read ev/s':>11} {'rebuild ev/s':>13} {'ratio':>6} "
        f"{'read MiB':>9} {'rebuild MiB':>12}"
    )
    for size in arguments.events:
        with tempfile.TemporaryDirectory() as folder:
            url = (
                arguments.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            )
            written = populate(url, size)
            reads, rebuilds = [], []
            for _ in range(arguments.repeat):
                # Interleaved, so that a busy moment of the machine hits both.
                reads.append(measure(url, "read"))
                rebuilds.append(measure(url, "rebuild"))
        read_rate = statistics.median(r["events"] / r["seconds"] for r in reads)
        rebuild_rate = statistics.median(r["events"] / r["seconds"] for r in rebuilds)
        print(
            f"{written:>10,} {read_rate:>11,.0f} {rebuild_rate:>13,.0f} "
            f"{read_rate / rebuild_rate:>6.1f} "
            f"{statistics.median(r['peak_mib'] for r in reads):>9.0f} "
            f"{statistics.median(r['peak_mib'] for r in rebuilds):>12.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""Write a log of realistic shape and size for the read-model benchmark.

Incidents are reported at a steady pace, so that a longer log is a longer
history, not a denser one, each followed over the next days by a
de-escalation, a follow-up scheduled then completed, and a closure.
"""

from __future__ import annotations

import heapq
import random
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher

from incidents.application import load_default_offices
from incidents.bootstrap import open_incident_log
from incidents.domain import Incident

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

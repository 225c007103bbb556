"""Build incident logs on the in-memory store, with a fixed clock and a fast hasher."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from argon2 import PasswordHasher
from eventsourcing.persistence import StoredEvent

from incidents.application import IncidentLog, load_default_offices
from incidents.domain import Incident

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
OFFICE = "colombes-aragon"
OTHER_OFFICE = "nanterre-centre"
MEDIATOR = "mediator-1"


def fast_hasher() -> PasswordHasher:
    # The cheapest argon2 parameters: tests check behaviour, not hash strength.
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def log_of_stored_rows(rows: list[dict[str, Any]]) -> IncidentLog:
    """Return an in-memory log holding rows as an earlier version stored them.

    Each row is ``{originator_id, originator_version, topic, state}``, its state
    the JSON text the recorder wrote.
    """
    log = IncidentLog(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        clock=lambda: NOW,
        password_hasher=fast_hasher(),
    )
    log.recorder.insert_events(
        [
            StoredEvent(
                originator_id=UUID(row["originator_id"]),
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=row["state"].encode("utf-8"),
            )
            for row in rows
        ]
    )
    return log


def report_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "actor": MEDIATOR,
        "office": OFFICE,
        "occurred_at": NOW - timedelta(minutes=20),
        "category": "verbal_incivility",
        "severity": 1,
        "target": "mediator",
        "summary": "Usager énervé par l'attente au guichet colis.",
        "trigger": "queue",
        "parties": [{"role": "visitor", "count": 1}],
        "contact": {"phone": "06 12 34 56 78"},
    }
    values.update(overrides)
    return values


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def new_log() -> Callable[..., IncidentLog]:
    def build(clock: Callable[[], datetime] = lambda: NOW) -> IncidentLog:
        log = IncidentLog(
            {"PERSISTENCE_MODULE": "eventsourcing.popo"},
            clock=clock,
            password_hasher=fast_hasher(),
        )
        log.ensure_offices(load_default_offices())
        return log

    return build


@pytest.fixture
def log(new_log: Callable[..., IncidentLog]) -> IncidentLog:
    return new_log()


@pytest.fixture
def report() -> Callable[..., Incident]:
    """Report an incident on the aggregate alone; its Reported event is collected."""

    def build(**overrides: Any) -> Incident:
        incident = Incident.report(now=NOW, **report_values(**overrides))
        assert [type(e) for e in incident.collect_events()] == [Incident.Reported]
        return incident

    return build


@pytest.fixture
def incident(report: Callable[..., Incident]) -> Incident:
    """Return an open incident with a contact and no pending event."""
    return report()


@pytest.fixture
def closed_incident(incident: Incident) -> Incident:
    """Return a closed incident (with a contact) and no pending event."""
    incident.close(actor="officer-1", resolution="resolved_on_site")
    assert [type(e) for e in incident.collect_events()] == [Incident.Closed]
    return incident


@pytest.fixture
def reported(log: IncidentLog) -> Callable[..., UUID]:
    """Report an incident through the log and return its id."""

    def build(**overrides: Any) -> UUID:
        result = log.report_incident(**report_values(**overrides))
        incident_id: UUID = result.incident["id"]
        return incident_id

    return build


@pytest.fixture
def payload() -> Callable[..., dict[str, Any]]:
    """Return the values of a valid report, with the given ones replaced."""
    return report_values

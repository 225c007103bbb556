"""Hold the parts of an incident that accumulate: attempts, escalations, follow-ups.

These are plain values inside the ``Incident`` aggregate's state, built by its
``@event`` methods; events themselves hold only primitives (ADR 0002).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from incidents.vocabulary import FollowUpStatus


@dataclass
class DeEscalation:
    """Describe one de-escalation attempt: what was tried and how it ended."""

    techniques: list[str]
    outcome: str
    note: str | None
    actor: str


@dataclass
class Escalation:
    """Describe one hand-over to the manager, security, police or emergency."""

    to: str
    note: str | None
    actor: str


@dataclass
class FollowUp:
    """Describe one follow-up action, the day it is due and how it was settled."""

    id: UUID
    kind: str
    due_on: date
    assignee: str | None
    note: str | None
    status: str = FollowUpStatus.SCHEDULED.value
    outcome_note: str | None = None


@dataclass
class Note:
    """Keep one free-text note and who wrote it."""

    text: str
    actor: str


@dataclass
class Amendment:
    """Describe one correction of the report: the new values and why."""

    changes: dict[str, Any]
    reason: str
    actor: str

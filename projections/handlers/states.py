"""Keep each incident's state as of every recorded time: what office summaries count.

A change closes the current row (``valid_to``) and opens a changed copy
(``valid_from``), so a summary as known at a past time is the same query as a
summary now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from incidents.domain import Incident
from incidents.vocabulary import Status
from projections.days import paris_day
from projections.facts import Fact
from projections.handlers.batch import Batch, Handler, Row
from projections.tables import COLUMNS

OPEN, CLOSED = Status.OPEN.value, Status.CLOSED.value
_STATE_COLUMNS = COLUMNS["incident_states"]
# The amended values a state keeps, by their name in the event.
_AMENDED_STATE = {"category": "category", "target": "target", "trigger": "trigger_code"}


def amended_state(fact: Fact) -> dict[str, Any]:
    """Return the state's columns an amendment changes, with their new values."""
    changes: dict[str, Any] = {}
    for name, value in fact.get("changes").items():
        if name in _AMENDED_STATE:
            changes[_AMENDED_STATE[name]] = value
        elif name == "occurred_at":
            changes["occurred_at"] = value
            changes["occurred_on"] = paris_day(value)
    return changes


def _on_reported(batch: Batch, fact: Fact) -> None:
    occurred_at = fact.get("occurred_at")
    state: Row = dict.fromkeys(_STATE_COLUMNS, 0)
    state.update(
        report_position=fact.position,
        incident_id=fact.originator_id,
        version=fact.version,
        valid_from=fact.recorded_at,
        valid_to=None,
        office=fact.get("office"),
        occurred_at=occurred_at,
        occurred_on=paris_day(occurred_at),
        category=fact.get("category"),
        severity=fact.get("severity"),
        target=fact.get("target"),
        trigger_code=fact.get("trigger"),
        status=OPEN,
        closed_at=None,
    )
    batch.open("incident_states", fact.originator_id, state)


def _change_state(batch: Batch, fact: Fact, change: Callable[[Row], None]) -> None:
    batch.supersede("incident_states", fact.originator_id, fact, change)


def _on_de_escalation(batch: Batch, fact: Fact) -> None:
    outcome = fact.get("outcome")
    column = "outcome_left" if outcome == "left" else outcome

    def count(state: Row) -> None:
        state["de_escalations"] += 1
        state[column] += 1

    _change_state(batch, fact, count)


def _on_escalated(batch: Batch, fact: Fact) -> None:
    column = f"to_{fact.get('to')}"

    def count(state: Row) -> None:
        state[column] += 1

    _change_state(batch, fact, count)


def _on_severity(batch: Batch, fact: Fact) -> None:
    severity = fact.get("severity")
    _change_state(batch, fact, lambda state: state.update(severity=severity))


def _on_amended(batch: Batch, fact: Fact) -> None:
    changes = amended_state(fact)
    if changes:
        _change_state(batch, fact, lambda state: state.update(changes))


def _on_closed(batch: Batch, fact: Fact) -> None:
    at = fact.recorded_at
    _change_state(batch, fact, lambda state: state.update(status=CLOSED, closed_at=at))


def _on_reopened(batch: Batch, fact: Fact) -> None:
    _change_state(batch, fact, lambda state: state.update(status=OPEN, closed_at=None))


HANDLERS: dict[str, Handler] = {
    Incident.Reported.TOPIC: _on_reported,
    Incident.DeEscalationRecorded.TOPIC: _on_de_escalation,
    Incident.Escalated.TOPIC: _on_escalated,
    Incident.SeverityReassessed.TOPIC: _on_severity,
    Incident.Amended.TOPIC: _on_amended,
    Incident.Closed.TOPIC: _on_closed,
    Incident.Reopened.TOPIC: _on_reopened,
}

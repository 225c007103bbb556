"""Keep the incident index: one row per incident as it stands now.

Lists and incident pages read it; it also counts each incident's follow-ups
still scheduled. Every event of an incident moves its row to the event's
version (:meth:`Batch.apply`).
"""

from __future__ import annotations

from incidents.domain import Incident
from projections.days import paris_day
from projections.facts import Fact
from projections.handlers.batch import Batch, Handler
from projections.handlers.states import CLOSED, OPEN, amended_state


def _on_reported(batch: Batch, fact: Fact) -> None:
    occurred_at = fact.get("occurred_at")
    batch.add_incident(
        {
            "incident_id": fact.originator_id,
            "report_position": fact.position,
            "office": fact.get("office"),
            "status": OPEN,
            "occurred_at": occurred_at,
            "occurred_on": paris_day(occurred_at),
            "recorded_at": fact.recorded_at,
            "modified_at": fact.recorded_at,
            "category": fact.get("category"),
            "severity": fact.get("severity"),
            "target": fact.get("target"),
            "trigger_code": fact.get("trigger"),
            "summary": fact.get("summary"),
            "reported_by": fact.get("actor"),
            "version": fact.version,
            "position": fact.position,
            "resolution": None,
            "scheduled_follow_ups": 0,
            "has_contact": int(fact.get("contact") is not None),
        }
    )


def _on_severity(batch: Batch, fact: Fact) -> None:
    batch.change_incident(fact, severity=fact.get("severity"))


def _on_amended(batch: Batch, fact: Fact) -> None:
    changes = amended_state(fact)
    amended = fact.get("changes")
    if "summary" in amended:
        changes["summary"] = amended["summary"]
    if changes:
        batch.change_incident(fact, **changes)


def _on_closed(batch: Batch, fact: Fact) -> None:
    batch.change_incident(fact, status=CLOSED, resolution=fact.get("resolution"))


def _on_reopened(batch: Batch, fact: Fact) -> None:
    batch.change_incident(fact, status=OPEN, resolution=None)


def _on_erased(batch: Batch, fact: Fact) -> None:
    batch.change_incident(fact, has_contact=0)


def _on_follow_up_scheduled(batch: Batch, fact: Fact) -> None:
    batch.count_scheduled(fact, +1)


def _on_follow_up_finished(batch: Batch, fact: Fact) -> None:
    batch.count_scheduled(fact, -1)


HANDLERS: dict[str, Handler] = {
    Incident.Reported.TOPIC: _on_reported,
    Incident.SeverityReassessed.TOPIC: _on_severity,
    Incident.Amended.TOPIC: _on_amended,
    Incident.Closed.TOPIC: _on_closed,
    Incident.Reopened.TOPIC: _on_reopened,
    Incident.PersonalDataErased.TOPIC: _on_erased,
    Incident.FollowUpScheduled.TOPIC: _on_follow_up_scheduled,
    Incident.FollowUpCompleted.TOPIC: _on_follow_up_finished,
    Incident.FollowUpCancelled.TOPIC: _on_follow_up_finished,
}

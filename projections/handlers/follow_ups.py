"""Keep each follow-up's state as of every recorded time: what the board shows.

Scheduling opens a follow-up's row; completing or cancelling it closes that row
and opens a changed copy, as incident states do.
"""

from __future__ import annotations

from incidents.domain import Incident
from incidents.vocabulary import FollowUpStatus
from projections.facts import Fact
from projections.handlers.batch import Batch, Handler

SCHEDULED = Incident.FollowUpScheduled.TOPIC
SCHEDULED_STATUS = FollowUpStatus.SCHEDULED.value
COMPLETED, CANCELLED = FollowUpStatus.COMPLETED.value, FollowUpStatus.CANCELLED.value


def _on_scheduled(batch: Batch, fact: Fact) -> None:
    follow_up_id = fact.get("follow_up_id")
    batch.open(
        "follow_up_states",
        follow_up_id,
        {
            "report_position": batch.incidents[fact.originator_id]["report_position"],
            "follow_up_id": follow_up_id,
            "version": fact.version,
            "incident_id": fact.originator_id,
            "valid_from": fact.recorded_at,
            "valid_to": None,
            "kind": fact.get("kind"),
            "due_on": fact.get("due_on"),
            "assignee": fact.get("assignee"),
            "status": SCHEDULED_STATUS,
        },
    )


def _finish(batch: Batch, fact: Fact, status: str) -> None:
    batch.supersede(
        "follow_up_states",
        fact.get("follow_up_id"),
        fact,
        lambda row: row.update(status=status),
    )


def _on_completed(batch: Batch, fact: Fact) -> None:
    _finish(batch, fact, COMPLETED)


def _on_cancelled(batch: Batch, fact: Fact) -> None:
    _finish(batch, fact, CANCELLED)


HANDLERS: dict[str, Handler] = {
    SCHEDULED: _on_scheduled,
    Incident.FollowUpCompleted.TOPIC: _on_completed,
    Incident.FollowUpCancelled.TOPIC: _on_cancelled,
}

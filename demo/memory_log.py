"""Stand in for the incident log when the stories are told fast, in memory."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from demo.calendar import PARIS
from incidents.domain import Incident

if TYPE_CHECKING:
    from eventsourcing.domain import DomainEventProtocol


# A step never shares its recorded time with the previous step of its incident.
TICK = timedelta(milliseconds=1)


class MemoryLog:
    """Carry out the stories' commands on incidents held in memory.

    Each command runs the domain's own checks; its events are given the virtual
    time of the step as their recorded time, and wait in ``pending`` to be saved.
    """

    def __init__(self) -> None:
        self.at = datetime.min.replace(tzinfo=PARIS)
        self.incidents: dict[uuid.UUID, Incident] = {}
        self.recorded: dict[uuid.UUID, datetime] = {}
        self.pending: list[DomainEventProtocol[uuid.UUID]] = []

    def forget(self, incident_id: uuid.UUID) -> None:
        """Drop an incident whose story is over."""
        self.incidents.pop(incident_id, None)
        self.recorded.pop(incident_id, None)

    def _keep(self, incident: Incident) -> None:
        at = self.at
        for event in incident.collect_events():
            at = max(at, self.recorded.get(incident.id, at - TICK) + TICK)
            # Recorded at the step's virtual time, not at the time of writing,
            # in UTC as the library stamps events: events are frozen, and this
            # one was never stored nor shared.
            object.__setattr__(event, "timestamp", at.astimezone(UTC))
            self.recorded[incident.id] = at
            self.pending.append(event)

    def _change(
        self, incident_id: uuid.UUID, command: Callable[[Incident], None]
    ) -> None:
        incident = self.incidents[incident_id]
        command(incident)
        self._keep(incident)

    def report_incident(
        self,
        *,
        actor: str,
        office: str,
        occurred_at: datetime,
        category: object,
        severity: object,
        target: object,
        summary: object,
        trigger: object = None,
        parties: object = None,
        contact: object = None,
        incident_id: uuid.UUID | None = None,
    ) -> None:
        """Report an incident (see IncidentLog.report_incident)."""
        incident = Incident.report(
            actor=actor,
            office=office,
            occurred_at=occurred_at,
            category=category,
            severity=severity,
            target=target,
            summary=summary,
            now=self.at,
            trigger=trigger,
            parties=parties,
            contact=contact,
            incident_id=incident_id,
        )
        self.incidents[incident.id] = incident
        self._keep(incident)

    def record_de_escalation(
        self,
        incident_id: uuid.UUID,
        *,
        actor: str,
        techniques: object,
        outcome: object,
        note: object = None,
    ) -> None:
        """Log a de-escalation attempt."""
        self._change(
            incident_id,
            lambda incident: incident.record_de_escalation(
                actor=actor, techniques=techniques, outcome=outcome, note=note
            ),
        )

    def escalate_incident(
        self, incident_id: uuid.UUID, *, actor: str, to: object, note: object = None
    ) -> None:
        """Escalate an incident."""
        self._change(
            incident_id,
            lambda incident: incident.escalate(actor=actor, to=to, note=note),
        )

    def reassess_severity(
        self, incident_id: uuid.UUID, *, actor: str, severity: object, reason: object
    ) -> None:
        """Change an incident's severity."""
        self._change(
            incident_id,
            lambda incident: incident.reassess_severity(
                actor=actor, severity=severity, reason=reason
            ),
        )

    def schedule_follow_up(
        self,
        incident_id: uuid.UUID,
        *,
        actor: str,
        kind: object,
        due_on: object,
        assignee: object = None,
        note: object = None,
        follow_up_id: uuid.UUID,
    ) -> None:
        """Schedule a follow-up."""
        self._change(
            incident_id,
            lambda incident: incident.schedule_follow_up(
                actor=actor,
                follow_up_id=follow_up_id,
                kind=kind,
                due_on=due_on,
                assignee=assignee,
                note=note,
            ),
        )

    def complete_follow_up(
        self,
        incident_id: uuid.UUID,
        follow_up_id: uuid.UUID,
        *,
        actor: str,
        note: object = None,
    ) -> None:
        """Mark a follow-up as done."""
        self._change(
            incident_id,
            lambda incident: incident.complete_follow_up(
                actor=actor, follow_up_id=follow_up_id, note=note
            ),
        )

    def cancel_follow_up(
        self,
        incident_id: uuid.UUID,
        follow_up_id: uuid.UUID,
        *,
        actor: str,
        reason: object,
    ) -> None:
        """Cancel a follow-up."""
        self._change(
            incident_id,
            lambda incident: incident.cancel_follow_up(
                actor=actor, follow_up_id=follow_up_id, reason=reason
            ),
        )

    def add_note(self, incident_id: uuid.UUID, *, actor: str, text: object) -> None:
        """Add a note."""
        self._change(
            incident_id, lambda incident: incident.add_note(actor=actor, text=text)
        )

    def amend_incident(
        self, incident_id: uuid.UUID, *, actor: str, changes: object, reason: object
    ) -> None:
        """Correct what was reported."""
        self._change(
            incident_id,
            lambda incident: incident.amend(
                actor=actor, changes=changes, reason=reason, now=self.at
            ),
        )

    def close_incident(
        self,
        incident_id: uuid.UUID,
        *,
        actor: str,
        resolution: object,
        note: object = None,
    ) -> None:
        """Close an incident."""
        self._change(
            incident_id,
            lambda incident: incident.close(
                actor=actor, resolution=resolution, note=note
            ),
        )

"""Carry out the commands on incidents: load one, call one of its methods, save.

A command that loses a race with another writer reloads the incident and runs
again against what is now stored, so it is applied or refused by the rules, never
lost. A report may carry a client-generated id, which makes sending it twice
harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from incidents.application.offices import Offices
from incidents.application.queries import Queries, event_data
from incidents.application.store import MAX_ATTEMPTS, last_position
from incidents.domain import Incident
from incidents.errors import (
    ConcurrentWriteError,
    NothingToEraseError,
    ReportConflictError,
    StaleVersionError,
)
from incidents.logs import DISCLOSURE_LOG_ID

if TYPE_CHECKING:
    from eventsourcing.domain import DomainEventProtocol


@dataclass(frozen=True)
class WriteResult:
    """Say what a command left: the incident now, and the log position to wait for."""

    incident: dict[str, Any]
    position: int
    created: bool = False


class IncidentCommands(Offices, Queries):
    """Report incidents and record what happens to them, and who saw a contact."""

    clock: Callable[[], datetime]

    def report_incident(
        self,
        *,
        actor: str,
        office: object,
        occurred_at: object,
        category: object,
        severity: object,
        target: object,
        summary: object,
        trigger: object = None,
        parties: object = None,
        contact: object = None,
        client_ref: object = None,
        incident_id: UUID | None = None,
    ) -> WriteResult:
        """Report an incident; sending the same report (same id) again is harmless.

        With a client-generated ``incident_id``, the same content again returns
        the incident already stored (``created`` is false), and different content
        raises :class:`ReportConflictError`.
        """
        checked_office = self._check_office("office", office)
        incident = Incident.report(
            actor=actor,
            office=checked_office,
            occurred_at=occurred_at,
            category=category,
            severity=severity,
            target=target,
            summary=summary,
            trigger=trigger,
            parties=parties,
            contact=contact,
            client_ref=client_ref,
            incident_id=incident_id,
            now=self.clock(),
        )
        reported = incident.collect_events()
        if incident_id is not None:
            existing = self._report_already_stored(incident_id, reported[0])
            if existing is not None:
                return existing
        try:
            recordings = self.save(*reported)
        except IntegrityError:
            if incident_id is None:
                raise  # A fresh uuid4 cannot collide: this is a real fault.
            existing = self._report_already_stored(incident_id, reported[0])
            if existing is None:
                raise
            return existing
        return WriteResult(incident.to_dict(), last_position(recordings), created=True)

    def _report_already_stored(
        self, incident_id: UUID, reported: DomainEventProtocol[UUID]
    ) -> WriteResult | None:
        stored = next(iter(self.events.get(incident_id, lte=1)), None)
        if stored is None:
            return None
        if not isinstance(stored, Incident.Reported) or event_data(
            stored
        ) != event_data(reported):
            raise ReportConflictError(incident_id)
        current = self._load_incident(incident_id)
        return WriteResult(current.to_dict(), self._head())

    def record_de_escalation(
        self,
        incident_id: UUID,
        *,
        actor: str,
        techniques: object,
        outcome: object,
        note: object = None,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Log a de-escalation attempt on an incident."""
        return self._change(
            incident_id,
            lambda incident: incident.record_de_escalation(
                actor=actor, techniques=techniques, outcome=outcome, note=note
            ),
            expected_version,
        )

    def escalate_incident(
        self,
        incident_id: UUID,
        *,
        actor: str,
        to: object,
        note: object = None,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Escalate an incident to the manager, security, police or emergency."""
        return self._change(
            incident_id,
            lambda incident: incident.escalate(actor=actor, to=to, note=note),
            expected_version,
        )

    def reassess_severity(
        self,
        incident_id: UUID,
        *,
        actor: str,
        severity: object,
        reason: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Change an incident's severity, saying why."""
        return self._change(
            incident_id,
            lambda incident: incident.reassess_severity(
                actor=actor, severity=severity, reason=reason
            ),
            expected_version,
        )

    def schedule_follow_up(
        self,
        incident_id: UUID,
        *,
        actor: str,
        kind: object,
        due_on: object,
        assignee: object = None,
        note: object = None,
        follow_up_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Schedule a follow-up; its id is in the result's ``follow_ups``."""
        new_id = follow_up_id or uuid4()
        return self._change(
            incident_id,
            lambda incident: incident.schedule_follow_up(
                actor=actor,
                follow_up_id=new_id,
                kind=kind,
                due_on=due_on,
                assignee=assignee,
                note=note,
            ),
            expected_version,
        )

    def complete_follow_up(
        self,
        incident_id: UUID,
        follow_up_id: UUID,
        *,
        actor: str,
        note: object = None,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Mark a follow-up as done."""
        return self._change(
            incident_id,
            lambda incident: incident.complete_follow_up(
                actor=actor, follow_up_id=follow_up_id, note=note
            ),
            expected_version,
        )

    def cancel_follow_up(
        self,
        incident_id: UUID,
        follow_up_id: UUID,
        *,
        actor: str,
        reason: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Cancel a follow-up, saying why."""
        return self._change(
            incident_id,
            lambda incident: incident.cancel_follow_up(
                actor=actor, follow_up_id=follow_up_id, reason=reason
            ),
            expected_version,
        )

    def add_note(
        self,
        incident_id: UUID,
        *,
        actor: str,
        text: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Add a note to an incident, open or closed."""
        return self._change(
            incident_id,
            lambda incident: incident.add_note(actor=actor, text=text),
            expected_version,
        )

    def amend_incident(
        self,
        incident_id: UUID,
        *,
        actor: str,
        changes: object,
        reason: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Correct what was reported; the original stays in the history."""
        return self._change(
            incident_id,
            lambda incident: incident.amend(
                actor=actor, changes=changes, reason=reason, now=self.clock()
            ),
            expected_version,
        )

    def close_incident(
        self,
        incident_id: UUID,
        *,
        actor: str,
        resolution: object,
        note: object = None,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Close an incident with a resolution."""
        return self._change(
            incident_id,
            lambda incident: incident.close(
                actor=actor, resolution=resolution, note=note
            ),
            expected_version,
        )

    def reopen_incident(
        self,
        incident_id: UUID,
        *,
        actor: str,
        reason: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Reopen a closed incident, saying why."""
        return self._change(
            incident_id,
            lambda incident: incident.reopen(actor=actor, reason=reason),
            expected_version,
        )

    def erase_personal_data(
        self,
        incident_id: UUID,
        *,
        actor: str,
        reason: object,
        expected_version: int | None = None,
    ) -> WriteResult:
        """Erase the visitor's contact details from an incident, for good.

        The erasure is recorded first, then the contact's key is destroyed; an
        erasure interrupted between the two is completed by asking again.
        """
        try:
            result = self._change(
                incident_id,
                lambda incident: incident.erase_personal_data(
                    actor=actor, reason=reason
                ),
                expected_version,
            )
        except NothingToEraseError:
            if self.contact_keys.destroy(incident_id):
                return WriteResult(self.get_incident(incident_id), self._head())
            raise
        self.contact_keys.destroy(incident_id)
        return result

    def record_disclosure(
        self, incident_id: UUID, *, viewer: str, channel: str
    ) -> None:
        """Record that a person was shown or sent an incident's contact."""
        self._append(
            self.disclosure_log,
            DISCLOSURE_LOG_ID,
            incident_id=incident_id,
            viewer=viewer,
            channel=channel,
        )

    def _change(
        self,
        incident_id: UUID,
        command: Callable[[Incident], None],
        expected_version: int | None,
    ) -> WriteResult:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            incident = self._load_incident(incident_id)
            if expected_version is not None and incident.version != expected_version:
                raise StaleVersionError(incident_id, expected_version, incident.version)
            command(incident)
            position = self._save_once(incident)
            if position is None:
                # Another writer saved this version first: reload, so that the
                # command is applied (or refused) against what is now stored.
                self._back_off(attempt)
                continue
            return WriteResult(incident.to_dict(), position)
        raise ConcurrentWriteError(incident_id, MAX_ATTEMPTS)

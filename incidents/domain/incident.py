"""Model an incident as the sequence of facts recorded about it.

Public methods check the rules and normalise values; each private ``@event`` method
only changes state, because it runs again every time the incident is rebuilt from
its stored events (and a rule tightened later must not refuse old history).

Every event class carries an explicit, stable ``TOPIC``: stored events are found by
it, so classes can move between modules without breaking history (ADR 0002).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from incidents import values
from incidents.domain.records import (
    Amendment,
    DeEscalation,
    Escalation,
    FollowUp,
    Note,
)
from incidents.domain.report_checks import amendment_changes, report_fields
from incidents.errors import (
    FollowUpNotFoundError,
    FollowUpNotScheduledError,
    FollowUpsStillScheduledError,
    IncidentAlreadyOpenError,
    IncidentClosedError,
    InvalidInputError,
    NothingToChangeError,
    NothingToEraseError,
)
from incidents.personal_data import PersonalContact
from incidents.vocabulary import (
    EscalationTarget,
    FollowUpKind,
    FollowUpStatus,
    Outcome,
    Resolution,
    Status,
    Technique,
)


class Incident(Aggregate):
    """Hold what is known about one tension or incident in one office."""

    TOPIC = "incidents:Incident"

    class Event(Aggregate.Event):
        TOPIC = "incidents:Incident.Event"

    class Created(Aggregate.Created):
        # Never triggered: an incident begins with Reported. Left undeclared, the
        # library nests a Created here that inherits Event's topic and takes it over.
        TOPIC = "incidents:Incident.Created"

    class Reported(Aggregate.Created):
        TOPIC = "incidents:Incident.Reported"
        office: str
        occurred_at: datetime
        category: str
        severity: int
        target: str
        trigger: str | None
        summary: str
        parties: list[dict[str, Any]]
        contact: PersonalContact | None
        client_ref: str | None
        actor: str

    class DeEscalationRecorded(Event):
        TOPIC = "incidents:Incident.DeEscalationRecorded"
        techniques: list[str]
        outcome: str
        note: str | None
        actor: str

    class Escalated(Event):
        TOPIC = "incidents:Incident.Escalated"
        to: str
        note: str | None
        actor: str

    class SeverityReassessed(Event):
        TOPIC = "incidents:Incident.SeverityReassessed"
        severity: int
        reason: str
        actor: str

    class FollowUpScheduled(Event):
        TOPIC = "incidents:Incident.FollowUpScheduled"
        follow_up_id: UUID
        kind: str
        due_on: date
        assignee: str | None
        note: str | None
        actor: str

    class FollowUpCompleted(Event):
        TOPIC = "incidents:Incident.FollowUpCompleted"
        follow_up_id: UUID
        note: str | None
        actor: str

    class FollowUpCancelled(Event):
        TOPIC = "incidents:Incident.FollowUpCancelled"
        follow_up_id: UUID
        reason: str
        actor: str

    class NoteAdded(Event):
        TOPIC = "incidents:Incident.NoteAdded"
        text: str
        actor: str

    class Amended(Event):
        TOPIC = "incidents:Incident.Amended"
        changes: dict[str, Any]
        reason: str
        actor: str

    class Closed(Event):
        TOPIC = "incidents:Incident.Closed"
        resolution: str
        note: str | None
        actor: str

    class Reopened(Event):
        TOPIC = "incidents:Incident.Reopened"
        reason: str
        actor: str

    class PersonalDataErased(Event):
        TOPIC = "incidents:Incident.PersonalDataErased"
        reason: str
        actor: str

    # Reporting.

    @classmethod
    def report(
        cls,
        *,
        actor: str,
        office: str,
        occurred_at: object,
        category: object,
        severity: object,
        target: object,
        summary: object,
        now: datetime,
        trigger: object = None,
        parties: object = None,
        contact: object = None,
        client_ref: object = None,
        incident_id: UUID | None = None,
    ) -> Incident:
        """Report a new incident, checking every value first."""
        fields = report_fields(
            office=office,
            occurred_at=occurred_at,
            category=category,
            severity=severity,
            target=target,
            summary=summary,
            now=now,
            trigger=trigger,
            parties=parties,
            contact=contact,
            client_ref=client_ref,
        )
        incident_id = incident_id or uuid4()
        if fields["contact"] is not None:
            # Sealed under a key of this incident's own when stored.
            fields["contact"] = PersonalContact(key_id=incident_id, **fields["contact"])
        return cls._create(cls.Reported, id=incident_id, actor=actor, **fields)

    @event(Reported)
    def __init__(
        self,
        *,
        office: str,
        occurred_at: datetime,
        category: str,
        severity: int,
        target: str,
        trigger: str | None,
        summary: str,
        parties: list[dict[str, Any]],
        contact: PersonalContact | None,
        client_ref: str | None,
        actor: str,
    ) -> None:
        self.office = office
        self.occurred_at = occurred_at
        self.category = category
        self.severity = severity
        self.target = target
        self.trigger = trigger
        self.summary = summary
        self.parties = list(parties)
        # None once the contact's key is destroyed, even in older versions.
        self.contact = None if contact is None else contact.to_dict()
        self.contact_recorded = contact is not None
        self.contact_erased = False
        self.client_ref = client_ref
        self.reported_by = actor
        self.status = Status.OPEN.value
        self.resolution: str | None = None
        self.de_escalations: list[DeEscalation] = []
        self.escalations: list[Escalation] = []
        self.follow_ups: dict[UUID, FollowUp] = {}
        self.notes: list[Note] = []
        self.amendments: list[Amendment] = []

    # Commands on an open incident.

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED.value

    def record_de_escalation(
        self, *, actor: str, techniques: object, outcome: object, note: object = None
    ) -> None:
        """Log one de-escalation attempt and how it ended."""
        self._check_open("record a de-escalation")
        self._record_de_escalation(
            techniques=values.codes("techniques", techniques, Technique),
            outcome=values.code("outcome", outcome, Outcome),
            note=values.optional_text("note", note, max_length=values.NOTE_MAX),
            actor=actor,
        )

    @event(DeEscalationRecorded)
    def _record_de_escalation(
        self, *, techniques: list[str], outcome: str, note: str | None, actor: str
    ) -> None:
        self.de_escalations.append(DeEscalation(list(techniques), outcome, note, actor))

    def escalate(self, *, actor: str, to: object, note: object = None) -> None:
        """Hand the incident to the office manager, security, police or emergency."""
        self._check_open("escalate")
        self._escalate(
            to=values.code("to", to, EscalationTarget),
            note=values.optional_text("note", note, max_length=values.NOTE_MAX),
            actor=actor,
        )

    @event(Escalated)
    def _escalate(self, *, to: str, note: str | None, actor: str) -> None:
        self.escalations.append(Escalation(to, note, actor))

    def reassess_severity(
        self, *, actor: str, severity: object, reason: object
    ) -> None:
        """Change the severity, saying why."""
        self._check_open("reassess the severity")
        new_severity = values.severity(severity)
        checked_reason = values.text("reason", reason, max_length=values.REASON_MAX)
        if new_severity == self.severity:
            raise NothingToChangeError(
                f"Incident {self.id} is already at severity {new_severity}."
            )
        self._reassess_severity(
            severity=new_severity, reason=checked_reason, actor=actor
        )

    @event(SeverityReassessed)
    def _reassess_severity(self, *, severity: int, reason: str, actor: str) -> None:
        self.severity = severity

    def schedule_follow_up(
        self,
        *,
        actor: str,
        follow_up_id: UUID,
        kind: object,
        due_on: object,
        assignee: object = None,
        note: object = None,
    ) -> None:
        """Plan a follow-up action due on a given day."""
        self._check_open("schedule a follow-up")
        if follow_up_id in self.follow_ups:
            raise InvalidInputError.field(
                "follow_up_id", f"{follow_up_id} is already used on this incident."
            )
        self._schedule_follow_up(
            follow_up_id=follow_up_id,
            kind=values.code("kind", kind, FollowUpKind),
            due_on=values.day("due_on", due_on),
            assignee=values.optional_text(
                "assignee", assignee, max_length=values.SHORT_TEXT_MAX
            ),
            note=values.optional_text("note", note, max_length=values.NOTE_MAX),
            actor=actor,
        )

    @event(FollowUpScheduled)
    def _schedule_follow_up(
        self,
        *,
        follow_up_id: UUID,
        kind: str,
        due_on: date,
        assignee: str | None,
        note: str | None,
        actor: str,
    ) -> None:
        self.follow_ups[follow_up_id] = FollowUp(
            follow_up_id, kind, due_on, assignee, note
        )

    def complete_follow_up(
        self, *, actor: str, follow_up_id: UUID, note: object = None
    ) -> None:
        """Mark a scheduled follow-up as done."""
        self._check_open("complete a follow-up")
        self._check_scheduled(follow_up_id)
        self._complete_follow_up(
            follow_up_id=follow_up_id,
            note=values.optional_text("note", note, max_length=values.NOTE_MAX),
            actor=actor,
        )

    @event(FollowUpCompleted)
    def _complete_follow_up(
        self, *, follow_up_id: UUID, note: str | None, actor: str
    ) -> None:
        follow_up = self.follow_ups[follow_up_id]
        follow_up.status = FollowUpStatus.COMPLETED.value
        follow_up.outcome_note = note

    def cancel_follow_up(
        self, *, actor: str, follow_up_id: UUID, reason: object
    ) -> None:
        """Drop a scheduled follow-up, saying why."""
        self._check_open("cancel a follow-up")
        self._check_scheduled(follow_up_id)
        self._cancel_follow_up(
            follow_up_id=follow_up_id,
            reason=values.text("reason", reason, max_length=values.REASON_MAX),
            actor=actor,
        )

    @event(FollowUpCancelled)
    def _cancel_follow_up(self, *, follow_up_id: UUID, reason: str, actor: str) -> None:
        follow_up = self.follow_ups[follow_up_id]
        follow_up.status = FollowUpStatus.CANCELLED.value
        follow_up.outcome_note = reason

    def amend(
        self, *, actor: str, changes: object, reason: object, now: datetime
    ) -> None:
        """Correct what was reported, saying why; the original stays in history."""
        self._check_open("amend")
        checked_reason = values.text("reason", reason, max_length=values.REASON_MAX)
        checked = amendment_changes(changes, now=now)
        effective = {
            name: value
            for name, value in checked.items()
            if getattr(self, name) != value
        }
        if not effective:
            raise NothingToChangeError(
                f"The amendment changes nothing on incident {self.id}: "
                "every value given is already the current one."
            )
        self._amend(changes=effective, reason=checked_reason, actor=actor)

    @event(Amended)
    def _amend(self, *, changes: dict[str, Any], reason: str, actor: str) -> None:
        for name, value in changes.items():
            setattr(self, name, list(value) if name == "parties" else value)
        self.amendments.append(Amendment(dict(changes), reason, actor))

    def close(self, *, actor: str, resolution: object, note: object = None) -> None:
        """Close the incident with a resolution, once no follow-up is scheduled."""
        self._check_open("close")
        checked_resolution = values.code("resolution", resolution, Resolution)
        checked_note = values.optional_text("note", note, max_length=values.NOTE_MAX)
        scheduled = self.scheduled_follow_ups()
        if scheduled:
            raise FollowUpsStillScheduledError(self.id, len(scheduled))
        self._close(resolution=checked_resolution, note=checked_note, actor=actor)

    @event(Closed)
    def _close(self, *, resolution: str, note: str | None, actor: str) -> None:
        self.status = Status.CLOSED.value
        self.resolution = resolution

    # Commands that a closed incident still accepts.

    def reopen(self, *, actor: str, reason: object) -> None:
        """Reopen a closed incident, saying why."""
        if not self.is_closed:
            raise IncidentAlreadyOpenError(self.id)
        self._reopen(
            reason=values.text("reason", reason, max_length=values.REASON_MAX),
            actor=actor,
        )

    @event(Reopened)
    def _reopen(self, *, reason: str, actor: str) -> None:
        self.status = Status.OPEN.value
        self.resolution = None

    def add_note(self, *, actor: str, text: object) -> None:
        """Add a free-text note; allowed on open and closed incidents."""
        self._add_note(
            text=values.text("text", text, max_length=values.NOTE_MAX), actor=actor
        )

    @event(NoteAdded)
    def _add_note(self, *, text: str, actor: str) -> None:
        self.notes.append(Note(text, actor))

    def erase_personal_data(self, *, actor: str, reason: object) -> None:
        """Erase the visitor's contact details, saying why."""
        checked_reason = values.text("reason", reason, max_length=values.REASON_MAX)
        if self.contact_erased:
            raise NothingToEraseError(self.id, "it was already erased")
        if not self.contact_recorded:
            raise NothingToEraseError(self.id, "no contact was recorded")
        self._erase_personal_data(reason=checked_reason, actor=actor)

    @event(PersonalDataErased)
    def _erase_personal_data(self, *, reason: str, actor: str) -> None:
        self.contact = None
        self.contact_erased = True

    # Queries.

    def scheduled_follow_ups(self) -> list[FollowUp]:
        return [
            follow_up
            for follow_up in self.follow_ups.values()
            if follow_up.status == FollowUpStatus.SCHEDULED.value
        ]

    def to_dict(self) -> dict[str, Any]:
        """Return the incident as plain data, in the shape of the HTTP contract."""
        return {
            "id": self.id,
            "version": self.version,
            "office": self.office,
            "status": self.status,
            "occurred_at": self.occurred_at,
            "recorded_at": self.created_on,
            "modified_at": self.modified_on,
            "category": self.category,
            "severity": self.severity,
            "target": self.target,
            "trigger": self.trigger,
            "summary": self.summary,
            "parties": [dict(party) for party in self.parties],
            "contact": dict(self.contact) if self.contact else None,
            "contact_recorded": self.contact_recorded,
            "contact_erased": self.contact_erased,
            "client_ref": self.client_ref,
            "reported_by": self.reported_by,
            "de_escalations": [asdict(item) for item in self.de_escalations],
            "escalations": [asdict(item) for item in self.escalations],
            "follow_ups": [asdict(item) for item in self.follow_ups.values()],
            "notes": [asdict(item) for item in self.notes],
            "amendments": [asdict(item) for item in self.amendments],
            "resolution": self.resolution,
        }

    def _check_open(self, action: str) -> None:
        if self.is_closed:
            raise IncidentClosedError(self.id, action)

    def _check_scheduled(self, follow_up_id: UUID) -> None:
        follow_up = self.follow_ups.get(follow_up_id)
        if follow_up is None:
            raise FollowUpNotFoundError(self.id, follow_up_id)
        if follow_up.status != FollowUpStatus.SCHEDULED.value:
            raise FollowUpNotScheduledError(follow_up_id, follow_up.status)

"""Answer what the log holds: incidents now or at a version, histories, disclosures.

Every answer is plain data (dicts of primitives, UUIDs, dates and datetimes), never
an aggregate.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, EventSourcedLog

from incidents.application.store import IncidentStore
from incidents.domain import Incident
from incidents.errors import IncidentNotFoundError, InvalidInputError
from incidents.logs import ContactDisclosed
from incidents.personal_data import PersonalContact

# Attributes every event has, which the timeline shows apart from its data.
_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic"}


class Queries(IncidentStore):
    """Read incidents, their histories, the disclosures and the whole log."""

    disclosure_log: EventSourcedLog[ContactDisclosed]

    def get_incident(
        self, incident_id: UUID, *, version: int | None = None
    ) -> dict[str, Any]:
        """Return an incident now, or as it was at a given version."""
        return self._load_incident(incident_id, version=version).to_dict()

    def get_incident_history(self, incident_id: UUID) -> list[dict[str, Any]]:
        """Return every event of an incident in order, as plain data."""
        history = [describe(event) for event in self.events.get(incident_id)]
        if not history:
            raise IncidentNotFoundError(incident_id)
        return history

    def list_disclosures(
        self, *, incident_id: UUID | None = None, after: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Return the disclosures of contacts in order, optionally of one incident."""
        disclosures = []
        for disclosed in self.disclosure_log.get(gt=after or None):
            if incident_id is not None and disclosed.incident_id != incident_id:
                continue
            disclosures.append(
                {
                    "number": disclosed.originator_version,
                    "incident_id": disclosed.incident_id,
                    "viewer": disclosed.viewer,
                    "channel": disclosed.channel,
                    "at": disclosed.timestamp,
                }
            )
            if len(disclosures) >= limit:
                break
        return disclosures

    def iter_history(
        self, start: int = 1, batch: int = 500
    ) -> Iterator[dict[str, Any]]:
        """Yield every event of the log in order, as plain data with its position."""
        while True:
            notifications = self.recorder.select_notifications(start, batch)
            if not notifications:
                return
            for notification in notifications:
                described = describe(self.mapper.to_domain_event(notification))
                described["position"] = notification.id
                yield described
            start = notifications[-1].id + 1

    def _load_incident(
        self, incident_id: UUID, *, version: int | None = None
    ) -> Incident:
        if version is not None and version < 1:
            raise InvalidInputError.field("version", "Give a version from 1.")
        if any(
            isinstance(log, EventSourcedLog) and log.originator_id == incident_id
            for log in vars(self).values()
        ):
            # Logs such as the log of users hold plain events that no aggregate
            # is made of: the repository would fail on them, not find nothing.
            raise IncidentNotFoundError(incident_id)
        try:
            incident: Incident = self.repository.get(incident_id, version=version)
        except AggregateNotFoundError:
            raise IncidentNotFoundError(incident_id) from None
        if not isinstance(incident, Incident):
            raise IncidentNotFoundError(incident_id)
        if version is not None and incident.version != version:
            raise InvalidInputError.field(
                "version",
                f"Incident {incident_id} has only {incident.version} versions.",
            )
        return incident


def event_data(event: object) -> dict[str, Any]:
    """Return what an event says, without the envelope every event has."""
    return {name: value for name, value in vars(event).items() if name not in _ENVELOPE}


def describe(event: object) -> dict[str, Any]:
    """Return an event as plain data: its aggregate, version, type, times and data."""
    data = event_data(event)
    if isinstance(data.get("contact"), PersonalContact):
        data["contact"] = data["contact"].to_dict() or {"erased": True}
    actor = data.pop("actor", None)
    timestamp = getattr(event, "timestamp", None)
    return {
        "aggregate_id": getattr(event, "originator_id", None),
        "version": getattr(event, "originator_version", None),
        "type": type(event).__name__,
        "topic": getattr(type(event), "TOPIC", None),
        "recorded_at": timestamp,
        "occurred_at": data.get("occurred_at", timestamp),
        "actor": actor,
        "data": data,
    }

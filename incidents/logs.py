"""The plain logs: who is listed, whom a contact was shown, who downloaded what.

Each is an ``EventSourcedLog`` of one kind of event under a fixed id: the store
refuses two events at one place, so an entry is appended once, in order.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import register_topic


class UserLogged(DomainEvent):
    """Record, in a log of its own, that a user was registered (to list users)."""

    TOPIC = "incidents:UserLogged"
    user_id: UUID


# Aggregates register their events' topics when defined; a plain event must be
# registered by hand, or stored ones could not be read back.
register_topic(UserLogged.TOPIC, UserLogged)


class ContactDisclosed(DomainEvent):
    """Record that a person was shown (or exported) a visitor's contact."""

    TOPIC = "incidents:ContactDisclosed"
    incident_id: UUID
    viewer: str
    channel: str


register_topic(ContactDisclosed.TOPIC, ContactDisclosed)


class ReportDownloaded(DomainEvent):
    """Record that a person downloaded a report or a spreadsheet, and which."""

    TOPIC = "incidents:ReportDownloaded"
    actor: str
    what: str
    parameters: dict[str, str]
    channel: str


register_topic(ReportDownloaded.TOPIC, ReportDownloaded)

USER_LOG_ID = uuid5(NAMESPACE_URL, "/users")
DISCLOSURE_LOG_ID = uuid5(NAMESPACE_URL, "/disclosures")
DOWNLOAD_LOG_ID = uuid5(NAMESPACE_URL, "/downloads")

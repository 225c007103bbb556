"""Model one notification: due to one person, for one rule and one subject, once.

A notification's id is derived from its key (rule, subject, recipient), so the
event store itself refuses a second one for the same key: whatever process or
restart plans it again, at most one exists, ever. Its events are the steps of
its delivery by mail: each attempt is claimed before the mail leaves (the
claim is a save at the next version, which only one sender can win), then
recorded as sent or failed. No event holds a message's body.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from incidents.errors import NothingToChangeError

KINDS = ("severe_incident", "escalation", "follow_up_overdue", "digest")
# Delivered only under the bell (no mail server, or no address), or by mail too.
CHANNELS = ("bell", "mail")


def notification_key(rule: str, subject: str, recipient: str) -> str:
    """Return the idempotency key of a notification: rule, subject, recipient."""
    return f"{rule}:{subject}:{recipient}"


def notification_id(key: str) -> UUID:
    """Return the id of the one notification a key may ever have."""
    return uuid5(NAMESPACE_URL, f"/notifications/{key}")


class Notification(Aggregate):
    """Hold one notification's recipient, subject and the state of its delivery."""

    TOPIC = "incidents:Notification"

    class Event(Aggregate.Event):
        TOPIC = "incidents:Notification.Event"

    class Created(Aggregate.Created):
        TOPIC = "incidents:Notification.Created"

    class NotificationPlanned(Aggregate.Created):
        TOPIC = "incidents:Notification.NotificationPlanned"
        key: str
        kind: str
        recipient: str
        channel: str
        office: str
        incident_id: UUID | None
        follow_up_id: UUID | None

    class DeliveryAttempted(Event):
        TOPIC = "incidents:Notification.DeliveryAttempted"
        attempt: int
        message_id: str
        claimant: str

    class NotificationSent(Event):
        TOPIC = "incidents:Notification.NotificationSent"
        key: str
        recipient: str
        kind: str
        incident_id: UUID | None
        follow_up_id: UUID | None
        attempt: int
        message_id: str

    class DeliveryFailed(Event):
        TOPIC = "incidents:Notification.DeliveryFailed"
        attempt: int
        error: str
        retry_at: datetime

    class NotificationRead(Event):
        TOPIC = "incidents:Notification.NotificationRead"
        actor: str

    @classmethod
    def plan(
        cls,
        *,
        rule: str,
        subject: str,
        kind: str,
        recipient: str,
        channel: str,
        office: str,
        incident_id: UUID | None = None,
        follow_up_id: UUID | None = None,
    ) -> Notification:
        """Plan the one notification of this rule, subject and recipient."""
        if kind not in KINDS:
            raise ValueError(f"unknown notification kind {kind!r}")
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        key = notification_key(rule, subject, recipient)
        return cls._create(
            cls.NotificationPlanned,
            id=notification_id(key),
            key=key,
            kind=kind,
            recipient=recipient,
            channel=channel,
            office=office,
            incident_id=incident_id,
            follow_up_id=follow_up_id,
        )

    @event(NotificationPlanned)
    def __init__(
        self,
        *,
        key: str,
        kind: str,
        recipient: str,
        channel: str,
        office: str,
        incident_id: UUID | None,
        follow_up_id: UUID | None,
    ) -> None:
        self.key = key
        self.kind = kind
        self.recipient = recipient
        self.channel = channel
        self.office = office
        self.incident_id = incident_id
        self.follow_up_id = follow_up_id
        self.attempts = 0
        # A claim whose outcome is not recorded: the mail may be on its way.
        self.claimed = False
        self.retry_at: datetime | None = None
        self.sent = False
        self.read = False
        self.message_id = ""

    def due_for_mail(self, now: datetime, lease: timedelta) -> bool:
        """Tell whether a sender may try to deliver it by mail now.

        Not when sent, not before its retry time, and not while another
        sender's claim is younger than ``lease`` (a claim older than that was
        left by a sender that died: the mail may or may not have left).
        """
        if self.channel != "mail" or self.sent:
            return False
        # The claim is dated by the last event (a later one only lengthens it).
        if self.claimed and now < self.modified_on + lease:
            return False
        return self.retry_at is None or now >= self.retry_at

    def claim(self, *, claimant: str, message_id: str) -> None:
        """Claim the next attempt, before the mail leaves."""
        self._claim(attempt=self.attempts + 1, message_id=message_id, claimant=claimant)

    @event(DeliveryAttempted)
    def _claim(self, *, attempt: int, message_id: str, claimant: str) -> None:
        self.attempts = attempt
        self.message_id = message_id
        self.claimed = True

    def record_sent(self) -> None:
        """Record that the mail server accepted the message of this attempt."""
        if self.sent:
            raise NothingToChangeError(f"Notification {self.key} was sent already.")
        self._record_sent(
            key=self.key,
            recipient=self.recipient,
            kind=self.kind,
            incident_id=self.incident_id,
            follow_up_id=self.follow_up_id,
            attempt=self.attempts,
            message_id=self.message_id,
        )

    @event(NotificationSent)
    def _record_sent(
        self,
        *,
        key: str,
        recipient: str,
        kind: str,
        incident_id: UUID | None,
        follow_up_id: UUID | None,
        attempt: int,
        message_id: str,
    ) -> None:
        self.sent = True
        self.claimed = False

    def record_failure(self, *, error: str, retry_at: datetime) -> None:
        """Record that this attempt failed, and when to try again."""
        self._record_failure(attempt=self.attempts, error=error, retry_at=retry_at)

    @event(DeliveryFailed)
    def _record_failure(self, *, attempt: int, error: str, retry_at: datetime) -> None:
        self.claimed = False
        self.retry_at = retry_at

    def mark_read(self, *, actor: str) -> None:
        """Record that the recipient has seen it under the bell."""
        if self.read:
            raise NothingToChangeError(f"Notification {self.key} was read already.")
        self._mark_read(actor=actor)

    @event(NotificationRead)
    def _mark_read(self, *, actor: str) -> None:
        self.read = True

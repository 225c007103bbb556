"""Plan notifications once per key, and record each step of their delivery.

Planning is idempotent: a notification's id is derived from its key, so a
second plan of the same key (after a restart, or by another process) finds
the first one stored and changes nothing. Each delivery attempt is claimed by
a save at the aggregate's next version before the mail leaves: of two senders
only one can win it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from incidents.application.store import IncidentStore
from incidents.domain.notification import Notification
from incidents.errors import NotificationNotFoundError


class Notifications(IncidentStore):
    """Plan notifications, claim and record their delivery, mark them read."""

    def plan_notification(
        self,
        *,
        rule: str,
        subject: str,
        kind: str,
        recipient: str,
        channel: str,
        office: str,
        incident_id: UUID | None = None,
        follow_up_id: UUID | None = None,
    ) -> bool:
        """Plan the notification of a key; tell whether it is new (False: it was)."""
        notification = Notification.plan(
            rule=rule,
            subject=subject,
            kind=kind,
            recipient=recipient,
            channel=channel,
            office=office,
            incident_id=incident_id,
            follow_up_id=follow_up_id,
        )
        if self._exists(notification.id):
            return False
        # None: another process planned the same key first, which is the same.
        return self._save_once(notification) is not None

    def claim_delivery(
        self,
        notification_id: UUID,
        *,
        now: datetime,
        lease: timedelta,
        claimant: str,
        message_id: str,
    ) -> Notification | None:
        """Claim the next delivery attempt; ``None`` if not due or claimed elsewhere."""
        notification = self._load_notification(notification_id)
        if not notification.due_for_mail(now, lease):
            return None
        notification.claim(claimant=claimant, message_id=message_id)
        if self._save_once(notification) is None:
            return None
        return notification

    def record_delivery(
        self,
        notification: Notification,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        """Record the outcome of the attempt just claimed: sent, or failed."""
        if error is None:
            notification.record_sent()
        elif retry_at is None:
            raise ValueError("a failed attempt needs a time to retry at")
        else:
            notification.record_failure(error=error, retry_at=retry_at)
        self.save(notification)

    def mark_notification_read(
        self, notification_id: UUID, *, reader: str
    ) -> dict[str, Any]:
        """Mark a person's own notification read (someone else's: not found)."""
        notification = self._load_notification(notification_id)
        if notification.recipient != reader:
            raise NotificationNotFoundError(notification_id)
        if not notification.read:
            notification.mark_read(actor=reader)
            self._save_once(notification)
        return {"id": notification.id, "read": True}

    def get_notification(self, notification_id: UUID) -> Notification:
        """Return a notification as stored now."""
        return self._load_notification(notification_id)

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def _load_notification(self, notification_id: UUID) -> Notification:
        try:
            notification: Any = self.repository.get(notification_id)
        except AggregateNotFoundError:
            raise NotificationNotFoundError(notification_id) from None
        if not isinstance(notification, Notification):
            raise NotificationNotFoundError(notification_id)
        return notification

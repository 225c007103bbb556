"""Read notifications for the bell and the admin's list, and mark them read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from incidents.application import IncidentLog
from projections.notifications.notifier import Notifier
from projections.notifications.queries import UNSENT, NotificationQueries

__all__ = ["UNSENT", "bell", "mark_read", "unread_count", "unsent_notifications"]


def unsent_notifications(
    notifier: Notifier, *, states: tuple[str, ...], page: int, page_size: int
) -> dict[str, Any]:
    """Return the mail notifications not yet sent, oldest first."""
    return NotificationQueries(notifier.database).unsent(
        states=states, page=page, page_size=page_size
    )


def bell(
    notifier: Notifier, name: str, *, unread: bool | None, page: int, page_size: int
) -> dict[str, Any]:
    """Return a person's own notifications, newest first."""
    return NotificationQueries(notifier.database).for_person(
        name, unread=unread, page=page, page_size=page_size
    )


def unread_count(notifier: Notifier, name: str) -> int:
    """Return how many of a person's notifications are unread."""
    return NotificationQueries(notifier.database).unread_count(name)


def mark_read(
    log: IncidentLog, notifier: Notifier, notification_id: UUID, *, reader: str
) -> dict[str, Any]:
    """Mark one's own notification read, and wait until the bell shows it."""
    answer = log.mark_notification_read(notification_id, reader=reader)
    notifier.wait(log.recorder.max_notification_id() or 0)
    return answer

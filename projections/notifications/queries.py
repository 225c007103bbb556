"""Answer the bell (a person's notifications) and the admin's list of sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projections.database import Database
from projections.notifications.store import MESSAGES, NotifierStore

# The states of a mail notification not yet sent.
UNSENT = ("pending", "sending", "failed")


@dataclass(frozen=True)
class NotifierStatus:
    """Say how far the notifier is behind the log, and what waits to be sent."""

    position: int
    pending: int
    failed: int


class NotificationQueries:
    """Read the notifier's tables: no question here changes anything."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.store = NotifierStore(database)

    def for_person(
        self, name: str, *, unread: bool | None, page: int, page_size: int
    ) -> dict[str, Any]:
        """Return a person's notifications, newest first (``unread``: filter)."""
        where = "recipient = ?"
        if unread is True:
            where += " AND read_at IS NULL"
        elif unread is False:
            where += " AND read_at IS NOT NULL"
        table = self.store.name(MESSAGES)
        with self.database.transaction(write=False) as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", (name,))
            row = cursor.fetchone()
            total = int(row[0]) if row else 0
            cursor.execute(
                f"SELECT id, kind, incident_id, office, created_at, read_at "
                f"FROM {table} WHERE {where} "
                "ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                (name, page_size, (page - 1) * page_size),
            )
            items = [
                {
                    "id": row[0],
                    "kind": row[1],
                    "incident": row[2],
                    "office": row[3],
                    "created_at": row[4],
                    "read": row[5] is not None,
                }
                for row in cursor.fetchall()
            ]
        return {"items": items, "total": total}

    def unread_count(self, name: str) -> int:
        """Return how many notifications a person has not read."""
        with self.database.transaction(write=False) as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {self.store.name(MESSAGES)} "
                "WHERE recipient = ? AND read_at IS NULL",
                (name,),
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def unsent(
        self, *, states: tuple[str, ...] = UNSENT, page: int, page_size: int
    ) -> dict[str, Any]:
        """Return the mail notifications not yet sent, oldest first."""
        table = self.store.name(MESSAGES)
        marks = ", ".join("?" * len(states))
        where = f"channel = 'mail' AND state IN ({marks})"
        with self.database.transaction(write=False) as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", states)
            row = cursor.fetchone()
            total = int(row[0]) if row else 0
            names = (
                "id",
                "kind",
                "recipient",
                "office",
                "incident_id",
                "follow_up_id",
                "created_at",
                "state",
                "attempts",
                "last_error",
                "retry_at",
                "updated_at",
            )
            cursor.execute(
                f"SELECT {', '.join(names)} FROM {table} WHERE {where} "
                "ORDER BY created_at, id LIMIT ? OFFSET ?",
                (*states, page_size, (page - 1) * page_size),
            )
            items = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for item in items:
            item["incident"] = item.pop("incident_id")
            item["follow_up"] = item.pop("follow_up_id")
        return {"items": items, "total": total}

    def status(self) -> NotifierStatus:
        """Return the notifier's position and the counts of unsent mail."""
        with self.database.transaction(write=False) as cursor:
            position = self.store.tracking(cursor).position
            cursor.execute(
                f"SELECT state, COUNT(*) FROM {self.store.name(MESSAGES)} "
                "WHERE channel = 'mail' AND state IN ('pending', 'sending', 'failed') "
                "GROUP BY state"
            )
            counts = {str(row[0]): int(row[1]) for row in cursor.fetchall()}
        return NotifierStatus(
            position=position,
            pending=counts.get("pending", 0) + counts.get("sending", 0),
            failed=counts.get("failed", 0),
        )

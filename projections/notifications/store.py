"""Keep the notifier's tables beside the events, with the position it reached.

The notifier reads the log as the read models do, and keeps what its rules need
(each incident's office, category, severity and times; each follow-up's due day,
assignee and status) and one row per notification (the bell, and the admin's
list of pending and failed sends). Each batch is written in one transaction with
the position it reaches. Every table can be dropped: following the log from the
first event fills them again, and plans nothing twice (ADR 0015).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from projections.database import Cursor, Database

TRACKING = "notifier_tracking"
INCIDENTS = "notifier_incidents"
FOLLOW_UPS = "notifier_follow_ups"
MESSAGES = "notifier_messages"

MESSAGE_COLUMNS = (
    "id",
    "key",
    "kind",
    "recipient",
    "channel",
    "office",
    "incident_id",
    "follow_up_id",
    "created_at",
    "state",
    "attempts",
    "last_error",
    "retry_at",
    "updated_at",
    "read_at",
)

_SCHEMA = {
    TRACKING: "name TEXT PRIMARY KEY, position BIGINT NOT NULL, "
    "since BIGINT NOT NULL, installed_on TEXT NOT NULL",
    INCIDENTS: "incident_id TEXT PRIMARY KEY, office TEXT NOT NULL, "
    "category TEXT NOT NULL, severity INTEGER NOT NULL, "
    "occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL",
    FOLLOW_UPS: "follow_up_id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, "
    "due_on TEXT NOT NULL, assignee TEXT, status TEXT NOT NULL, "
    "reminded INTEGER NOT NULL DEFAULT 0",
    MESSAGES: "id TEXT PRIMARY KEY, key TEXT NOT NULL, kind TEXT NOT NULL, "
    "recipient TEXT NOT NULL, "
    "channel TEXT NOT NULL, office TEXT NOT NULL, incident_id TEXT, "
    "follow_up_id TEXT, created_at TEXT NOT NULL, state TEXT NOT NULL, "
    "attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, retry_at TEXT, "
    "updated_at TEXT NOT NULL, read_at TEXT",
}
_INDEXES = {
    "notifier_follow_ups_due": f"{FOLLOW_UPS} (status, reminded, due_on)",
    "notifier_messages_recipient": f"{MESSAGES} (recipient, created_at)",
    "notifier_messages_state": f"{MESSAGES} (channel, state, created_at)",
}
NAME = "notifier"


@dataclass(frozen=True)
class Tracking:
    """Say how far the notifier went, and from where its rules fire."""

    position: int
    # Facts at or before this position were stored before the notifier first
    # ran: they are read for the state they give, and call for nothing.
    since: int
    # Follow-ups due before this Paris day were overdue before it first ran.
    installed_on: str


class NotifierStore:
    """Create, read and write the notifier's tables in the log's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def name(self, table: str) -> str:
        """Return a table's name as SQL may use it (qualified on PostgreSQL)."""
        return self.database.table(table)

    def ensure_tables(self, *, head: int, today: str) -> None:
        """Create the tables when missing, starting the rules after ``head``."""
        with self.database.transaction(write=False) as cursor:
            if self.database.has_table(cursor, TRACKING):
                return
        with self.database.changing_schema() as cursor:
            if self.database.has_table(cursor, TRACKING):
                return
            for table, columns in _SCHEMA.items():
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.name(table)} ({columns})"
                )
            for index, target in _INDEXES.items():
                table, _, columns = target.partition(" ")
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {index} ON {self.name(table)} "
                    f"{columns}"
                )
            cursor.execute(
                f"INSERT INTO {self.name(TRACKING)} "
                "(name, position, since, installed_on) VALUES (?, 0, ?, ?)",
                (NAME, head, today),
            )

    def tracking(self, cursor: Cursor, *, lock: bool = False) -> Tracking:
        """Return the notifier's position (locking its row to write after it)."""
        locking = " FOR UPDATE" if lock and self.database.dialect == "postgres" else ""
        cursor.execute(
            f"SELECT position, since, installed_on FROM {self.name(TRACKING)} "
            f"WHERE name = ?{locking}",
            (NAME,),
        )
        row = cursor.fetchone()
        if row is None:
            raise LookupError("the notifier's tables are not created")
        return Tracking(int(row[0]), int(row[1]), str(row[2]))

    def move_to(self, cursor: Cursor, position: int) -> None:
        """Record the position a batch reached, in the batch's transaction."""
        cursor.execute(
            f"UPDATE {self.name(TRACKING)} SET position = ? WHERE name = ?",
            (position, NAME),
        )

    def incidents(self, cursor: Cursor, ids: set[str]) -> dict[str, dict[str, Any]]:
        """Return the rows of some incidents, by id."""
        found: dict[str, dict[str, Any]] = {}
        names = ("incident_id", "office", "category", "severity", "occurred_at")
        for chunk in _chunks(sorted(ids)):
            cursor.execute(
                f"SELECT {', '.join(names)}, recorded_at FROM {self.name(INCIDENTS)} "
                f"WHERE incident_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            for row in cursor.fetchall():
                found[str(row[0])] = {
                    **dict(zip(names, row, strict=False)),
                    "recorded_at": row[5],
                }
        return found

    def put_incidents(self, cursor: Cursor, rows: dict[str, dict[str, Any]]) -> None:
        """Write incidents' rows (replacing those with the same id)."""
        if not rows:
            return
        ids = sorted(rows)
        for chunk in _chunks(ids):
            cursor.execute(
                f"DELETE FROM {self.name(INCIDENTS)} "
                f"WHERE incident_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
        cursor.executemany(
            f"INSERT INTO {self.name(INCIDENTS)} (incident_id, office, category, "
            "severity, occurred_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    key,
                    row["office"],
                    row["category"],
                    row["severity"],
                    row["occurred_at"],
                    row["recorded_at"],
                )
                for key, row in sorted(rows.items())
            ],
        )

    def put_follow_up(self, cursor: Cursor, row: dict[str, Any]) -> None:
        """Write a follow-up's row when scheduled."""
        cursor.execute(
            f"DELETE FROM {self.name(FOLLOW_UPS)} WHERE follow_up_id = ?",
            (row["follow_up_id"],),
        )
        cursor.execute(
            f"INSERT INTO {self.name(FOLLOW_UPS)} (follow_up_id, incident_id, due_on, "
            "assignee, status, reminded) VALUES (?, ?, ?, ?, 'scheduled', 0)",
            (row["follow_up_id"], row["incident_id"], row["due_on"], row["assignee"]),
        )

    def end_follow_up(self, cursor: Cursor, follow_up_id: str, status: str) -> None:
        """Record that a follow-up was completed or cancelled."""
        cursor.execute(
            f"UPDATE {self.name(FOLLOW_UPS)} SET status = ? WHERE follow_up_id = ?",
            (status, follow_up_id),
        )

    def overdue_follow_ups(
        self, cursor: Cursor, *, today: str, installed_on: str
    ) -> list[dict[str, Any]]:
        """Return the scheduled follow-ups due before today, not yet reminded.

        Only those that fell overdue since the notifier first ran: reminders
        are for what falls overdue, not for a backlog found on installing it.
        """
        cursor.execute(
            f"SELECT f.follow_up_id, f.incident_id, f.due_on, f.assignee, i.office "
            f"FROM {self.name(FOLLOW_UPS)} f JOIN {self.name(INCIDENTS)} i "
            "ON i.incident_id = f.incident_id "
            "WHERE f.status = 'scheduled' AND f.reminded = 0 "
            "AND f.due_on < ? AND f.due_on >= ? ORDER BY f.due_on, f.follow_up_id",
            (today, installed_on),
        )
        names = ("follow_up_id", "incident_id", "due_on", "assignee", "office")
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def mark_reminded(self, cursor: Cursor, follow_up_id: str) -> None:
        """Record that a follow-up's reminders are planned."""
        cursor.execute(
            f"UPDATE {self.name(FOLLOW_UPS)} SET reminded = 1 WHERE follow_up_id = ?",
            (follow_up_id,),
        )

    def follow_up(self, cursor: Cursor, follow_up_id: str) -> dict[str, Any] | None:
        """Return one follow-up's row."""
        cursor.execute(
            f"SELECT follow_up_id, incident_id, due_on, assignee, status "
            f"FROM {self.name(FOLLOW_UPS)} WHERE follow_up_id = ?",
            (follow_up_id,),
        )
        row = cursor.fetchone()
        names = ("follow_up_id", "incident_id", "due_on", "assignee", "status")
        return None if row is None else dict(zip(names, row, strict=True))

    def put_message(self, cursor: Cursor, row: dict[str, Any]) -> None:
        """Write a new notification's row."""
        cursor.execute(f"DELETE FROM {self.name(MESSAGES)} WHERE id = ?", (row["id"],))
        cursor.execute(
            f"INSERT INTO {self.name(MESSAGES)} ({', '.join(MESSAGE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(MESSAGE_COLUMNS))})",
            [row.get(column) for column in MESSAGE_COLUMNS],
        )

    def update_message(self, cursor: Cursor, message_id: str, **values: Any) -> None:
        """Change some columns of a notification's row."""
        names = [name for name in values if name in MESSAGE_COLUMNS]
        cursor.execute(
            f"UPDATE {self.name(MESSAGES)} SET "
            f"{', '.join(f'{name} = ?' for name in names)} WHERE id = ?",
            [*(values[name] for name in names), message_id],
        )

    def messages_to_send(
        self, cursor: Cursor, limit: int, *, now: str, claimed_before: str
    ) -> list[str]:
        """Return the ids of mail notifications to try now, oldest first.

        Pending ones, failed ones whose retry time has come, and those claimed
        before ``claimed_before`` without an outcome (their sender died): a
        backlog waiting to be retried never hides a newer notification.
        """
        cursor.execute(
            f"SELECT id FROM {self.name(MESSAGES)} WHERE channel = 'mail' "
            "AND (state = 'pending' OR (state = 'failed' AND retry_at <= ?) "
            "OR (state = 'sending' AND updated_at <= ?)) "
            "ORDER BY created_at, id LIMIT ?",
            (now, claimed_before, limit),
        )
        return [str(row[0]) for row in cursor.fetchall()]


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[start : start + size] for start in range(0, len(values), size)]

"""Build logs with some history, their evidence, and raw SQL to damage them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from incidents.application import IncidentLog
from incidents.evidence import Evidence, LedgerKey
from incidents.evidence.hashing import GENESIS, link, notification_content
from incidents.evidence.ledger import ChainRow
from incidents.evidence.merkle import Frontier
from incidents.persistence import sqlite_path

OFFICE = "colombes-aragon"
MakeEvidence = Callable[..., Evidence]


def write_history(log: IncidentLog, incidents: int = 8) -> int:
    """Report incidents with a de-escalation and a note each; return the head."""
    now = datetime.now(UTC)
    for number in range(incidents):
        reported = log.report_incident(
            actor="mediator-1",
            office=OFFICE,
            occurred_at=now - timedelta(minutes=10 + number),
            category="waiting_time",
            severity=number % 4,
            target="staff",
            summary=f"Attente au guichet, ton qui monte ({number}).",
            contact={"phone": "06 12 34 56 78"} if number % 3 == 0 else None,
        )
        incident_id = reported.incident["id"]
        log.record_de_escalation(
            incident_id,
            actor="mediator-1",
            techniques=["active_listening"],
            outcome="calmed",
        )
        log.add_note(incident_id, actor="mediator-1", text="Usager reparti calme.")
    return log.recorder.max_notification_id() or 0


@pytest.fixture
def make_evidence() -> MakeEvidence:
    """Return a factory of the :class:`Evidence` of a log (its keys are the log's)."""
    return Evidence


class Tamper:
    """Run raw SQL on a durable store's events and ledger tables, as an intruder."""

    def __init__(self, log: IncidentLog, database_url: str) -> None:
        self.log = log
        self.path = sqlite_path(database_url)
        self.url = database_url
        if self.path is not None:
            self.names = {
                "events": "stored_events",
                "id": "rowid",
                "chain": "evidence_chain",
                "checkpoints": "evidence_checkpoints",
            }
        else:
            schema = log.recorder.datastore.schema  # type: ignore[attr-defined]
            table = log.recorder.events_table_name  # type: ignore[attr-defined]
            self.names = {
                "events": f'"{schema}"."{table}"',
                "id": "notification_id",
                "chain": f'"{schema}".evidence_chain',
                "checkpoints": f'"{schema}".evidence_checkpoints',
            }

    def sql(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (``?`` placeholders, ``{events}``-style names)."""
        statement = statement.format(**self.names)
        if self.path is not None:
            lite = sqlite3.connect(self.path, isolation_level=None)
            try:
                rows = lite.execute(statement, tuple(params)).fetchall()
                return [tuple(row) for row in rows]
            finally:
                lite.close()
        with psycopg.connect(self.url, autocommit=True) as connection:
            cursor = connection.execute(statement.replace("?", "%s"), tuple(params))
            return (
                [tuple(row) for row in cursor.fetchall()] if cursor.description else []
            )

    def files(self) -> dict[str, bytes | None]:
        """Return the bytes of the SQLite file and its -wal (none on PostgreSQL).

        Not the -shm: the readers of an open store mark it as they read.
        """
        if self.path is None:
            return {}
        path = Path(self.path)
        files = (path, path.with_name(path.name + "-wal"))
        return {
            file.name: file.read_bytes() if file.exists() else None for file in files
        }

    def new_aggregate_id(self) -> object:
        """Return an aggregate id as the store keeps it."""
        return uuid4().hex if self.path is not None else uuid4()

    # Damage to the events.

    def change_byte(self, position: int) -> None:
        """Flip one bit in the middle of an event's stored bytes."""
        [(state,)] = self.sql("SELECT state FROM {events} WHERE {id} = ?", (position,))
        changed = bytearray(state)
        changed[len(changed) // 2] ^= 0x01
        self.sql(
            "UPDATE {events} SET state = ? WHERE {id} = ?", (bytes(changed), position)
        )

    def delete(self, position: int) -> None:
        """Remove one event, leaving a gap."""
        self.sql("DELETE FROM {events} WHERE {id} = ?", (position,))

    def shift(self, start: int, by: int) -> None:
        """Move the events from ``start`` on by ``by`` places."""
        self.sql("UPDATE {events} SET {id} = -({id} + ?) WHERE {id} >= ?", (by, start))
        self.sql("UPDATE {events} SET {id} = -{id} WHERE {id} < 0")

    def delete_and_close_up(self, position: int) -> None:
        """Remove one event and move the later ones up, leaving no gap."""
        self.delete(position)
        self.shift(position + 1, -1)

    def insert(self, position: int, *, copy_of: int) -> None:
        """Insert a made-up event (a copy under a new aggregate id) at a position."""
        self.shift(position, 1)
        source = copy_of if copy_of < position else copy_of + 1
        self.sql(
            "INSERT INTO {events} ({id}, originator_id, originator_version, topic, "
            "state) SELECT ?, ?, originator_version, topic, state FROM {events} "
            "WHERE {id} = ?",
            (position, self.new_aggregate_id(), source),
        )

    def append(self, *, copy_of: int) -> None:
        """Add a made-up event after the last one."""
        [(last,)] = self.sql("SELECT MAX({id}) FROM {events}")
        self.sql(
            "INSERT INTO {events} ({id}, originator_id, originator_version, topic, "
            "state) SELECT ?, ?, originator_version, topic, state FROM {events} "
            "WHERE {id} = ?",
            (last + 1, self.new_aggregate_id(), copy_of),
        )

    def swap(self, first: int, second: int) -> None:
        """Exchange the positions of two events."""
        self.sql("UPDATE {events} SET {id} = -1 WHERE {id} = ?", (first,))
        self.sql("UPDATE {events} SET {id} = ? WHERE {id} = ?", (first, second))
        self.sql("UPDATE {events} SET {id} = ? WHERE {id} = -1", (second,))

    def cut_after(self, position: int) -> None:
        """Remove every event after a position."""
        self.sql("DELETE FROM {events} WHERE {id} > ?", (position,))

    # Damage to the ledger.

    def cut_ledger_after(self, position: int) -> None:
        """Remove the ledger's rows after a position."""
        self.sql("DELETE FROM {chain} WHERE position > ?", (position,))

    def set_ledger_chain(self, position: int, chain: bytes) -> None:
        """Overwrite the chain value of one ledger row."""
        self.sql("UPDATE {chain} SET chain = ? WHERE position = ?", (chain, position))

    def reseal_ledger(self, key: LedgerKey | None = None) -> None:
        """Recompute every ledger row from the events as they are now.

        As an insider who read the code would: content, chain, leaf, the tree's
        peak and root, with the project's own hashing; and each row's MAC only
        when given the ledger ``key`` (an insider who also read the key file).
        """
        chain, tree = GENESIS, Frontier()
        for notification in self.log.recorder.select_notifications(1, 100_000):
            added = link(chain, notification.id, notification_content(notification))
            chain, peak = added.chain, tree.append(added.leaf)
            row = ChainRow(
                notification.id,
                tree.size,
                added.content,
                chain,
                added.leaf,
                peak,
                tree.root(),
            )
            self.sql(
                "UPDATE {chain} SET content = ?, chain = ?, size = ?, leaf = ?, "
                "peak = ?, root = ? WHERE position = ?",
                (
                    row.content,
                    row.chain,
                    row.size,
                    row.leaf,
                    row.peak,
                    row.root,
                    row.position,
                ),
            )
            if key is not None:
                self.sql(
                    "UPDATE {chain} SET mac = ? WHERE position = ?",
                    (key.mac(row), row.position),
                )

    def set_checkpoint_root(self, size: int, root: bytes) -> None:
        """Overwrite the root of a stored checkpoint, leaving its signature."""
        self.sql("UPDATE {checkpoints} SET root = ? WHERE size = ?", (root, size))

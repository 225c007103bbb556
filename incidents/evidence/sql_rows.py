"""Speak to the ledger's tables in either dialect, and read their rows as values.

The SQL is written once with ``?`` placeholders; :class:`Cursor` adapts it to
PostgreSQL's. :class:`Layout` names the successive shapes of the tables, which
a writing open brings up to date.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from incidents.evidence.ledger import ChainRow
from incidents.evidence.signing import Checkpoint

Row = tuple[Any, ...]
ROW_COLUMNS = "position, size, content, chain, leaf, peak, root, mac"
TREE_COLUMNS = ("leaf", "peak", "root")
CHECKPOINT_COLUMNS = "size, position, root, time, key_id, signature, chain, format"
SIGNED_TREE_COLUMNS = ("chain", "format")


class Layout(Enum):
    """Say which version of the ledger's tables a store holds."""

    ABSENT = "absent"  # Written before the ledger existed, or a new store.
    CHAINED = "chained"  # The hash chain only, sealed by a follower (ADR 0008).
    TREE = "tree"  # Sealed in the events' transaction (ADR 0011).
    SIGNED_TREE = "signed_tree"  # Checkpoints of the tree's root (ADR 0013).
    CURRENT = "current"  # And a MAC on every row (ADR 0013).


class Cursor:
    """Run ``?``-placeholder SQL on a SQLite or PostgreSQL cursor; rows as tuples."""

    def __init__(self, cursor: Any, *, dialect: str) -> None:
        self._cursor = cursor
        self._postgres = dialect == "postgres"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""
        self._cursor.execute(self._adapt(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters."""
        if rows:
            self._cursor.executemany(self._adapt(sql), [tuple(row) for row in rows])

    def fetchone(self) -> Row | None:
        """Return the next row, or ``None``."""
        row = self._cursor.fetchone()
        return None if row is None else self._row(row)

    def fetchall(self) -> list[Row]:
        """Return the remaining rows."""
        return [self._row(row) for row in self._cursor.fetchall()]

    def _adapt(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._postgres else sql

    @staticmethod
    def _row(row: Any) -> Row:
        return tuple(row.values()) if isinstance(row, dict) else tuple(row)


def chain_row(row: Row) -> ChainRow:
    """Return a ledger row read with :data:`ROW_COLUMNS`."""
    position, size, content, chain, leaf, peak, root, mac = row
    return ChainRow(
        int(position),
        int(size),
        bytes(content),
        bytes(chain),
        bytes(leaf),
        bytes(peak),
        bytes(root),
        None if mac is None else bytes(mac),
    )


def checkpoint_row(row: Row) -> Checkpoint:
    """Return a checkpoint read with :data:`CHECKPOINT_COLUMNS`."""
    size, position, root, time, key_id, signature, chain, number = row
    return Checkpoint(
        size=int(size),
        position=int(position),
        root=bytes(root),
        time=str(time),
        key_id=str(key_id),
        signature=bytes(signature),
        chain=None if chain is None else bytes(chain),
        format=int(number),
    )

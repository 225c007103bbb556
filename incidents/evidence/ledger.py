"""Keep the ledger beside the events: one row per event, and the signed checkpoints.

The ledger is two tables in the event store's own database (the same SQLite
file, the same PostgreSQL schema; :mod:`~incidents.evidence.sql_ledger`), or
plain lists for the in-memory store:

- ``evidence_chain``: one row per event, written in the transaction that stores
  the event (:mod:`~incidents.evidence.recorders`) and never changed: its
  position, the log's size with it, its content hash, leaf, chain value, the
  RFC 6962 peak ending at its leaf, the tree's root at that size, and a MAC of
  all that under a key kept outside the database (ADR 0013);
- ``evidence_checkpoints(size, position, root, time, signature, key_id, chain,
  format)``: format 2 signs the tree's root as ``root`` and the chain value.

It is *not* a read model: it is never rebuilt from the events, because it is
the memory that the events are checked against. Readers use :class:`Ledger`;
only a transaction that stores events writes, through a :class:`LedgerWriter`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from incidents.evidence.hashing import GENESIS
from incidents.evidence.merkle import EMPTY_ROOT
from incidents.evidence.signing import Checkpoint

READ_BATCH = 1000


@dataclass(frozen=True)
class ChainRow:
    """Hold one ledger row: what an event added to the chain and to the tree."""

    position: int
    size: int
    content: bytes
    chain: bytes
    leaf: bytes
    peak: bytes
    root: bytes
    mac: bytes | None = None  # HMAC-SHA256 of the others (row_macs.py).


@dataclass(frozen=True)
class Head:
    """Say how far the ledger has gone: last position, size, chain value and root."""

    position: int
    size: int
    chain: bytes
    root: bytes


EMPTY = Head(0, 0, GENESIS, EMPTY_ROOT)


def head_of(row: ChainRow | None) -> Head:
    """Return the head a ledger ending at ``row`` has."""
    if row is None:
        return EMPTY
    return Head(row.position, row.size, row.chain, row.root)


class LedgerWriter(ABC):
    """Read and append the ledger inside the transaction that stores events."""

    @abstractmethod
    def head(self) -> Head:
        """Return the ledger's head as this transaction sees it."""

    @abstractmethod
    def peaks(self, sizes: Sequence[int]) -> dict[int, bytes]:
        """Return the peaks stored in the rows of the given sizes."""

    @abstractmethod
    def append(self, rows: Sequence[ChainRow]) -> None:
        """Add rows after the head."""

    @abstractmethod
    def latest_checkpoint(self) -> Checkpoint | None:
        """Return the checkpoint of the largest size, if any."""

    @abstractmethod
    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Store a signed checkpoint."""


class Ledger(ABC):
    """Read the rows and the checkpoints."""

    @abstractmethod
    def head(self) -> Head:
        """Return the head of the ledger, or :data:`EMPTY`."""

    @abstractmethod
    def rows(self, start: int, stop: int, *, limit: int = READ_BATCH) -> list[ChainRow]:
        """Return up to ``limit`` rows with ``start <= position <= stop``, in order."""

    @abstractmethod
    def leaves(self, start_size: int, stop_size: int) -> list[bytes]:
        """Return the leaves of tree indices ``start_size`` to ``stop_size - 1``.

        Tree index ``i`` is the row of size ``i + 1``; a missing row shortens
        the list, which a proof then refuses.
        """

    @abstractmethod
    def peaks(self, sizes: Sequence[int]) -> dict[int, bytes]:
        """Return the peak ending at each size the ledger has a row of."""

    @abstractmethod
    def checkpoints(self) -> list[Checkpoint]:
        """Return every checkpoint, smallest first."""

    @abstractmethod
    def latest_checkpoint(self) -> Checkpoint | None:
        """Return the checkpoint of the largest size, if any."""

    def iter_rows(self, start: int, stop: int) -> Iterator[ChainRow]:
        """Yield the rows with ``start <= position <= stop``, a page at a time."""
        while start <= stop:
            page = self.rows(start, stop, limit=READ_BATCH)
            if not page:
                return
            yield from page
            start = page[-1].position + 1

    def row_at(self, position: int) -> ChainRow | None:
        """Return the row at a position, if the ledger has one."""
        page = self.rows(position, position, limit=1)
        return page[0] if page else None


class MemoryLedger(Ledger):
    """Keep the ledger in memory, beside the in-memory event store."""

    def __init__(self) -> None:
        self._rows: list[ChainRow] = []
        self._by_size: dict[int, ChainRow] = {}
        self._checkpoints: dict[int, Checkpoint] = {}
        self._lock = threading.Lock()

    def head(self) -> Head:
        with self._lock:
            return head_of(self._rows[-1] if self._rows else None)

    def rows(self, start: int, stop: int, *, limit: int = READ_BATCH) -> list[ChainRow]:
        with self._lock:
            # Positions are ascending: a bisection finds the first wanted row.
            low, high = 0, len(self._rows)
            while low < high:
                middle = (low + high) // 2
                if self._rows[middle].position < start:
                    low = middle + 1
                else:
                    high = middle
            found: list[ChainRow] = []
            for index in range(low, min(low + limit, len(self._rows))):
                row = self._rows[index]
                if row.position > stop:
                    break
                found.append(row)
            return found

    def leaves(self, start_size: int, stop_size: int) -> list[bytes]:
        with self._lock:
            found: list[bytes] = []
            for size in range(start_size + 1, stop_size + 1):
                row = self._by_size.get(size)
                if row is None:
                    break
                found.append(row.leaf)
            return found

    def peaks(self, sizes: Sequence[int]) -> dict[int, bytes]:
        with self._lock:
            rows = {size: self._by_size.get(size) for size in sizes}
        return {size: row.peak for size, row in rows.items() if row is not None}

    def checkpoints(self) -> list[Checkpoint]:
        with self._lock:
            return [self._checkpoints[size] for size in sorted(self._checkpoints)]

    def latest_checkpoint(self) -> Checkpoint | None:
        with self._lock:
            if not self._checkpoints:
                return None
            return self._checkpoints[max(self._checkpoints)]

    def writer(self) -> MemoryLedgerWriter:
        """Return a writer whose rows and checkpoint count once it is committed."""
        return MemoryLedgerWriter(self)

    def _commit(
        self, rows: Sequence[ChainRow], checkpoints: Sequence[Checkpoint]
    ) -> None:
        with self._lock:
            self._rows.extend(rows)
            self._by_size.update((row.size, row) for row in rows)
            for checkpoint in checkpoints:
                self._checkpoints.setdefault(checkpoint.size, checkpoint)


class MemoryLedgerWriter(LedgerWriter):
    """Collect what one in-memory write adds, until the write commits it."""

    def __init__(self, ledger: MemoryLedger) -> None:
        self._ledger = ledger
        self._rows: list[ChainRow] = []
        self._checkpoints: list[Checkpoint] = []

    def head(self) -> Head:
        return head_of(self._rows[-1]) if self._rows else self._ledger.head()

    def peaks(self, sizes: Sequence[int]) -> dict[int, bytes]:
        pending = {row.size: row for row in self._rows}
        found: dict[int, bytes] = {}
        with self._ledger._lock:
            for size in sizes:
                row = pending.get(size) or self._ledger._by_size.get(size)
                if row is not None:
                    found[size] = row.peak
        return found

    def append(self, rows: Sequence[ChainRow]) -> None:
        self._rows.extend(rows)

    def latest_checkpoint(self) -> Checkpoint | None:
        if self._checkpoints:
            return self._checkpoints[-1]
        return self._ledger.latest_checkpoint()

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._checkpoints.append(checkpoint)

    def commit(self) -> None:
        """Make the rows and checkpoints written so far part of the ledger."""
        self._ledger._commit(self._rows, self._checkpoints)

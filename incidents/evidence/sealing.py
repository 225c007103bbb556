"""Seal events into the ledger, and sign checkpoints, in the transaction storing them.

A :class:`Sealer` is handed the events a transaction has just inserted, with
their positions, and the ledger as that transaction sees it: it hashes each
event into the chain and the tree, appends the rows, and signs a checkpoint
when one is due: as soon as the log holds an event, then whenever its size
reaches another multiple of ``checkpoint_every``, or on the first write after
the latest checkpoint is ``checkpoint_interval`` seconds old (an idle store
needs none). The transaction holds the events' write lock, so the head it reads
is the head it extends. ADR 0011 explains why.

Each write reads the ledger's head. When that head is the one this sealer
appended last (same position, size, chain value and root), the tree's peaks and
the latest checkpoint are taken from memory instead of being read again: one
query per write, not three. Any other head (another process wrote, a
transaction rolled back, rows were removed) is read in full, as on the first
write.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from incidents.evidence.errors import LedgerDamagedError
from incidents.evidence.hashing import GENESIS, link, notification_content
from incidents.evidence.ledger import ChainRow, Head
from incidents.evidence.merkle import Frontier, peak_sizes
from incidents.evidence.row_macs import LedgerKey
from incidents.evidence.signing import CheckpointSigner

if TYPE_CHECKING:
    from eventsourcing.persistence import Notification

    from incidents.evidence.ledger import Ledger, LedgerWriter
    from incidents.evidence.signing import Checkpoint

CHECKPOINT_EVERY = 1000
CHECKPOINT_INTERVAL = 3600.0
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class LedgerSettings:
    """Say where the ledger's keys are and how often checkpoints are signed.

    Without a key path, that key (the signing key, or the key of the rows'
    MACs) is made in memory for this process only: fit for tests and the
    in-memory store, never for a store that outlives it.
    ``migrate`` lets opening the store bring an older ledger up to date (a
    write); a store opened to verify it leaves it as it is.
    """

    signing_key_path: Path | None = None
    ledger_key_path: Path | None = None
    checkpoint_every: int = CHECKPOINT_EVERY
    checkpoint_interval: float = CHECKPOINT_INTERVAL
    migrate: bool = True


@dataclass(frozen=True)
class Sealed:
    """Remember what a sealer appended last: the head, its peaks, the checkpoint."""

    head: Head
    peaks: tuple[bytes, ...]
    latest: Checkpoint | None


class Sealer:
    """Extend the ledger with the events of one transaction, and sign when due."""

    def __init__(
        self,
        settings: LedgerSettings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.signer = CheckpointSigner(settings.signing_key_path)
        self.ledger_key = LedgerKey(settings.ledger_key_path)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.last: Sealed | None = None

    def forget(self) -> None:
        """Read the peaks and latest checkpoint from the ledger at the next write."""
        self.last = None

    def prepare(self) -> None:
        """Read (or create) the keys, before a transaction needs them."""
        self.signer.private_key()
        self.ledger_key.secret()

    def seal(
        self,
        writer: LedgerWriter,
        events: Sequence[Notification],
        *,
        sign: bool = True,
    ) -> Head:
        """Append a row per event, sign a checkpoint if due; return the new head."""
        head = writer.head()
        last = self.last
        if last is not None and last.head == head:
            latest, frontier = last.latest, Frontier(head.size, last.peaks)
        else:
            latest = writer.latest_checkpoint()
            if latest is not None and latest.position > head.position:
                raise LedgerDamagedError(
                    f"The ledger ends at position {head.position}, before the "
                    f"signed checkpoint of size {latest.size} (position "
                    f"{latest.position}): rows were removed; nothing is stored "
                    "until `incidents verify` has been run and the store restored."
                )
            frontier = self.frontier(writer, head.size)
        rows = self.rows_after(frontier, head, events)
        if not rows:
            return head
        writer.append(rows)
        newest = rows[-1]
        new_head = Head(newest.position, newest.size, newest.chain, newest.root)
        if sign and self._due(latest, head.size, new_head.size):
            latest = self.sign(new_head)
            writer.add_checkpoint(latest)
        # Kept for the next write, which finds it again only if this
        # transaction commits and nobody else writes in between.
        self.last = Sealed(new_head, frontier.peaks, latest)
        return new_head

    def rows_after(
        self, frontier: Frontier, head: Head, events: Sequence[Notification]
    ) -> list[ChainRow]:
        """Return the rows that ``events`` add after ``head`` (its tree's peaks)."""
        rows: list[ChainRow] = []
        chain, position = head.chain, head.position
        for event in events:
            if event.id <= position:
                raise LedgerDamagedError(
                    f"An event is stored at position {event.id}, but the ledger "
                    f"already sealed position {position}: events were removed; "
                    "nothing is stored until the store is restored."
                )
            added = link(chain, event.id, notification_content(event))
            peak = frontier.append(added.leaf)
            chain, position = added.chain, event.id
            row = ChainRow(
                position,
                frontier.size,
                added.content,
                chain,
                added.leaf,
                peak,
                frontier.root(),
            )
            rows.append(self.authenticated(row))
        return rows

    def authenticated(self, row: ChainRow) -> ChainRow:
        """Return the row with its MAC under the ledger key."""
        return replace(row, mac=self.ledger_key.mac(row))

    @staticmethod
    def frontier(writer: LedgerWriter, size: int) -> Frontier:
        """Return the tree's peaks at ``size``, read from the rows where they end."""
        sizes = peak_sizes(size)
        found = writer.peaks(sizes)
        missing = [end for end in sizes if end not in found]
        if missing:
            raise LedgerDamagedError(
                f"The ledger has no row of size {missing[0]}: rows were removed or "
                "renumbered; nothing is stored until `incidents verify` has been run."
            )
        return Frontier(size, [found[end] for end in sizes])

    def checkpoint(self, writer: LedgerWriter, ledger: Ledger) -> Checkpoint:
        """Sign and store a checkpoint of the head, unless the latest is of it."""
        head = writer.head()
        latest = writer.latest_checkpoint()
        if latest is not None and latest.size == head.size:
            if latest.format == 2:
                return latest
            # A format-1 checkpoint holds that size: sign format 2 for the
            # caller (an export, a held copy) without replacing the stored one.
            self._check_extends(ledger, latest, head)
            return self.sign(head)
        self._check_extends(ledger, latest, head)
        checkpoint = self.sign(head)
        writer.add_checkpoint(checkpoint)
        self.forget()
        return checkpoint

    def _check_extends(
        self, ledger: Ledger, latest: Checkpoint | None, head: Head
    ) -> None:
        # Before signing, check that the rows since the last checkpoint chain on
        # from its root, each with its MAC: each signature then vouches for the
        # one before it. The cost is the rows added since (O(n) only for the
        # first checkpoint).
        if latest is not None and latest.position > head.position:
            raise _refusal(latest.position, "is missing, though checkpointed")
        chain, size, start = GENESIS, 0, 1
        if latest is not None and latest.position:
            row = ledger.row_at(latest.position)
            if row is None or not latest.matches(
                row.size, row.position, row.chain, row.root
            ):
                raise _refusal(latest.position, "differs from the checkpoint")
            chain, size, start = row.chain, row.size, latest.position + 1
        for row in ledger.iter_rows(start, head.position):
            size += 1
            chain = link(chain, row.position, row.content).chain
            if (row.chain, row.size) != (chain, size):
                raise _refusal(row.position, "does not chain on from the rows before")
            if not self.ledger_key.is_valid(row):
                raise _refusal(row.position, "does not carry its own MAC")

    def sign(self, head: Head) -> Checkpoint:
        """Return a signed checkpoint of the ledger at ``head``."""
        return self.signer.sign(
            size=head.size,
            position=head.position,
            root=head.root,
            chain=head.chain,
            time=self.clock().strftime(TIME_FORMAT),
        )

    def _due(self, latest: Checkpoint | None, before: int, after: int) -> bool:
        if latest is None:
            return True  # The first as soon as the log holds an event.
        every = self.settings.checkpoint_every
        if after // every > before // every:
            return True
        age = (self.clock() - signed_time(latest.time)).total_seconds()
        return age >= self.settings.checkpoint_interval


@functools.lru_cache(maxsize=16)
def signed_time(text: str) -> datetime:
    """Return when a checkpoint was signed, from its text (read once per value)."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def _refusal(position: int, what: str) -> LedgerDamagedError:
    return LedgerDamagedError(
        f"Refusing to sign: the ledger row at position {position} {what}; "
        "run `incidents verify`."
    )

"""Seal new events into the ledger as the log grows, and sign checkpoints.

A keeper reads the events after the ledger's last row, hashes them into the
chain and appends the rows in one transaction that first takes the ledger's
write lock and re-reads its head: several keepers (threads or processes) can
run at once, and each event is sealed exactly once. The ledger's last row is the
keeper's only tracking. The keeper signs a checkpoint of the head
as soon as the ledger holds anything, then every ``checkpoint_every`` events or
``checkpoint_interval`` seconds, whichever comes first (and only when the ledger
has grown).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from incidents.evidence.errors import LedgerDamagedError, SigningKeyError
from incidents.evidence.hashing import GENESIS, link, notification_content
from incidents.evidence.ledger import ChainRow, Head, Ledger, ledger_for
from incidents.following import LogFollower

if TYPE_CHECKING:
    from incidents.application import IncidentLog
    from incidents.evidence.signing import Checkpoint, CheckpointSigner

BATCH_SIZE = 1000
CHECKPOINT_EVERY = 1000
CHECKPOINT_INTERVAL = 3600.0
logger = logging.getLogger(__name__)


class LedgerKeeper(LogFollower):
    """Follow one incident log and keep its evidence ledger sealed and signed."""

    thread_name = "evidence"

    def __init__(
        self,
        log: IncidentLog,
        ledger: Ledger | None = None,
        *,
        signer: CheckpointSigner | None = None,
        batch_size: int = BATCH_SIZE,
        checkpoint_every: int = CHECKPOINT_EVERY,
        checkpoint_interval: float = CHECKPOINT_INTERVAL,
    ) -> None:
        super().__init__(log)
        self.ledger = ledger or ledger_for(log.recorder)
        self.signer = signer
        self.batch_size = batch_size
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval = checkpoint_interval

    # Sealing.

    def seal_batch(self) -> int:
        """Seal the next batch of events in one transaction; return how many."""
        head = self.ledger.head()
        self._check_not_behind_checkpoint(head)
        notifications = self.log.recorder.select_notifications(
            head.position + 1, self.batch_size
        )
        if not notifications:
            return 0
        rows: list[ChainRow] = []
        chain, size = head.chain, head.size
        for notification in notifications:
            size += 1
            added = link(chain, notification.id, notification_content(notification))
            chain = added.chain
            rows.append(ChainRow(notification.id, size, added.content, chain))
        if not self.ledger.append(head, rows):
            return 0  # Another keeper sealed them first; the caller looks again.
        return len(rows)

    def catch_up(self) -> int:
        """Seal every event not yet in the ledger; return how many this call sealed."""
        sealed = 0
        while True:
            before = self.ledger.head().position
            batch = self.seal_batch()
            sealed += batch
            if batch == 0 and self.ledger.head().position == before:
                return sealed

    def _check_not_behind_checkpoint(self, head: Head) -> None:
        # Rows removed from the end of the ledger must not be sealed again from
        # the events: that would rebuild the memory from what it checks.
        latest = self.ledger.latest_checkpoint()
        if latest is not None and latest.position > head.position:
            raise LedgerDamagedError(
                f"The ledger ends at position {head.position}, before the signed "
                f"checkpoint of size {latest.size} (position {latest.position}): "
                "it was truncated; run `incidents verify`."
            )

    # Checkpoints.

    def checkpoint(self) -> Checkpoint:
        """Sign and store a checkpoint of the ledger's head; return the stored one."""
        if self.signer is None:
            raise SigningKeyError("No signing key is configured for checkpoints.")
        head = self.ledger.head()
        self._check_not_behind_checkpoint(head)
        self._check_extends_latest(head)
        checkpoint = self.signer.sign(
            size=head.size, position=head.position, root=head.chain
        )
        return self.ledger.add_checkpoint(checkpoint)

    def checkpoint_if_due(self, now: datetime | None = None) -> Checkpoint | None:
        """Sign a checkpoint if enough events or time went by since the last one."""
        if self.signer is None:
            return None
        head = self.ledger.head()
        latest = self.ledger.latest_checkpoint()
        if latest is None:
            due = head.size > 0  # The first as soon as there is anything to sign.
        elif head.size <= latest.size:
            due = False
        else:
            signed_at = datetime.strptime(latest.time, "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=UTC
            )
            elapsed = ((now or datetime.now(UTC)) - signed_at).total_seconds()
            due = (
                head.size - latest.size >= self.checkpoint_every
                or elapsed >= self.checkpoint_interval
            )
        return self.checkpoint() if due else None

    def _check_extends_latest(self, head: Head) -> None:
        # Before signing, check that the rows since the last checkpoint chain on
        # from its root: each signature then vouches for the one before it. The
        # cost is the rows added since (O(n) only for the first checkpoint).
        latest = self.ledger.latest_checkpoint()
        if latest is None:
            chain, size, start = GENESIS, 0, 1
        else:
            if latest.position:
                row = self.ledger.row_at(latest.position)
                if row is None or row.chain != latest.root or row.size != latest.size:
                    raise self._damaged(latest.position, "differs from the checkpoint")
            chain, size, start = latest.root, latest.size, latest.position + 1
        for row in self.ledger.iter_rows(start, head.position):
            size += 1
            chain = link(chain, row.position, row.content).chain
            if row.chain != chain or row.size != size:
                raise self._damaged(
                    row.position, "does not chain on from the rows before"
                )
        if chain != head.chain:
            raise self._damaged(head.position, "does not chain on from the rows before")

    @staticmethod
    def _damaged(position: int, what: str) -> LedgerDamagedError:
        return LedgerDamagedError(
            f"Refusing to sign: the ledger row at position {position} {what}; "
            "run `incidents verify`."
        )

    # Following the log (start, stop, run_forever: see LogFollower).

    def step(self) -> int:
        """Seal what the log holds beyond the ledger, and sign if one is due."""
        sealed = self.catch_up()
        self.checkpoint_if_due()
        return sealed

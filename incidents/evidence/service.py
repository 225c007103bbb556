"""Offer the whole of tamper evidence for one incident log behind one object."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from incidents.evidence.export import BundleSummary, export_to_path, export_to_zip
from incidents.evidence.keeper import (
    BATCH_SIZE,
    CHECKPOINT_EVERY,
    CHECKPOINT_INTERVAL,
    LedgerKeeper,
)
from incidents.evidence.ledger import Ledger, ledger_for
from incidents.evidence.signing import Checkpoint, CheckpointSigner
from incidents.evidence.verification import VerificationResult, verify_log

if TYPE_CHECKING:
    from collections.abc import Sequence

    from incidents.application import IncidentLog


class Evidence:
    """Seal, sign, verify and export the history of one incident log."""

    def __init__(
        self,
        log: IncidentLog,
        *,
        signing_key_path: Path | str,
        ledger: Ledger | None = None,
        batch_size: int = BATCH_SIZE,
        checkpoint_every: int = CHECKPOINT_EVERY,
        checkpoint_interval: float = CHECKPOINT_INTERVAL,
    ) -> None:
        self.log = log
        self.ledger = ledger or ledger_for(log.recorder)
        self.signer = CheckpointSigner(signing_key_path)
        self.keeper = LedgerKeeper(
            log,
            self.ledger,
            signer=self.signer,
            batch_size=batch_size,
            checkpoint_every=checkpoint_every,
            checkpoint_interval=checkpoint_interval,
        )

    def start(self, *, poll_interval: float = 0.5) -> None:
        """Seal new events and sign periodic checkpoints in a background thread."""
        self.keeper.start(poll_interval=poll_interval)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the background thread, after the batch in progress."""
        self.keeper.stop(timeout)

    def seal(self) -> int:
        """Seal every event not yet in the ledger; return how many."""
        return self.keeper.catch_up()

    def checkpoint(self) -> Checkpoint:
        """Seal the newest events, then sign a checkpoint of the ledger's head."""
        self.seal()
        return self.keeper.checkpoint()

    def checkpoints(self) -> list[Checkpoint]:
        """Return every stored checkpoint, oldest first."""
        return self.ledger.checkpoints()

    def verify(self, *, held: Sequence[Checkpoint] = ()) -> VerificationResult:
        """Check the events against the ledger, its checkpoints and ``held`` ones."""
        return verify_log(self.log.recorder, self.ledger, self.signer, held=held)

    def verification_report(self) -> dict[str, Any]:
        """Return ``{ok, checked, head, ...}`` (and the first damage) for the API."""
        return self.verify().as_dict()

    def export(self, path: Path | str) -> BundleSummary:
        """Write a bundle of the whole log, freshly checkpointed, to a dir or .zip."""
        checkpoint = self.checkpoint()
        return export_to_path(
            self.log.recorder, self.ledger, self.signer, checkpoint, Path(path)
        )

    def export_zip(self, file: IO[bytes]) -> BundleSummary:
        """Write a bundle of the whole log as a zip archive into an open file."""
        checkpoint = self.checkpoint()
        return export_to_zip(
            self.log.recorder, self.ledger, self.signer, checkpoint, file
        )

    def export_zip_bytes(self) -> bytes:
        """Return a bundle of the whole log as the bytes of a zip archive."""
        buffer = io.BytesIO()
        self.export_zip(buffer)
        return buffer.getvalue()

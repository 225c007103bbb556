"""Offer the whole of tamper evidence for one incident log behind one object."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from incidents.evidence.damage import VerificationResult
from incidents.evidence.export import BundleSummary, export_to_path, export_to_zip
from incidents.evidence.recorders import SealingRecorder
from incidents.evidence.verification import verify_log

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventsourcing.application import Application

    from incidents.evidence.signing import Checkpoint


class Evidence:
    """Sign, verify and export the history of one incident log.

    Its recorder seals every event as it stores it (ADR 0011): nothing here
    seals, and verifying writes nothing.
    """

    def __init__(self, log: Application[Any]) -> None:
        recorder = log.recorder
        if not isinstance(recorder, SealingRecorder):
            raise TypeError(f"{type(recorder).__name__} does not seal its writes.")
        self.log = log
        self.recorder = recorder
        self.ledger = recorder.ledger
        self.signer = recorder.sealer.signer
        self.ledger_key = recorder.sealer.ledger_key

    def checkpoint(self) -> Checkpoint:
        """Sign a checkpoint of the ledger's head (or return the one there is)."""
        return self.recorder.checkpoint_head()

    def checkpoints(self) -> list[Checkpoint]:
        """Return every stored checkpoint, oldest first."""
        return self.ledger.checkpoints()

    def verify(self, *, held: Sequence[Checkpoint] = ()) -> VerificationResult:
        """Check the events against the ledger, its checkpoints and ``held`` ones."""
        return verify_log(
            self.log.recorder, self.ledger, self.signer, self.ledger_key, held=held
        )

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

"""Raise errors about the evidence ledger, its signing key and its bundles."""

from __future__ import annotations

from incidents.errors import IncidentsError


class EvidenceError(IncidentsError):
    """Base class of the errors of the tamper-evidence machinery."""


class LedgerDamagedError(EvidenceError):
    """Refuse to extend or sign a ledger that no longer matches its checkpoints."""


class SigningKeyError(EvidenceError):
    """Report a signing key that cannot be read, created or used."""


class BundleExistsError(EvidenceError):
    """Refuse to write an evidence bundle over something that already exists."""


class EvidenceMismatchError(EvidenceError):
    """Refuse to export events that do not lead to the checkpoint being exported."""


class MissingKeyError(EvidenceError):
    """Refuse to verify without the key that checks the evidence: not damage."""

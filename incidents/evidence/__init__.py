"""Make the history verifiable: a hash chain beside the events, signed checkpoints.

- :mod:`~incidents.evidence.hashing`: a leaf per stored event, chained in order;
- :mod:`~incidents.evidence.ledger`: the chain and checkpoints tables;
- :mod:`~incidents.evidence.keeper`: seals new events and signs checkpoints;
- :mod:`~incidents.evidence.signing`: the Ed25519 key and checkpoints;
- :mod:`~incidents.evidence.verification`: checks the events against all that;
- :mod:`~incidents.evidence.export`: writes evidence bundles;
- :mod:`~incidents.evidence.bundle_verifier`: checks a bundle offline (standard
  library and ``cryptography`` only, so it can be copied out);
- :class:`Evidence`: all of it behind one object, for the composition roots.

ADR 0008 explains the design.
"""

from __future__ import annotations

from incidents.evidence.errors import (
    BundleExistsError,
    EvidenceError,
    EvidenceMismatchError,
    LedgerDamagedError,
    SigningKeyError,
)
from incidents.evidence.export import BundleSummary
from incidents.evidence.keeper import LedgerKeeper
from incidents.evidence.service import Evidence
from incidents.evidence.signing import (
    SIGNING_KEY_FILE,
    Checkpoint,
    CheckpointSigner,
    read_checkpoints,
)
from incidents.evidence.verification import Problem, VerificationResult

__all__ = [
    "SIGNING_KEY_FILE",
    "BundleExistsError",
    "BundleSummary",
    "Checkpoint",
    "CheckpointSigner",
    "Evidence",
    "EvidenceError",
    "EvidenceMismatchError",
    "LedgerDamagedError",
    "LedgerKeeper",
    "Problem",
    "SigningKeyError",
    "VerificationResult",
    "read_checkpoints",
]

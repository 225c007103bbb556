"""Make the history verifiable: a hash chain beside the events, signed checkpoints.

- :mod:`~incidents.evidence.hashing`: a leaf per stored event, chained in order;
- :mod:`~incidents.evidence.merkle`: the same leaves in an RFC 6962 Merkle tree,
  and its inclusion and consistency proofs;
- :mod:`~incidents.evidence.ledger`, :mod:`~incidents.evidence.sql_ledger`: the
  ledger's rows and checkpoints;
- :mod:`~incidents.evidence.sealing`: extends the ledger and signs checkpoints;
- :mod:`~incidents.evidence.recorders`: the event recorders that do it in the
  transaction storing the events;
- :mod:`~incidents.evidence.signing`: the Ed25519 key and checkpoints;
- :mod:`~incidents.evidence.row_macs`: the key and MAC of each ledger row;
- :mod:`~incidents.evidence.verification`: checks the events against all that;
- :mod:`~incidents.evidence.export`: writes evidence bundles;
- :mod:`~incidents.evidence.bundle_verifier`: checks a bundle offline (standard
  library and ``cryptography`` only, so it can be copied out);
- :class:`Evidence`: all of it behind one object, for the composition roots.

ADRs 0008, 0011, 0012 and 0013 explain the design.
"""

from __future__ import annotations

from incidents.evidence.damage import Problem, VerificationResult
from incidents.evidence.errors import (
    BundleExistsError,
    EvidenceError,
    EvidenceMismatchError,
    LedgerDamagedError,
    MissingKeyError,
    SigningKeyError,
)
from incidents.evidence.export import BundleSummary
from incidents.evidence.row_macs import LEDGER_KEY_FILE, LedgerKey
from incidents.evidence.sealing import LedgerSettings
from incidents.evidence.service import Evidence
from incidents.evidence.signing import (
    SIGNING_KEY_FILE,
    Checkpoint,
    CheckpointSigner,
    read_checkpoints,
)

__all__ = [
    "LEDGER_KEY_FILE",
    "SIGNING_KEY_FILE",
    "BundleExistsError",
    "BundleSummary",
    "Checkpoint",
    "CheckpointSigner",
    "Evidence",
    "EvidenceError",
    "EvidenceMismatchError",
    "LedgerDamagedError",
    "LedgerKey",
    "LedgerSettings",
    "MissingKeyError",
    "Problem",
    "SigningKeyError",
    "VerificationResult",
    "read_checkpoints",
]

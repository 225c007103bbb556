"""Write the proof files an auditor checks alone: inclusion of an incident, consistency.

An inclusion proof file gives, for every event of one incident, its position,
its tree index (its row's size - 1), its leaf hash and content hash, and its
RFC 6962 audit path to the root a signed checkpoint covering them all names. A
consistency proof file gives two signed checkpoints and the RFC 6962 proof that
the newer tree extends the older. Both have the shapes ``bundle_verifier.py``'s
``verify_proof_file`` checks (ADR 0012).

Proofs read subtree hashes through :class:`~incidents.evidence.merkle.SubtreeHasher`
over the peaks the ledger keeps (:class:`~incidents.evidence.merkle.PeakNodes`),
so a proof costs O(log n) row reads and a few small batches of leaves, never a
pass over the log. Only a checkpoint that signs the tree root can anchor a proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from incidents.evidence import merkle
from incidents.evidence.errors import EvidenceError
from incidents.evidence.sql_ledger import SQLLedger

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder

    from incidents.evidence.ledger import ChainRow, Ledger
    from incidents.evidence.service import Evidence
    from incidents.evidence.signing import Checkpoint

INCLUSION_FORMAT = "incidents-inclusion-proof/1"
CONSISTENCY_FORMAT = "incidents-consistency-proof/1"
# Leaves read at once under a subtree that is not a stored peak: 2**LEAF_BATCH.
LEAF_BATCH = 6


class ProofError(EvidenceError):
    """Say why no proof can be written (unknown incident, no tree checkpoint)."""


class TreeReads(Protocol):
    """Read the ledger by tree index: leaves, and the peaks ending at sizes."""

    def leaves(self, start: int, stop: int) -> list[bytes]:
        """Return the leaf hashes of tree indexes [start, stop), in order."""

    def peaks(self, sizes: Sequence[int]) -> dict[int, bytes]:
        """Return the peak stored in the row of each size the ledger has."""


class SQLTreeReads:
    """Read leaves and peaks by size from the ledger's SQL table (size is indexed)."""

    def __init__(self, ledger: SQLLedger) -> None:
        self.ledger = ledger

    def leaves(self, start: int, stop: int) -> list[bytes]:
        with self.ledger.reading() as cursor:
            cursor.execute(
                f"SELECT leaf FROM {self.ledger.chain_table} "  # noqa: S608
                "WHERE size > ? AND size <= ? ORDER BY size",
                (start, stop),
            )
            return [bytes(row[0]) for row in cursor.fetchall()]

    def peaks(self, sizes: Sequence[int]) -> dict[int, bytes]:
        if not sizes:
            return {}
        marks = ", ".join("?" * len(sizes))
        with self.ledger.reading() as cursor:
            cursor.execute(
                f"SELECT size, peak FROM {self.ledger.chain_table} "  # noqa: S608
                f"WHERE size IN ({marks})",
                list(sizes),
            )
            return {int(size): bytes(peak) for size, peak in cursor.fetchall()}


class RowTreeReads:
    """Read leaves and peaks from any ledger's rows (fit for small in-memory ones)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def _rows(self) -> list[ChainRow]:
        return list(self.ledger.iter_rows(1, self.ledger.head().position))

    def leaves(self, start: int, stop: int) -> list[bytes]:
        return [row.leaf for row in self._rows()[start:stop]]

    def peaks(self, sizes: Sequence[int]) -> dict[int, bytes]:
        by_size = {row.size: row.peak for row in self._rows()}
        return {size: by_size[size] for size in sizes if size in by_size}


def tree_reads(ledger: Ledger) -> TreeReads:
    """Return the reader by tree index that suits the ledger."""
    if isinstance(ledger, SQLLedger):
        return SQLTreeReads(ledger)
    return RowTreeReads(ledger)


def event_positions(recorder: ApplicationRecorder, aggregate_id: UUID) -> list[int]:
    """Return the positions of one aggregate's stored events, by version."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT rowid FROM {recorder.events_table_name} "  # noqa: S608
                "WHERE originator_id = ? ORDER BY originator_version",
                (aggregate_id.hex,),  # As eventsourcing stores a UUID.
            )
            return [int(row[0]) for row in cursor.fetchall()]
    if isinstance(recorder, PostgresApplicationRecorder):
        table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT notification_id FROM {table} "  # noqa: S608
                "WHERE originator_id = %s ORDER BY originator_version",
                (aggregate_id,),
            )
            return [int(row["notification_id"]) for row in cursor.fetchall()]
    if isinstance(recorder, POPOApplicationRecorder):
        index = recorder._stored_events_index.get(str(aggregate_id), {})
        return [index[version] + 1 for version in sorted(index)]
    raise TypeError(f"{type(recorder).__name__} is not a store proofs can read.")


class Prover:
    """Write inclusion and consistency proof files for one incident log."""

    def __init__(self, evidence: Evidence, reads: TreeReads | None = None) -> None:
        self.evidence = evidence
        self.ledger = evidence.ledger
        self.reads = reads or tree_reads(self.ledger)
        cache = merkle.PeakNodes(self.reads.peaks)
        self.subtree = merkle.SubtreeHasher(
            self.reads.leaves, cache, batch_level=LEAF_BATCH
        )

    def signs_tree_root(self, checkpoint: Checkpoint) -> bool:
        """Tell whether a checkpoint signs the tree root at its size (format 2)."""
        if getattr(checkpoint, "format", 2) < 2:  # Format 1 signs the chain value.
            return False
        row = self.ledger.row_at(checkpoint.position)
        return row is not None and (row.size, row.root) == (
            checkpoint.size,
            checkpoint.root,
        )

    def anchor(self, position: int = 0) -> Checkpoint:
        """Return the newest tree checkpoint covering ``position``, signing if none."""
        for checkpoint in reversed(self.ledger.checkpoints()):
            if checkpoint.position < position:
                break
            if self.signs_tree_root(checkpoint):
                return checkpoint
        signed = self.evidence.checkpoint()
        if signed.position < position or not self.signs_tree_root(signed):
            raise ProofError(
                f"No signed checkpoint names the tree root at or after position "
                f"{position}: checkpoints of format 1 sign the chain value only."
            )
        return signed

    def inclusion(self, incident_id: UUID) -> dict[str, Any]:
        """Return the inclusion proof file of every event of one incident."""
        positions = event_positions(self.evidence.log.recorder, incident_id)
        if not positions:
            raise ProofError(f"No event of incident {incident_id} is stored.")
        rows = [self.ledger.row_at(position) for position in positions]
        missing = [at for at, row in zip(positions, rows, strict=True) if row is None]
        if missing:
            raise ProofError(
                f"The event at position {missing[0]} has no ledger row: run "
                "`incidents verify`."
            )
        checkpoint = self.anchor(positions[-1])
        leaves = []
        for row in rows:
            assert row is not None  # noqa: S101 (checked above)
            path = merkle.inclusion_proof(row.size - 1, checkpoint.size, self.subtree)
            leaves.append(
                {
                    "position": row.position,
                    "index": row.size - 1,
                    "hash": row.leaf.hex(),
                    "content": row.content.hex(),
                    "audit_path": [node.hex() for node in path],
                }
            )
        return {
            "format": INCLUSION_FORMAT,
            "incident_id": str(incident_id),
            "checkpoint": checkpoint.to_json(),
            "leaves": leaves,
            "public_key": self.evidence.signer.public_key_pem().decode("ascii"),
        }

    def _check_held(self, held: Checkpoint) -> None:
        """Refuse a held checkpoint no proof can start from."""
        signer = self.evidence.signer
        if held.key_id != signer.key_id:
            raise ProofError(
                f"The held checkpoint (size {held.size}) was signed by key "
                f"{held.key_id}, which this store does not know (its key is "
                f"{signer.key_id})."
            )
        if not signer.is_valid(held):
            raise ProofError(
                f"The held checkpoint (size {held.size}) does not match its "
                "signature: it was changed after it was signed."
            )
        if getattr(held, "format", 2) < 2:
            raise ProofError(
                f"The held checkpoint (size {held.size}) is of format 1: it signs "
                "the chain value, not the tree root a consistency proof starts "
                "from (check it with `incidents verify --checkpoint`)."
            )

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """Return the RFC 6962 proof that the first ``new_size`` leaves extend old."""
        return merkle.consistency_proof(old_size, new_size, self.subtree)

    def extends(self, held: Checkpoint, new: Checkpoint) -> bool:
        """Tell whether the log of ``new`` extends the tree root ``held`` signs."""
        if held.size > new.size:
            return False
        proof = self.consistency_proof(held.size, new.size)
        return merkle.verify_consistency(
            held.size, new.size, held.root, new.root, proof
        )

    def consistency(self, held: Checkpoint) -> dict[str, Any]:
        """Return the file proving a tree checkpoint of the head extends ``held``.

        Raise :class:`ProofError`, writing no file, when ``held`` is not a
        valid tree checkpoint of this store's key, or the log no longer extends
        it (cut shorter than it, or rewritten up to it).
        """
        self._check_held(held)
        head = self.ledger.head()
        if held.size > head.size:
            raise ProofError(
                f"The log holds {head.size} events, fewer than the {held.size} of "
                f"the held checkpoint (truncated): no proof that it extends it."
            )
        new = self.anchor(head.position)
        if not self.extends(held, new):
            raise ProofError(
                f"The log of {new.size} events does not extend the held checkpoint "
                f"of size {held.size} (checkpoint_mismatch at position "
                f"{held.position}): the history up to it was rewritten, or the "
                "checkpoint is not this log's."
            )
        return {
            "format": CONSISTENCY_FORMAT,
            "old": held.to_json(),
            "new": new.to_json(),
            "proof": [
                node.hex() for node in self.consistency_proof(held.size, new.size)
            ],
            "public_key": self.evidence.signer.public_key_pem().decode("ascii"),
        }

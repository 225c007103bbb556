"""Check the stored events against the ledger and every signed checkpoint.

One pass reads the events and the ledger side by side in position order, a page
at a time (memory does not grow with the log), recomputes each event's content
hash, leaf, chain value and RFC 6962 peak, and compares them with the ledger's
row and with any checkpoint taken at that position (the chain value for a
format-1 checkpoint, the tree's root and the chain value for format 2). It
stops at the first disagreement and says what kind of damage explains it (the
reasons DESIGN.md names):

``changed``             an event differs from the one sealed at its position;
``deleted``             a sealed event is missing (a gap, or later ones moved up);
``inserted``            an event the ledger never sealed, among sealed ones or
                        after them: every write seals its own (ADR 0011);
``reordered``           events exchanged positions, or one was moved;
``truncated``           the newest sealed (or checkpointed) events are gone;
``ledger_forged``       the ledger itself was altered or truncated, or a row
                        does not carry its own MAC (ADR 0013);
``checkpoint_mismatch`` events and ledger agree but no longer lead to a signed
                        root, or a checkpoint's signature does not verify.

It reads and never writes. Without the signing key (when there are
checkpoints) or the ledger key (when there are rows), it raises
:class:`MissingKeyError`: a missing key is not damage.

Telling these apart after the first bad position may cost a scan of the rest of
the ledger: that happens once, on failure only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from incidents.evidence.damage import Problem, VerificationResult
from incidents.evidence.errors import MissingKeyError
from incidents.evidence.hashing import (
    GENESIS,
    leaf_hash,
    next_chain,
    notification_content,
)
from incidents.evidence.log_reading import Lookahead, iter_notifications
from incidents.evidence.merkle import Frontier

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder, Notification

    from incidents.evidence.ledger import ChainRow, Head, Ledger
    from incidents.evidence.row_macs import LedgerKey
    from incidents.evidence.signing import Checkpoint, CheckpointSigner


def verify_log(
    recorder: ApplicationRecorder,
    ledger: Ledger,
    signer: CheckpointSigner | None,
    ledger_key: LedgerKey | None,
    *,
    held: Sequence[Checkpoint] = (),
) -> VerificationResult:
    """Recompute every sealed event's hashes and MAC, compare them with the ledger."""
    problems: list[Problem] = []
    # Checkpoints are read before the head: a checkpoint is only ever taken at
    # the head, so none of those read can lie beyond it unless rows were removed.
    trusted = _trusted_checkpoints(
        [*ledger.checkpoints(), *held], signer, problems, held_count=len(held)
    )
    head = ledger.head()
    key = _ledger_key(ledger_key, head)
    stop = max([head.position, *(checkpoint.position for checkpoint in trusted)])
    check = _Pass(recorder, ledger, key, head.position, stop, trusted)
    check.run()
    if check.problem is not None:
        problems.append(check.problem)
    elif (after := _first_after(recorder, stop)) is not None:
        problems.append(
            Problem(
                "inserted",
                after,
                f"The event at position {after} is after the ledger's last row "
                f"(position {head.position}): no write of the service stored it.",
            )
        )
    problems.sort(key=lambda problem: problem.position or 0)
    return VerificationResult(
        checked=check.count,
        position=check.position,
        head=check.chain,
        checkpoints=len(trusted),
        problems=tuple(problems),
    )


def _ledger_key(ledger_key: LedgerKey | None, head: Head) -> LedgerKey | None:
    if head.size and (ledger_key is None or not ledger_key.exists()):
        raise _missing_key(
            f"The MACs of {head.size} ledger rows", "ledger key", ledger_key
        )
    return ledger_key


def _missing_key(
    what: str, name: str, key: LedgerKey | CheckpointSigner | None
) -> MissingKeyError:
    where = (
        f"no {name} is configured"
        if key is None
        else f"the {name} {key.key_path} is missing"
    )
    return MissingKeyError(f"{what} cannot be checked: {where}.")


def _first_after(recorder: ApplicationRecorder, position: int) -> int | None:
    found = recorder.select_notifications(position + 1, 1)
    return found[0].id if found else None


def _trusted_checkpoints(
    checkpoints: Sequence[Checkpoint],
    signer: CheckpointSigner | None,
    problems: list[Problem],
    *,
    held_count: int,
) -> list[Checkpoint]:
    if not checkpoints:
        return []
    stored_count = len(checkpoints) - held_count
    if signer is None or not signer.exists():
        raise _missing_key(
            f"{len(checkpoints)} signed checkpoints", "signing key", signer
        )
    trusted: dict[tuple[int, int, bytes], Checkpoint] = {}
    for index, checkpoint in enumerate(checkpoints):
        origin = "stored" if index < stored_count else "held"
        if signer.is_valid(checkpoint):
            trusted.setdefault(
                (checkpoint.position, checkpoint.size, checkpoint.root), checkpoint
            )
            continue
        problems.append(
            Problem(
                "checkpoint_mismatch",
                checkpoint.position,
                f"The {origin} checkpoint of size {checkpoint.size} "
                f"(position {checkpoint.position}, {checkpoint.time}, key "
                f"{checkpoint.key_id}) is not validly signed by key "
                f"{signer.key_id}: it was forged or altered.",
            )
        )
    return sorted(trusted.values(), key=lambda checkpoint: checkpoint.position)


class _Pass:
    # One walk over the events and the ledger, side by side.

    def __init__(
        self,
        recorder: ApplicationRecorder,
        ledger: Ledger,
        ledger_key: LedgerKey | None,
        sealed_to: int,
        stop: int,
        checkpoints: list[Checkpoint],
    ) -> None:
        self.recorder = recorder
        self.ledger = ledger
        self.ledger_key = ledger_key
        self.sealed_to = sealed_to
        self.events = Lookahead(iter_notifications(recorder, 1, stop))
        self.rows = Lookahead(ledger.iter_rows(1, sealed_to))
        self.checkpoints = deque(checkpoints)
        self.chain = GENESIS
        self.tree = Frontier()
        self.count = 0
        self.position = 0
        self.last_good_checkpoint = 0
        self.problem: Problem | None = None

    def run(self) -> None:
        self._check_checkpoints()  # A checkpoint of the empty log, if any.
        while self.problem is None:
            event, row = self.events.current, self.rows.current
            if event is None:
                if row is None:
                    break
                self.problem = self._missing(row, None)
            elif row is None or event.id < row.position:
                if event.id <= self.sealed_to:
                    self.problem = self._unsealed(event, row)
                else:  # Past the ledger's end: only checkpoints cover it.
                    self._extend(event.id, notification_content(event))
                    self._check_checkpoints()
                    self.events.advance()
            elif row.position < event.id:
                self.problem = self._missing(row, event)
            else:
                self._compare(event, row)
        if self.problem is None:
            self.problem = self._after_the_end()

    def _compare(self, event: Notification, row: ChainRow) -> None:
        content = notification_content(event)
        if content != row.content:
            self.problem = self._classify(event, content, row)
            return
        leaf, peak = self._extend(event.id, content)
        if (row.chain, row.size, row.leaf, row.peak) != (
            self.chain,
            self.count,
            leaf,
            peak,
        ):
            self.problem = Problem(
                "ledger_forged",
                row.position,
                f"The ledger's row at position {row.position} does not chain on "
                "from the rows before it, or its tree hashes are not its own: the "
                "ledger was altered.",
            )
            return
        if self.ledger_key is not None and not self.ledger_key.is_valid(row):
            self.problem = Problem(
                "ledger_forged",
                row.position,
                f"The ledger's row at position {row.position} does not carry its "
                "own MAC: it was written or rewritten by someone without the "
                "ledger key.",
            )
            return
        self._check_checkpoints()
        self.events.advance()
        self.rows.advance()

    def _extend(self, position: int, content: bytes) -> tuple[bytes, bytes]:
        # Return the event's leaf and the tree's peak that now ends at it.
        leaf = leaf_hash(position, content)
        self.count += 1
        self.chain = next_chain(self.chain, leaf)
        self.position = position
        return leaf, self.tree.append(leaf)

    def _check_checkpoints(self) -> None:
        while self.problem is None and self.checkpoints:
            checkpoint = self.checkpoints[0]
            if checkpoint.position > self.position:
                return
            self.checkpoints.popleft()
            root = self.tree.root()
            if checkpoint.matches(self.count, self.position, self.chain, root):
                self.last_good_checkpoint = self.position
                continue
            self.problem = Problem(
                "checkpoint_mismatch",
                self.last_good_checkpoint + 1,
                f"The events up to position {checkpoint.position} no longer lead to "
                f"the root signed in the checkpoint of size {checkpoint.size} "
                f"({checkpoint.time}): history between positions "
                f"{self.last_good_checkpoint + 1} and {checkpoint.position} was "
                "rewritten, ledger included.",
            )

    def _missing(self, row: ChainRow, event: Notification | None) -> Problem:
        if event is None:
            return Problem(
                "truncated",
                row.position,
                f"The log ends at position {self.position}, but the ledger sealed "
                f"events up to position {self.sealed_to}: the newest events, from "
                f"position {row.position}, were removed.",
            )
        return Problem(
            "deleted",
            row.position,
            f"The event sealed at position {row.position} is missing (the next "
            f"stored event is at position {event.id}): it was deleted.",
        )

    def _unsealed(self, event: Notification, row: ChainRow | None) -> Problem:
        if row is not None and row.size != self.count + 1:
            return Problem(
                "ledger_forged",
                event.id,
                f"The ledger has no row for the event at position {event.id}, "
                "and its sizes skip one: a ledger row was deleted.",
            )
        return Problem(
            "inserted",
            event.id,
            f"The event at position {event.id} was never sealed in the "
            "ledger, which goes on past it: it was inserted.",
        )

    def _classify(self, event: Notification, content: bytes, row: ChainRow) -> Problem:
        position = event.id
        next_event = self.events.following()
        next_row = self.rows.following()
        next_content = None if next_event is None else notification_content(next_event)
        if next_row is not None and content == next_row.content:
            if next_content == row.content:
                return self._swapped(position, next_row.position)
            return Problem(
                "deleted",
                position,
                f"The event sealed at position {position} is missing: the events "
                "after it moved up one place.",
            )
        if next_content is not None and next_content == row.content:
            return Problem(
                "inserted",
                position,
                f"An event the ledger never sealed was inserted at position "
                f"{position}: the events after it moved down one place.",
            )
        elsewhere = self._sealed_position_of(content, after=position)
        if elsewhere is not None:
            there = self.recorder.select_notifications(elsewhere, 1, stop=elsewhere)
            if there and notification_content(there[0]) == row.content:
                return self._swapped(position, elsewhere)
            return Problem(
                "reordered",
                position,
                f"The event stored at position {position} was sealed at position "
                f"{elsewhere}: events were moved.",
            )
        return Problem(
            "changed",
            position,
            f"The event stored at position {position} differs from the one sealed "
            "there: its aggregate id, version, topic or stored bytes were changed.",
        )

    @staticmethod
    def _swapped(first: int, second: int) -> Problem:
        return Problem(
            "reordered",
            first,
            f"The events at positions {first} and {second} were swapped.",
        )

    def _sealed_position_of(self, content: bytes, *, after: int) -> int | None:
        for row in self.ledger.iter_rows(after + 1, self.sealed_to):
            if row.content == content:
                return row.position
        return None

    def _after_the_end(self) -> Problem | None:
        if self.checkpoints:
            checkpoint = self.checkpoints[0]
            return Problem(
                "truncated",
                self.position + 1,
                f"The log ends at position {self.position} ({self.count} events), "
                f"but the checkpoint of size {checkpoint.size} signed at "
                f"{checkpoint.time} covers events up to position "
                f"{checkpoint.position}: the newest events were removed, ledger "
                "included.",
            )
        if self.position > self.sealed_to:
            return Problem(
                "ledger_forged",
                self.sealed_to + 1,
                f"The ledger ends at position {self.sealed_to}, but a signed "
                f"checkpoint covers events up to position {self.position}: the "
                "ledger was truncated (the events still match the checkpoint).",
            )
        return None

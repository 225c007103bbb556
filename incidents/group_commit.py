"""Store the events of saves that arrive together in one transaction (ADR 0018).

A save hands its events to :class:`GroupCommit` and waits. Whichever waiting
save takes the commit lock first leads: it takes every save queued by then (up
to :data:`MOST_SAVES`), inserts all their events in one transaction of the
recorder (which seals them, in order, in that same transaction), and tells each
save its positions. Saves that arrive while it commits queue up for the next
leader. One writer alone is a batch of one: no wait is ever added.

Each save returns only once its own events are committed. When a batch fails
(one save lost a race on its aggregate's version, a report already stored, the
database refused the transaction), nothing of it was stored: each save of the
batch is then inserted alone, and answered with its own positions or its own
error, exactly as without grouping. Except when the database did not answer
at all (the recorder tried for about 2 s): the batch, and the saves queued
behind it, are then all answered with that refusal at once, rather than each
waiting for its own 2 s in turn.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import AggregateRecorder

from incidents.persistence import OPERATIONAL_ERRORS

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.persistence import StoredEvent

# The most saves one transaction takes: a bound on what one failure retries.
MOST_SAVES = 64


class AbandonedSaveError(RuntimeError):
    """Say that the save's batch was interrupted before it was tried."""


@dataclass(eq=False)
class _Save:
    events: Sequence[StoredEvent]
    positions: Sequence[int] | None = None
    error: BaseException | None = None
    done: bool = False


class GroupCommit(AggregateRecorder):
    """Insert the events of concurrent saves in one transaction, each answered alone."""

    def __init__(self, recorder: AggregateRecorder, *, most: int = MOST_SAVES) -> None:
        self.recorder = recorder
        self.most = most
        self._queue: list[_Save] = []
        self._queue_lock = threading.Lock()
        self._committing = threading.Lock()
        self._leader: int | None = None  # The thread committing, if any.
        # How many transactions and saves went through, for benchmarks and tests.
        self.transactions = 0
        self.saves = 0

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if self._leader == threading.get_ident():
            # Saved from within a commit (a recorder's own hook): that thread
            # holds the lock already, and its batch waits for this save.
            return self.recorder.insert_events(stored_events, **kwargs)
        if any(value is not None for value in kwargs.values()):
            # Tracking records and the like belong to one save's transaction.
            with self._committing:
                self.transactions += 1
                self.saves += 1
                return self.recorder.insert_events(stored_events, **kwargs)
        save = _Save(stored_events)
        with self._queue_lock:
            self._queue.append(save)
        while not save.done:
            with self._committing:
                if save.done:
                    break
                with self._queue_lock:
                    batch = self._queue[: self.most]
                    del self._queue[: self.most]
                self._leader = threading.get_ident()
                try:
                    self._commit(batch)
                finally:
                    self._leader = None
        if save.error is not None:
            raise save.error
        return save.positions

    def waiting(self) -> int:
        """Return how many saves wait for the next commit."""
        with self._queue_lock:
            return len(self._queue)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Hold every commit back while inside: saves queue up meanwhile."""
        with self._committing:
            yield

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return self.recorder.select_events(
            originator_id, gt=gt, lte=lte, desc=desc, limit=limit
        )

    def _commit(self, batch: list[_Save]) -> None:
        try:
            if len(batch) == 1:
                self._one_by_one(batch)
                return
            events = [event for save in batch for event in save.events]
            self.transactions += 1
            try:
                positions = self.recorder.insert_events(events)
            except OPERATIONAL_ERRORS as error:
                self._refuse_all(batch, error)
                return
            except Exception:  # Each save is retried alone, below.
                self._one_by_one(batch)
                return
            self.saves += len(batch)
            start = 0
            for save in batch:
                end = start + len(save.events)
                save.positions = None if positions is None else positions[start:end]
                save.done = True
                start = end
        finally:
            # Whatever stopped this thread (never a database error: those are
            # each save's answer), no save of its batch waits forever.
            for save in batch:
                if not save.done:
                    save.error = AbandonedSaveError("The save was not tried.")
                    save.done = True

    def _one_by_one(self, batch: list[_Save]) -> None:
        """Insert each save alone, until the database stops answering."""
        for number, save in enumerate(batch):
            self.transactions += 1
            self.saves += 1
            try:
                save.positions = self.recorder.insert_events(save.events)
            except OPERATIONAL_ERRORS as error:
                self._refuse_all(batch[number:], error)
                return
            except Exception as error:  # The save's own answer.
                save.error = error
            save.done = True

    def _refuse_all(self, batch: list[_Save], error: BaseException) -> None:
        """Answer saves, and every save queued behind them, with the database's refusal.

        The recorder already tried again for about 2 s: trying each save alone,
        then each queued batch, would make the last one wait that long again
        and again. They are answered at once (503: send again), and the next
        save tries the database afresh. Each gets an error of its own (raised
        in its own thread), caused by the one the database gave.
        """
        with self._queue_lock:
            waiting = self._queue[:]
            del self._queue[:]
        for save in [*batch, *waiting]:
            save.error = _copy_of(error)
            save.done = True


def _copy_of(error: BaseException) -> BaseException:
    """Return an error like ``error`` (same type and message), caused by it."""
    try:
        copy = type(error)(*error.args)
    except Exception:  # A type that will not be built again: share it.
        return error
    copy.__cause__ = error
    return copy

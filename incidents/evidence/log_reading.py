"""Read the stored events in position order, a page at a time, and look ahead."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder, Notification

T = TypeVar("T")
READ_BATCH = 1000


class Lookahead(Generic[T]):
    # ``current`` is the next item (None at the end); ``following`` peeks past it.

    def __init__(self, items: Iterable[T]) -> None:
        self._items = iter(items)
        self._buffer: deque[T] = deque()
        self.current: T | None = next(self._items, None)

    def advance(self) -> None:
        self.current = (
            self._buffer.popleft() if self._buffer else next(self._items, None)
        )

    def following(self) -> T | None:
        if not self._buffer:
            item = next(self._items, None)
            if item is None:
                return None
            self._buffer.append(item)
        return self._buffer[0]


# Told how many events each page held, while a command that reads the whole
# log (verify, export) runs: the command line shows it as progress.
reading_progress: ContextVar[Callable[[int], None] | None] = ContextVar(
    "reading_progress", default=None
)


def iter_notifications(
    recorder: ApplicationRecorder, start: int, stop: int
) -> Iterator[Notification]:
    """Yield the stored events with ``start <= position <= stop``, a page at a time."""
    progress = reading_progress.get()
    while start <= stop:
        page = recorder.select_notifications(start, READ_BATCH, stop=stop)
        if not page:
            return
        yield from page
        if progress is not None:
            progress(len(page))
        start = page[-1].id + 1

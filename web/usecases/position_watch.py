"""Let a write wait for the read models another process keeps (read-your-writes).

When ``incidents project`` keeps the read models (``INCIDENTS_FOLLOW_LOG=0``),
nothing in a web process is told when they move: it must look. One request at
a time looks, at most once every few milliseconds, on behalf of every request
of the process that waits; the others sleep until it has looked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class PositionWatch:
    """Share the looks at a position between the threads that wait for it."""

    def __init__(self, read_position: Callable[[], int], *, interval: float) -> None:
        self._read_position = read_position
        self._interval = interval
        self._changed = threading.Condition()
        self._known = 0
        self._looking = False
        self._next_look = 0.0

    def wait(self, position: int, timeout: float) -> bool:
        """Wait until the position is reached; tell whether it was in time."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._known < position:
                now = time.monotonic()
                if now >= deadline:
                    return False
                if self._looking or now < self._next_look:
                    until = deadline if self._looking else self._next_look
                    self._changed.wait(min(until, deadline) - now)
                    continue
                self._looking = True
                self._changed.release()
                try:
                    known = self._read_position()
                finally:
                    self._changed.acquire()
                    self._looking = False
                    self._next_look = time.monotonic() + self._interval
                    self._changed.notify_all()
                self._known = max(self._known, known)
            return True

"""Slow down password guessing: a few refused sign-ins per address, then wait.

Only refused attempts count, in a sliding window: after ``limit`` refusals
from one address within ``window`` seconds, the next attempt is answered 429
until the oldest of them leaves the window. The counts live in this process's
memory, one throttle per application, and cost nothing to requests other than
sign-in (ADR 0010 says what that means with several processes).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

LIMIT = 5
WINDOW_SECONDS = 60.0


class SignInThrottle:
    """Count refused sign-ins per address, and say how long to wait."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._refusals: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Return the seconds to wait before trying again, or None to go on."""
        with self._lock:
            refusals = self._recent(address)
            if len(refusals) < self.limit:
                return None
            return max(1, math.ceil(refusals[0] + self.window - self._clock()))

    def refused(self, address: str) -> None:
        """Count a refused attempt from the address."""
        with self._lock:
            self._recent(address).append(self._clock())
            self._forget_the_quiet()

    def _recent(self, address: str) -> deque[float]:
        refusals = self._refusals.setdefault(address, deque())
        cutoff = self._clock() - self.window
        while refusals and refusals[0] <= cutoff:
            refusals.popleft()
        return refusals

    def _forget_the_quiet(self) -> None:
        # Memory stays bounded by the refusals of the last window.
        cutoff = self._clock() - self.window
        quiet = [
            address
            for address, refusals in self._refusals.items()
            if not refusals or refusals[-1] <= cutoff
        ]
        for address in quiet:
            del self._refusals[address]

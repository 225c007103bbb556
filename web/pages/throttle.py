"""Slow down password guessing: a few refused sign-ins per address, then wait.

Only refused attempts count, in a sliding window: after ``limit`` refusals
from one address within ``window`` seconds, the next attempt is answered 429
until the oldest of them leaves the window. The counting is the `limits`
library's moving window, asked by the sign-in view alone, so other requests
pay nothing. The counts live in a table beside the events
(:mod:`.throttle_storage`), which every process on one database shares, or in
the process's memory for the in-memory store (ADR 0010).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from projections.database import Database
from web.pages.throttle_storage import TableStorage

if TYPE_CHECKING:
    from incidents.application import IncidentLog

LIMIT = 5
WINDOW_SECONDS = 60


class SignInThrottle:
    """Count refused sign-ins per address, and say how long to wait."""

    def __init__(
        self,
        storage: Storage,
        limit: int = LIMIT,
        window: int = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window = window
        self._limiter = MovingWindowRateLimiter(storage)
        self._refusals = RateLimitItemPerSecond(limit, window, namespace="sign-in")
        self._clock = clock

    def retry_after(self, address: str) -> int | None:
        """Return the seconds to wait before trying again, or None to go on."""
        if self._limiter.test(self._refusals, address):
            return None
        oldest_leaves = self._limiter.get_window_stats(self._refusals, address)[0]
        return max(1, math.ceil(oldest_leaves - self._clock()))

    def refused(self, address: str) -> None:
        """Count a refused attempt from the address."""
        self._limiter.hit(self._refusals, address)


def throttle_for(log: IncidentLog) -> SignInThrottle:
    """Return a throttle counting in the log's database, or in memory for memory://."""
    database = Database(log)
    if database.in_memory:
        return SignInThrottle(MemoryStorage())
    return SignInThrottle(TableStorage(database))

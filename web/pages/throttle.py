"""Slow down password guessing: a few refused sign-ins per address, then wait.

Only refused attempts count, in a sliding window: after ``limit`` refusals
from one address within ``window`` seconds, the next attempt is answered 429
until the oldest of them leaves the window. Each account name is counted too,
with a wider allowance (``ACCOUNT_LIMIT`` in ``ACCOUNT_WINDOW_SECONDS``), so that
guesses spread over many addresses still slow down, while one visitor's wrong
guesses never stop another visitor, nor the right password from elsewhere.
The counting is the `limits` library's moving window, asked by the sign-in
view alone, so other requests pay nothing. The counts live in a table beside the events
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
ACCOUNT_LIMIT = 20
ACCOUNT_WINDOW_SECONDS = 15 * 60
ACCOUNT_KEY_LENGTH = 64  # Longer names are counted by their first characters.


class SignInThrottle:
    """Count refused sign-ins per address and per account, and say how long to wait."""

    def __init__(
        self,
        storage: Storage,
        limit: int = LIMIT,
        window: int = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
        *,
        account_limit: int = ACCOUNT_LIMIT,
        account_window: int = ACCOUNT_WINDOW_SECONDS,
    ) -> None:
        self.limit = limit
        self.window = window
        self._limiter = MovingWindowRateLimiter(storage)
        self._refusals = RateLimitItemPerSecond(limit, window, namespace="sign-in")
        self._account_refusals = RateLimitItemPerSecond(
            account_limit, account_window, namespace="sign-in-account"
        )
        self._clock = clock

    def retry_after(self, address: str, account: str | None = None) -> int | None:
        """Return the seconds to wait before trying again, or None to go on."""
        waits = [self._wait(self._refusals, address)]
        if account:
            waits.append(self._wait(self._account_refusals, _account_key(account)))
        longest = max((wait for wait in waits if wait is not None), default=None)
        return longest

    def refused(self, address: str, account: str | None = None) -> None:
        """Count a refused attempt from the address, for the account named."""
        self._limiter.hit(self._refusals, address)
        if account:
            self._limiter.hit(self._account_refusals, _account_key(account))

    def _wait(self, item: RateLimitItemPerSecond, key: str) -> int | None:
        if self._limiter.test(item, key):
            return None
        oldest_leaves = self._limiter.get_window_stats(item, key)[0]
        return max(1, math.ceil(oldest_leaves - self._clock()))


def _account_key(account: str) -> str:
    return account.strip().casefold()[:ACCOUNT_KEY_LENGTH]


def throttle_for(log: IncidentLog) -> SignInThrottle:
    """Return a throttle counting in the log's database, or in memory for memory://."""
    database = Database(log)
    if database.in_memory:
        return SignInThrottle(MemoryStorage())
    return SignInThrottle(TableStorage(database))

"""The throttle's table storage counts hits atomically, shared by every pool.

Hits race from threads that each use one of two logs (two connection pools, as
two processes would) on one SQLite file or one PostgreSQL database: exactly
the limit gets through, whatever the interleaving. The storage's other methods
(a fixed window, check, clear, reset) do what `limits` expects of them.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from limits import RateLimitItemPerMinute
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from projections.database import Database
from web.pages.throttle_storage import TableStorage

if TYPE_CHECKING:
    from tests.conftest import OpenLog

THREADS = 8
HITS_PER_THREAD = 3
LIMIT = 5


def test_racing_hits_on_two_pools_let_exactly_the_limit_through(
    durable_database_url: str, make_log: OpenLog
):
    storages = [
        TableStorage(Database(make_log(durable_database_url, load_offices=False)))
        for _ in range(2)
    ]
    limiters = [MovingWindowRateLimiter(storage) for storage in storages]
    item = RateLimitItemPerMinute(LIMIT)
    start = threading.Barrier(THREADS)

    def hit(number: int) -> list[bool]:
        limiter = limiters[number % 2]
        start.wait()
        return [limiter.hit(item, "10.0.0.1") for _ in range(HITS_PER_THREAD)]

    with ThreadPoolExecutor(THREADS) as pool:
        results = [ok for hits in pool.map(hit, range(THREADS)) for ok in hits]

    assert results.count(True) == LIMIT
    assert limiters[0].get_window_stats(item, "10.0.0.1").remaining == 0
    assert limiters[1].test(item, "10.0.0.2")


def test_a_fixed_window_counts_from_its_first_hit_until_it_ends(
    durable_database_url: str, make_log: OpenLog
):
    now = [1000.0]
    storage = TableStorage(
        Database(make_log(durable_database_url, load_offices=False)),
        clock=lambda: now[0],
    )
    limiter = FixedWindowRateLimiter(storage)
    item = RateLimitItemPerMinute(2)

    assert [limiter.hit(item, "a") for _ in range(3)] == [True, True, False]
    assert storage.get_expiry(item.key_for("a")) == 1060.0
    now[0] = 1059.0
    assert not limiter.test(item, "a")
    now[0] = 1060.0
    assert limiter.test(item, "a")
    assert storage.get(item.key_for("a")) == 0
    assert limiter.hit(item, "a")
    assert storage.get_expiry(item.key_for("a")) == 1120.0


def test_keys_are_cleared_one_by_one_or_all_at_once(
    durable_database_url: str, make_log: OpenLog
):
    storage = TableStorage(Database(make_log(durable_database_url, load_offices=False)))
    limiter = MovingWindowRateLimiter(storage)
    item = RateLimitItemPerMinute(1)
    for key in ("a", "b", "c"):
        limiter.hit(item, key)

    assert storage.check()
    limiter.clear(item, "a")
    assert limiter.test(item, "a")
    assert not limiter.test(item, "b")
    assert storage.reset() == 2
    assert limiter.test(item, "b")
    assert limiter.test(item, "c")

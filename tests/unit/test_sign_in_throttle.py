"""The sign-in throttle: refusals per address in a sliding window.

The counts are kept by the table storage (here in the in-memory store's private
SQLite database, on a clock the test moves), or by the `limits` library's
memory storage for ``memory://`` stores.
"""

from __future__ import annotations

import pytest
from limits.storage import MemoryStorage

from incidents.application import IncidentLog
from projections.database import Database
from web.pages.throttle import SignInThrottle, throttle_for
from web.pages.throttle_storage import TABLE, TableStorage


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def storage(log: IncidentLog, clock: Clock) -> TableStorage:
    return TableStorage(Database(log), clock=clock)


def test_five_refusals_in_a_minute_make_the_next_attempt_wait(storage, clock):
    throttle = SignInThrottle(storage, limit=5, window=60, clock=clock)
    for _ in range(4):
        throttle.refused("10.0.0.1")
        clock.now += 1
    assert throttle.retry_after("10.0.0.1") is None

    throttle.refused("10.0.0.1")

    assert throttle.retry_after("10.0.0.1") == 60 - 4
    assert throttle.retry_after("10.0.0.2") is None


def test_attempts_are_allowed_again_once_the_oldest_refusal_is_a_minute_old(
    storage, clock
):
    throttle = SignInThrottle(storage, limit=5, window=60, clock=clock)
    for _ in range(5):
        throttle.refused("10.0.0.1")

    clock.now += 60

    assert throttle.retry_after("10.0.0.1") is None


def test_addresses_quiet_for_a_minute_are_forgotten(storage, clock):
    throttle = SignInThrottle(storage, limit=5, window=60, clock=clock)
    for number in range(100):
        throttle.refused(f"10.0.0.{number}")

    clock.now += 61
    throttle.refused("10.0.1.1")

    with storage.database.transaction(write=False) as cursor:
        cursor.execute(f"SELECT key FROM {TABLE}")  # noqa: S608
        keys = [row[0] for row in cursor.fetchall()]
    assert len(keys) == 1
    assert "/10.0.1.1/" in keys[0]


def test_the_in_memory_store_counts_in_the_libraries_memory_storage(
    log: IncidentLog,
):
    throttle = throttle_for(log)
    for _ in range(5):
        throttle.refused("10.0.0.1")

    assert isinstance(throttle._limiter.storage, MemoryStorage)
    wait = throttle.retry_after("10.0.0.1")
    assert wait is not None
    assert 0 < wait <= 60
    assert throttle.retry_after("10.0.0.2") is None


def test_one_visitors_refusals_stop_neither_another_visitor_nor_the_account(
    storage, clock
):
    throttle = SignInThrottle(storage, clock=clock)
    for _ in range(5):
        throttle.refused("203.0.113.7", "officer")

    assert throttle.retry_after("203.0.113.7", "officer") is not None
    assert throttle.retry_after("198.51.100.9", "officer") is None
    assert throttle.retry_after("198.51.100.9", "mediator") is None


def test_guesses_at_one_account_from_many_addresses_make_it_wait(storage, clock):
    throttle = SignInThrottle(storage, clock=clock, account_limit=20)
    for number in range(20):
        clock.now += 1
        throttle.refused(f"203.0.113.{number}", " Officer ")

    waits = throttle.retry_after("198.51.100.9", "officer")

    assert waits is not None
    assert 15 * 60 - 20 <= waits <= 15 * 60
    assert throttle.retry_after("198.51.100.9", "mediator") is None

"""The sign-in throttle: refusals per address in a sliding window."""

from __future__ import annotations

from web.pages.throttle import SignInThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_refusals_in_a_minute_make_the_next_attempt_wait():
    clock = Clock()
    throttle = SignInThrottle(limit=5, window=60, clock=clock)
    for _ in range(4):
        throttle.refused("10.0.0.1")
        clock.now += 1
    assert throttle.retry_after("10.0.0.1") is None

    throttle.refused("10.0.0.1")

    assert throttle.retry_after("10.0.0.1") == 60 - 4
    assert throttle.retry_after("10.0.0.2") is None


def test_attempts_are_allowed_again_once_the_oldest_refusal_is_a_minute_old():
    clock = Clock()
    throttle = SignInThrottle(limit=5, window=60, clock=clock)
    for _ in range(5):
        throttle.refused("10.0.0.1")

    clock.now += 60

    assert throttle.retry_after("10.0.0.1") is None


def test_addresses_quiet_for_a_minute_are_forgotten():
    clock = Clock()
    throttle = SignInThrottle(limit=5, window=60, clock=clock)
    for number in range(100):
        throttle.refused(f"10.0.0.{number}")

    clock.now += 61
    throttle.refused("10.0.1.1")

    assert list(throttle._refusals) == ["10.0.1.1"]

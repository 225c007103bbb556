"""A follower gathers a stream of saves into steps, and drains a backlog at once."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

from incidents.following import LogFollower


class _Log:
    def __init__(self) -> None:
        self.save_listeners: list[Any] = []
        self.close_listeners: list[Any] = []


class _Follower(LogFollower):
    thread_name = "test-follower"
    gather_seconds = 30.0
    batch_size = 10

    def __init__(self, takes: list[int]) -> None:
        super().__init__(cast("Any", _Log()))
        self.takes = takes
        self.steps = 0
        self.stepped = threading.Condition()

    def step(self) -> int:
        with self.stepped:
            self.steps += 1
            self.stepped.notify_all()
        return self.takes.pop(0) if self.takes else 0

    def wait_for_steps(self, count: int, timeout: float) -> bool:
        with self.stepped:
            return self.stepped.wait_for(lambda: self.steps >= count, timeout)


def test_after_a_step_that_took_less_than_a_batch_it_gathers_before_the_next():
    follower = _Follower([3])
    follower.start(poll_interval=0.01)
    try:
        assert follower.wait_for_steps(1, timeout=5)
        time.sleep(0.5)
        assert follower.steps == 1  # Saves keep coming: let them gather.
    finally:
        started = time.monotonic()
        follower.stop()
    assert time.monotonic() - started < 5  # Stopping cuts the gathering short.


def test_after_a_whole_batch_it_steps_again_at_once():
    follower = _Follower([10, 10, 4])
    follower.start(poll_interval=0.01)
    try:
        # Within the 30 s a gathering would take: the backlog is drained first.
        assert follower.wait_for_steps(3, timeout=10)
    finally:
        follower.stop()

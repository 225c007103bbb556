"""A database fault is logged as it starts, summed up each minute, and as it ends."""

from __future__ import annotations

import logging

import pytest

from web.fault_log import FaultLog


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, bool]]:
    return [
        (record.levelname, record.getMessage(), record.exc_info is not None)
        for record in caplog.records
        if record.name == "web.fault_log"
    ]


def test_a_fault_is_logged_once_then_summed_up_each_minute_then_ended(
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.INFO)
    clock = Clock()
    faults = FaultLog(clock=clock)
    cause = OSError(28, "No space left on device")

    for _ in range(800):  # Eight a second for 100 seconds.
        clock.now += 0.125
        faults.refused("database or disk is full", cause)
    faults.served()
    faults.served()

    assert lines(caplog) == [
        ("ERROR", "The database cannot serve requests: database or disk is full", True),
        (
            "WARNING",
            "481 requests refused in the last 60 s: database or disk is full",
            False,
        ),
        (
            "WARNING",
            "319 requests refused in the last 40 s: database or disk is full",
            False,
        ),
        (
            "WARNING",
            "The database serves requests again, after 800 refused: "
            "database or disk is full",
            False,
        ),
    ]


def test_a_new_cause_is_a_new_fault(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    faults = FaultLog(clock=Clock())

    faults.refused("disk full", OSError(28, "full"))
    faults.refused("disk full", OSError(28, "full"))
    faults.refused("read-only", OSError(30, "read-only"))

    assert [message for _, message, _ in lines(caplog)] == [
        "The database cannot serve requests: disk full",
        "2 requests refused in the last 0 s: disk full",
        "The database cannot serve requests: read-only",
    ]
    assert faults.active


def test_requests_served_without_a_fault_log_nothing(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    faults = FaultLog(clock=Clock())

    faults.served()

    assert lines(caplog) == []
    assert not faults.active


def test_reads_served_do_not_end_a_fault_of_writes(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    faults = FaultLog(clock=Clock())

    faults.refused("disk full", OSError(28, "full"), writing=True)
    faults.served(writing=False)
    faults.refused("disk full", OSError(28, "full"), writing=True)
    faults.served(writing=False)

    assert [message for _, message, _ in lines(caplog)] == [
        "The database cannot serve requests: disk full",
    ]
    assert faults.active
    faults.served(writing=True)
    assert not faults.active


def test_any_request_served_ends_a_fault_of_reads(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    faults = FaultLog(clock=Clock())

    faults.refused("unreachable", OSError(111, "refused"), writing=False)
    faults.served(writing=False)

    assert not faults.active

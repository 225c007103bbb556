"""How long commands show their progress: the time left is sensible from the start."""

from __future__ import annotations

import io

from web.cli.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_time_spent_before_the_first_step_does_not_inflate_the_time_left():
    clock, stream = Clock(), io.StringIO()
    with Progress(
        "Writing", 1_000_000, stream=stream, clock=clock, terminal=False
    ) as shown:
        clock.now += 120  # Two minutes of planning before anything is written.
        shown.update(10_000)
        for _ in range(10):
            clock.now += 1
            shown.advance(10_000)

        left = shown.seconds_left()

    assert shown.rate() == 10_000
    assert left == (1_000_000 - 110_000) / 10_000


def test_outside_a_terminal_a_line_is_written_every_ten_seconds_and_at_the_end():
    clock, stream = Clock(), io.StringIO()
    with Progress(
        "Rebuilding", 600, stream=stream, clock=clock, terminal=False
    ) as shown:
        for _ in range(60):
            clock.now += 1
            shown.advance(10)

    lines = stream.getvalue().splitlines()
    assert len(lines) == 7  # At the first step, every ten seconds, and at the end.
    assert lines[0].startswith("Rebuilding: 10 of 600 (2%)")
    assert lines[3] == "Rebuilding: 310 of 600 (52%), 10/s, about 29 s left"
    assert lines[-1] == "Rebuilding: 600 of 600 (100%), 10/s"
    assert "\r" not in stream.getvalue()


def test_on_a_terminal_one_bar_is_redrawn_in_place():
    clock, stream = Clock(), io.StringIO()
    with Progress("Checking", 100, stream=stream, clock=clock, terminal=True) as shown:
        for _ in range(4):
            clock.now += 1
            shown.advance(25)

    text = stream.getvalue()
    assert text.count("\n") == 1
    assert text.endswith("\n")
    assert text.count("\r") == 5
    assert "[########################] Checking: 100 of 100 (100%)" in text


def test_the_time_left_reads_in_minutes_and_hours():
    clock, stream = Clock(), io.StringIO()
    shown = Progress("Writing", 10_000_000, stream=stream, clock=clock, terminal=False)
    shown.update(0)
    clock.now += 10
    shown.update(1_000)

    assert shown.describe().endswith("about 27 h 46 min left")

"""Show how far a long command has gone: a bar on a terminal, log lines otherwise.

The rate, and so the time left, is measured over the last half-minute of work
from the first step on: time spent before any step (planning, opening the
store) does not make the first estimate absurd.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

WINDOW_SECONDS = 30.0
LINE_EVERY_SECONDS = 10.0
BAR_EVERY_SECONDS = 0.2
BAR_WIDTH = 24


class Progress:
    """Count steps done out of a total, and show them on a stream."""

    def __init__(
        self,
        label: str,
        total: int,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        terminal: bool | None = None,
    ) -> None:
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._terminal = self._stream.isatty() if terminal is None else terminal
        self._every = BAR_EVERY_SECONDS if self._terminal else LINE_EVERY_SECONDS
        self._samples: deque[tuple[float, int]] = deque()
        self._shown_at: float | None = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self._show(final=True)
        elif self._terminal and self._shown_at is not None:
            self._stream.write("\n")
            self._stream.flush()

    def advance(self, steps: int) -> None:
        """Count ``steps`` more steps done."""
        self.update(self.done + steps)

    def update(self, done: int) -> None:
        """Say that ``done`` steps are done in all."""
        self.done = done
        now = self._clock()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > WINDOW_SECONDS:
            self._samples.popleft()
        if self._shown_at is None or now - self._shown_at >= self._every:
            self._show()

    def rate(self) -> float | None:
        """Return the steps per second over the recent window, once measurable."""
        if len(self._samples) < 2:
            return None
        (first_at, first_done), (last_at, last_done) = (
            self._samples[0],
            self._samples[-1],
        )
        if last_at <= first_at or last_done <= first_done:
            return None
        return (last_done - first_done) / (last_at - first_at)

    def seconds_left(self) -> float | None:
        """Return the time left at the recent rate, or None when not yet known."""
        rate = self.rate()
        if rate is None or not self.total:
            return None
        return max(self.total - self.done, 0) / rate

    def describe(self) -> str:
        """Return one line: label, count, share, rate and time left."""
        parts = [f"{self.label}: {self.done:,}"]
        if self.total:
            share = min(self.done / self.total, 1.0)
            parts[0] += f" of {self.total:,} ({share:.0%})"
        rate = self.rate()
        if rate is not None:
            parts.append(f"{rate:,.0f}/s")
        left = self.seconds_left()
        if left is not None and self.done < self.total:
            parts.append(f"about {_duration(left)} left")
        return ", ".join(parts)

    def _show(self, *, final: bool = False) -> None:
        self._shown_at = self._clock()
        if not self._terminal:
            self._stream.write(self.describe() + "\n")
        else:
            filled = (
                BAR_WIDTH
                if not self.total
                else int(BAR_WIDTH * min(self.done / self.total, 1.0))
            )
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self._stream.write(f"\r[{bar}] {self.describe()}\x1b[K")
            if final:
                self._stream.write("\n")
        self._stream.flush()


def _duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, seconds_part = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {seconds_part:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"

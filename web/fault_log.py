"""Log a database fault once when it starts, count it while it lasts, say when it ends.

A full disk or a stopped database refuses every request until it is fixed: one
log line with the cause's chain per refusal would fill the disk further (17 MB
in 20 s was measured). So the first refusal of a cause is logged with its chain,
the next ones are counted and summed up in one line a minute, and the first
answer that is not a 5xx afterwards says the fault is over. A fault of writes (a
full disk, a read-only file) lets reads through: only a write served ends it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, request

SUMMARY_EVERY_SECONDS = 60.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

logger = logging.getLogger(__name__)


class FaultLog:
    """Keep the state of the current fault, if any, and log its changes only."""

    def __init__(
        self,
        *,
        every: float = SUMMARY_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._reason: str | None = None
        self._of_writes = False
        self._total = 0
        self._unreported = 0
        self._reported_at = 0.0

    @property
    def active(self) -> bool:
        """Tell whether a fault is going on."""
        return self._reason is not None

    def refused(
        self, reason: str, error: BaseException, *, writing: bool = True
    ) -> None:
        """Note one request refused for ``reason``; log it if the fault is new."""
        with self._lock:
            now = self._clock()
            if reason != self._reason:
                self._summarise(now)
                self._reason, self._total, self._unreported = reason, 0, 0
                self._reported_at = now
                self._of_writes = writing
                logger.error(
                    "The database cannot serve requests: %s", reason, exc_info=error
                )
            self._total += 1
            self._unreported += 1
            if now - self._reported_at >= self.every:
                self._summarise(now)

    def served(self, *, writing: bool = True) -> None:
        """Note a request served: a fault going on is over, unless reads only pass."""
        if self._reason is None or (self._of_writes and not writing):
            return
        with self._lock:
            if self._reason is None or (self._of_writes and not writing):
                return
            self._summarise(self._clock())
            logger.warning(
                "The database serves requests again, after %d refused: %s",
                self._total,
                self._reason,
            )
            self._reason = None

    def _summarise(self, now: float) -> None:
        if self._reason is not None and self._unreported:
            logger.warning(
                "%d requests refused in the last %.0f s: %s",
                self._unreported,
                now - self._reported_at,
                self._reason,
                extra={"refused": self._unreported},
            )
        self._unreported = 0
        self._reported_at = now


def init_app(app: Flask) -> None:
    """Keep one fault log per application, told of every answer below 500."""
    app.extensions["fault_log"] = FaultLog()
    app.after_request(_served)


def fault_log() -> FaultLog:
    """Return the current application's fault log."""
    log: FaultLog = current_app.extensions["fault_log"]
    return log


def _served(response: Response) -> Response:
    if response.status_code < 500:
        fault_log().served(writing=request.method not in SAFE_METHODS)
    return response

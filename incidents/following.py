"""Follow the event log: do the work its new events call for, now or in a thread."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from incidents.application import IncidentLog

logger = logging.getLogger(__name__)


class LogFollower(ABC):
    """Run :meth:`step` whenever the log grows, until stopped.

    A follower in the web process is woken at once by every save there, and
    looks at the log every ``poll_interval`` seconds for what other processes
    saved. Closing the log stops it first, so that it never uses a closed pool.
    """

    thread_name = "log-follower"
    # How long to let a burst of local saves gather once one wakes the thread,
    # or after a step that found less than a whole batch while saves keep coming,
    # so that it takes them in one step: 0 steps at once.
    gather_seconds = 0.0
    # The most events one step takes: a step that took as many may have left
    # some, and the next one runs at once.
    batch_size: int

    def __init__(self, log: IncidentLog) -> None:
        self.log = log
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_failure = ""

    @abstractmethod
    def step(self) -> int:
        """Do the work the log calls for now; return how many events it took."""

    @property
    def following(self) -> bool:
        """Tell whether a thread of this process follows the log."""
        return self._thread is not None

    def start(self, *, poll_interval: float = 0.5) -> None:
        """Follow the log in a background thread, woken by every local save."""
        if self._thread is not None:
            return
        self.log.save_listeners.append(self._on_save)
        self.log.close_listeners.append(self.stop)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._follow,
            args=(poll_interval,),
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop following the log, after the step in progress."""
        if self._thread is None:
            return
        self.stop_following()
        self._thread.join(timeout)
        self._thread = None
        if self._on_save in self.log.save_listeners:
            self.log.save_listeners.remove(self._on_save)
        if self.stop in self.log.close_listeners:
            self.log.close_listeners.remove(self.stop)

    def run_forever(self, *, poll_interval: float = 0.2) -> None:
        """Follow the log in this thread until :meth:`stop_following` is called."""
        self._stopping.clear()
        self._follow(poll_interval)

    def stop_following(self) -> None:
        """Ask the loop to return after the step in progress."""
        self._stopping.set()
        self._wake.set()

    def _on_save(self, position: int) -> None:
        self._wake.set()

    def _follow(self, poll_interval: float) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                done = self.step()
            except Exception as error:
                # Keep following (the database may come back); say why once.
                if str(error) != self._last_failure:
                    self._last_failure = str(error)
                    logger.exception("%s could not follow the log", self.thread_name)
                done = 0
            else:
                if self._last_failure:
                    logger.info("%s follows the log again", self.thread_name)
                self._last_failure = ""
            if done == 0:
                self._wake.wait(poll_interval)
            elif done >= self.batch_size:
                continue  # More may be waiting: take them at once.
            if self.gather_seconds:
                self._stopping.wait(self.gather_seconds)

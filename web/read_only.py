"""Serve reads from a store that refused writes at start, until it takes them.

A full disk or a read-only file must not keep the service from starting: people
still need to read their incidents. ``incidents serve`` then opens the store to
read only (``open_incident_log(read_only_if_refused=True)``): reads are served,
writes answer 503, ``/readyz`` says why. :class:`UntilWritable` serves that
application and, every few seconds, tries to open the full one; once it opens,
every new request goes to it, with no restart, and the read-only one is closed
when the requests it was answering are done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

# How often the store is tried for writes again, in seconds.
RETRY_EVERY_SECONDS = 5.0
# How long the read-only application is kept for requests it was answering.
DRAIN_SECONDS = 30.0

logger = logging.getLogger(__name__)


class UntilWritable:
    """A WSGI application that switches to the full one once the store takes writes."""

    def __init__(
        self,
        read_only: Flask,
        open_full: Callable[[], Flask],
        *,
        every: float = RETRY_EVERY_SECONDS,
        drain: float = DRAIN_SECONDS,
    ) -> None:
        self.current = read_only
        self._open_full = open_full
        self._every = every
        self._drain = drain
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._watch, name="until-writable", daemon=True
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        app = self.current  # One application for the whole request.
        result: Iterable[bytes] = app(environ, start_response)
        return result

    def start(self) -> None:
        """Start trying the store for writes, in a thread of its own."""
        self._thread.start()

    def stop(self) -> None:
        """Stop trying; the application being served stays."""
        self._stopping.set()
        self._thread.join(timeout=self._every + 5)

    @property
    def switched(self) -> bool:
        """Tell whether the full application is served now."""
        return self.current.extensions["incident_log"].read_only_reason is None

    def _watch(self) -> None:
        while not self._stopping.wait(self._every):
            try:
                full = self._open_full()
            except Exception as error:
                logger.debug("The database still refuses writes: %s", error)
                continue
            read_only, self.current = self.current, full
            logger.warning(
                "The database takes writes again: every request is served now."
            )
            # Requests already in the read-only application finish first.
            if not self._stopping.wait(self._drain):
                read_only.extensions["incident_log"].close()
            return

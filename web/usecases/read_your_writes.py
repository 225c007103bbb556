"""Let every read show the writes acknowledged before it (read-your-writes).

A write is answered as soon as its events are committed. A request that reads
the read models first waits until they show the log as it was when it asked
(:func:`fresh_read_models`): so a client that got a 201 sees its write in its
next read, on any web process, and a write never waits for a projector
(BENCHMARKS.md, "Issue 20"; ADR 0019). An incident read from the log is shown
with the log position of its last event, as the read models know it: when they
are behind, the request waits a little, then gives up with
:class:`ReadModelsBehindError`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from flask import current_app, g, has_request_context

from web import get_incident_log, get_read_models
from web.usecases.position_watch import PositionWatch

if TYPE_CHECKING:
    from projections.queries import ReadModels

# How long a request waits for the read models to show the log (read-your-writes)
# or to catch up with an incident just read from the log.
WAIT_SECONDS = 2.0
# How often a web process looks at read models kept by another process
# (`incidents project`, INCIDENTS_FOLLOW_LOG=0) while writes wait for them.
POLL_SECONDS = 0.003
# When to try again after the read models were found behind, in seconds.
RETRY_AFTER_SECONDS = 1
logger = logging.getLogger(__name__)


class ReadModelsBehindError(Exception):
    """The read models did not catch up with the log in time: try again soon."""

    def __init__(self) -> None:
        super().__init__("The read models are catching up with the log: try again.")
        self.message = str(self)
        self.retry_after = RETRY_AFTER_SECONDS


def wait_for_read_models(position: int) -> bool:
    """Wait until the read models reach a log position; tell whether they did.

    A projector in this process wakes the request as soon as it applies the
    position; one in another process is looked at every few milliseconds.
    """
    projector = get_read_models().projector
    if current_app.config.get("FOLLOW_LOG", True):
        return projector.wait(position, timeout=WAIT_SECONDS)
    watch = current_app.extensions.get("read_models_watch")
    if watch is None:
        watch = current_app.extensions.setdefault(
            "read_models_watch",
            PositionWatch(projector.position, interval=POLL_SECONDS),
        )
    return bool(watch.wait(position, timeout=WAIT_SECONDS))


def fresh_read_models() -> ReadModels:
    """Return the read models once they show the log as this request found it.

    The log's head is read once per request (again after a write made in it),
    and waited for only when the read models are behind it (after a write, a
    few milliseconds). Should they still be behind after :data:`WAIT_SECONDS`,
    what they show is answered and the lag logged: a read is never refused for
    it. While they stay stuck where a wait gave up (the projector stopped or
    failing, a store opened to read only), later reads do not wait again.
    """
    read_models = get_read_models()
    if has_request_context() and not g.get("read_models_fresh", False):
        g.read_models_fresh = True
        _wait_for_the_head(read_models)
    return read_models


def _wait_for_the_head(read_models: ReadModels) -> None:
    log = get_incident_log()
    if log.read_only_reason is not None:
        return  # Nothing is written: nothing to wait for.
    head = log.recorder.max_notification_id() or 0
    stalled = current_app.extensions.get("read_models_stalled")
    if stalled is not None:
        if read_models.projector.position() == stalled:
            return  # Still where the last wait gave up: do not wait again.
        current_app.extensions.pop("read_models_stalled", None)
    if not wait_for_read_models(head):
        position = read_models.projector.position()
        current_app.extensions["read_models_stalled"] = position
        logger.warning(
            "The read models did not reach the log's head (position %d, they "
            "are at %d) within %.1f s: answered with what they show, without "
            "waiting again until they move.",
            head,
            position,
            WAIT_SECONDS,
        )


def current_with_position(incident_id: UUID) -> tuple[dict[str, Any], int]:
    """Return the incident now, with the log position of its last event."""
    log, read_models = get_incident_log(), get_read_models()
    incident = log.get_incident(incident_id)
    row = read_models.get_incident_summary(incident_id)
    if row is None or row["version"] < incident["version"]:
        head = log.recorder.max_notification_id() or 0
        read_models.projector.wait(head, timeout=WAIT_SECONDS)
        row = read_models.get_incident_summary(incident_id)
        if row is None or row["version"] < incident["version"]:
            raise ReadModelsBehindError
    if row["version"] > incident["version"]:
        # Changed between the two reads: show the version the row describes.
        incident = log.get_incident(incident_id, version=row["version"])
    return incident, int(row["position"])


def position_of_version(incident_id: UUID, version: int) -> int:
    """Return the log position of an incident's version, as the timeline has it.

    The version comes from one read of the read models and the timeline from
    another: a batch applied in between is waited for, never a server error.
    """
    read_models = get_read_models()
    for _attempt in range(2):
        for item in read_models.incident_timeline(incident_id):
            if item["version"] == version:
                return int(item["position"])
        head = get_incident_log().recorder.max_notification_id() or 0
        read_models.projector.wait(head, timeout=WAIT_SECONDS)
    raise ReadModelsBehindError

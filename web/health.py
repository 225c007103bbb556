"""Tell a supervisor whether the process is alive, and ready to serve.

Ready means: the database answers, it takes writes, and the read models keep up.
Whether it takes writes is known from the last write: once one was refused, each
call tries a one-row write (``write_probe``) until one is stored, so that the
service says it is ready again as soon as the cause is removed, with no restart.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app

from incidents.errors import StorageUnavailableError
from incidents.persistence import refusal_cause
from projections.notifications.queries import NotificationQueries

# Read models further behind the log than this many events are not ready.
READY_MAX_LAG = 1000

bp = Blueprint("health", __name__)
logger = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer as long as the process serves requests."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """Answer 200 when the database answers, takes writes, and read models keep up."""
    log = current_app.extensions["incident_log"]
    read_models = current_app.extensions["read_models"]
    max_lag = int(current_app.config.get("READY_MAX_LAG", READY_MAX_LAG))
    try:
        # The position first: its query fails at once when the database is
        # down, where eventsourcing would try the head ten times.
        position = int(read_models.projector.position())
        head = int(log.recorder.max_notification_id() or 0)
    except Exception:  # Whatever the failure, this process cannot serve.
        logger.exception("The database does not answer")
        return {
            "status": "unavailable",
            "database": "unreachable",
            "message": "The database does not answer.",
        }, 503
    if log.read_only_reason is not None:
        return {
            "status": "unavailable",
            "database": "read-only",
            "cause": log.read_only_reason,
            "message": "The database could not be opened to write at start: "
            "reads are served, writes are refused until it takes them again.",
        }, 503
    if log.write_failure is not None:
        try:
            log.check_writable()
        except StorageUnavailableError as error:
            logger.warning("The database still refuses writes: %s", error.reason)
            return {
                "status": "unavailable",
                "database": "refusing writes",
                "cause": refusal_cause(error.reason),
                "message": "The database answers but refuses writes.",
            }, 503
        logger.info("The database takes writes again")
    lag = max(head - position, 0)
    ready = lag <= max_lag
    return {
        "status": "ok" if ready else "lagging",
        "database": "ok",
        "read_models": {"head": head, "position": position, "lag": lag},
        "notifier": _notifier(head),
        "max_lag": max_lag,
    }, 200 if ready else 503


def _notifier(head: int) -> dict[str, Any]:
    """Say how far the notifier is behind, and what mail waits (never unready).

    A mail server that is down delays mail, not the service: it shows here and
    on the admin's list of sends, and does not make the process unready.
    """
    notifier = current_app.extensions["notifier"]
    try:
        status = NotificationQueries(notifier.database).status()
    except Exception:  # Its tables unreadable: say so, and serve on.
        logger.exception("The notifier's tables do not answer")
        return {"status": "unknown"}
    return {
        "head": head,
        "position": status.position,
        "lag": max(head - status.position, 0),
        "pending": status.pending,
        "failed": status.failed,
        "mail": notifier.mail_enabled,
        "in_this_process": notifier.following,
    }

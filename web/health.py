"""Tell a supervisor whether the process is alive, and ready to serve."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app

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
    """Answer 200 when the database answers and the read models keep up."""
    log = current_app.extensions["incident_log"]
    read_models = current_app.extensions["read_models"]
    max_lag = int(current_app.config.get("READY_MAX_LAG", READY_MAX_LAG))
    try:
        head = int(log.recorder.max_notification_id() or 0)
        position = int(read_models.projector.position())
    except Exception:  # Whatever the failure, this process cannot serve.
        logger.exception("The database does not answer")
        return {
            "status": "unavailable",
            "database": "unreachable",
            "message": "The database does not answer.",
        }, 503
    lag = max(head - position, 0)
    ready = lag <= max_lag
    return {
        "status": "ok" if ready else "lagging",
        "database": "ok",
        "read_models": {"head": head, "position": position, "lag": lag},
        "max_lag": max_lag,
    }, 200 if ready else 503

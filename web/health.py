"""Tell a supervisor whether the process is alive."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer as long as the process serves requests."""
    return {"status": "ok"}

"""The mediator's blueprint, and the address of an incident's own page."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, url_for

bp = Blueprint("mediator", __name__)


def incident_url(incident_id: UUID) -> str:
    """Return the address of the incident's own page."""
    return url_for("officer.incident", incident_id=incident_id)

"""Pages of the safety officer: dashboard, timelines, incidents, follow-ups."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from incidents.permissions import Action
from web.pages.auth import allowed

bp = Blueprint("officer", __name__)


@bp.get("/tableau-de-bord")
@allowed(Action.READ)
def dashboard() -> ResponseReturnValue:
    """Show the office dashboard."""
    return render_template("pages/placeholder.html")

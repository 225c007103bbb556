"""Pages of the mediator: report in under a minute, then log what followed."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from incidents.permissions import Action
from web.pages.auth import allowed

bp = Blueprint("mediator", __name__)


@bp.get("/signaler")
@allowed(Action.RECORD)
def report() -> ResponseReturnValue:
    """Report an incident."""
    return render_template("pages/placeholder.html")

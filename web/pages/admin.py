"""Pages of the admin: people, roles, office scopes, tokens, erasure."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from incidents.permissions import Action
from web.pages.auth import allowed

bp = Blueprint("administration", __name__)


@bp.get("/personnes")
@allowed(Action.ADMINISTER)
def people() -> ResponseReturnValue:
    """List the people."""
    return render_template("pages/placeholder.html")

"""Pages of the auditor: the audit trail, verification and export."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from incidents.permissions import Action
from web.pages.auth import allowed

bp = Blueprint("auditor", __name__)


@bp.get("/audit")
@allowed(Action.AUDIT)
def audit_trail() -> ResponseReturnValue:
    """Show the audit trail."""
    return render_template("pages/placeholder.html")

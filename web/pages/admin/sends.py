"""The mail notifications not yet sent: pending, being sent, or failed."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from incidents.permissions import Action
from web import get_notifier
from web.pages.admin.blueprint import bp
from web.pages.auth import allowed
from web.usecases.notifications import UNSENT, unsent_notifications

SHOWN = 200


@bp.get("/envois")
@allowed(Action.ADMINISTER)
def sends() -> ResponseReturnValue:
    """List the mail notifications waiting to be sent, oldest first."""
    notifier = get_notifier()
    found = unsent_notifications(notifier, states=UNSENT, page=1, page_size=SHOWN)
    return render_template(
        "pages/admin/sends.html",
        items=found["items"],
        total=found["total"],
        mail=notifier.mail_enabled,
    )

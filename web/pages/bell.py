"""The bell: each person's notifications, the unread ones first to the eye.

The count of unread notifications is shown in the navigation of every page;
this page lists them, newest first, each with a link to its incident and a
button that marks it read.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from incidents.errors import NotificationNotFoundError
from incidents.permissions import Action
from web import get_incident_log, get_notifier
from web.pages.auth import allowed
from web.usecases.notifications import bell as bell_items
from web.usecases.notifications import mark_read
from web.usecases.notifications import unread_count as count_unread

SHOWN = 100

bp = Blueprint("bell", __name__)


@bp.get("/notifications")
@allowed(Action.READ)
def notifications() -> ResponseReturnValue:
    """List the person's notifications, newest first."""
    found = bell_items(
        get_notifier(), current_user.name, unread=None, page=1, page_size=SHOWN
    )
    return render_template(
        "pages/bell.html", items=found["items"], total=found["total"]
    )


@bp.post("/notifications/<uuid:notification_id>/lu")
@allowed(Action.READ)
def read(notification_id: UUID) -> ResponseReturnValue:
    """Mark one of the person's notifications read."""
    try:
        mark_read(
            get_incident_log(),
            get_notifier(),
            notification_id,
            reader=current_user.name,
        )
    except NotificationNotFoundError:
        abort(404)
    flash(_("Notification marquée comme lue."), "success")
    return redirect(url_for(".notifications"), 303)


def unread_count() -> int:
    """Return how many notifications the signed-in person has not read."""
    return count_unread(get_notifier(), current_user.name)

"""The bell: each person's own notifications, and marking one read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from incidents.permissions import Action
from web import get_incident_log, get_notifier
from web.api import schemas
from web.api.auth import authorized, current_user
from web.api.blueprint import Blueprint
from web.usecases.notifications import bell, mark_read

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/notifications",
    description="The caller's notifications (the bell).",
)


@blp.get("")
@authorized(Action.READ)
@blp.arguments(schemas.BellQueryArgsSchema, location="query")
@blp.response(200, schemas.BellSchema)
def list_notifications(args: dict[str, Any]) -> dict[str, Any]:
    """List the caller's notifications, newest first (unread=true: only unread)."""
    found = bell(
        get_notifier(),
        current_user()["name"],
        unread=args["unread"],
        page=args["page"],
        page_size=args["page_size"],
    )
    return {**found, "page": args["page"], "page_size": args["page_size"]}


@blp.post("/<uuid:notification_id>/read")
@authorized(Action.READ)
@blp.response(200, schemas.ReadSchema)
def read_notification(notification_id: UUID) -> dict[str, Any]:
    """Mark one of the caller's notifications read (anyone else's: 404)."""
    return mark_read(
        get_incident_log(),
        get_notifier(),
        notification_id,
        reader=current_user()["name"],
    )

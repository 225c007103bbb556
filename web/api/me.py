"""Let each signed-in person read and choose the notifications they receive."""

from __future__ import annotations

from typing import Any

from incidents.permissions import Action
from web import get_incident_log
from web.api import schemas
from web.api.auth import authorized, current_user
from web.api.blueprint import Blueprint
from web.usecases.mail_settings import change_preferences

blp = Blueprint(
    "me",
    __name__,
    url_prefix="/api/v1/me",
    description="The caller's own settings.",
)


@blp.get("/notification-preferences")
@authorized(Action.READ)
@blp.response(200, schemas.NotificationPreferencesSchema)
def get_preferences() -> dict[str, Any]:
    """Return which notifications the caller receives, and how often a digest."""
    preferences: dict[str, Any] = current_user()["notification_preferences"]
    return preferences


@blp.put("/notification-preferences")
@authorized(Action.READ)
@blp.arguments(schemas.ChangeNotificationPreferencesSchema)
@blp.response(200, schemas.NotificationPreferencesSchema)
def put_preferences(args: dict[str, Any]) -> dict[str, Any]:
    """Choose which notifications the caller receives (fields left out are kept)."""
    name = current_user()["name"]
    return change_preferences(get_incident_log(), name, actor=name, changes=args)

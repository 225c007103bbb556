"""Show the follow-up board: open follow-ups, overdue first."""

from __future__ import annotations

from typing import Any

from incidents.permissions import Action
from web.api import schemas
from web.api.auth import authorized, current_user
from web.api.blueprint import Blueprint
from web.usecases.read_your_writes import fresh_read_models
from web.usecases.scope import readable_offices

blp = Blueprint(
    "follow-ups",
    __name__,
    url_prefix="/api/v1/follow-ups",
    description="The follow-up board of the caller's offices.",
)


@blp.get("")
@authorized(Action.READ)
@blp.arguments(schemas.FollowUpBoardQueryArgsSchema, location="query")
@blp.response(200, schemas.BoardPageSchema)
def list_follow_ups(args: dict[str, Any]) -> dict[str, Any]:
    """List the scheduled follow-ups, overdue first, then by due date."""
    user = current_user()
    office = args.get("office")
    return fresh_read_models().follow_up_board(
        offices=readable_offices(user, office),
        office=office,
        overdue_only=args["overdue"],
    )

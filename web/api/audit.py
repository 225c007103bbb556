"""Read the global log in order, for auditors.

Verification (``/audit/verify``) and the evidence export (``/audit/export``)
come with the hash chain, in a later change.
"""

from __future__ import annotations

from typing import Any

from incidents.permissions import Action
from web import get_incident_log, get_read_models
from web.api import schemas
from web.api.auth import authorized
from web.api.blueprint import Blueprint

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="The audit trail: every event of the log, in order.",
)


@blp.get("/events")
@authorized(Action.AUDIT)
@blp.arguments(schemas.AuditQueryArgsSchema, location="query")
@blp.response(200, schemas.AuditPageSchema)
def list_events(args: dict[str, Any]) -> dict[str, Any]:
    """List the events of the whole log after a position, in order."""
    return get_read_models().audit_events(after=args["after"], limit=args["limit"])


@blp.get("/disclosures")
@authorized(Action.AUDIT)
@blp.arguments(schemas.DisclosureQueryArgsSchema, location="query")
@blp.response(200, schemas.DisclosurePageSchema)
def list_disclosures(args: dict[str, Any]) -> dict[str, Any]:
    """List who was shown a visitor's contact, when and how, in order."""
    items = get_incident_log().list_disclosures(
        incident_id=args["incident"], after=args["after"], limit=args["limit"]
    )
    return {"items": items, "after": args["after"], "limit": args["limit"]}

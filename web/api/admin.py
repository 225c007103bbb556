"""Manage people, their roles, office scopes and API tokens (admins only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from incidents.permissions import Action
from web import get_incident_log, get_notifier
from web.api import schemas
from web.api.auth import authorized, current_user
from web.api.blueprint import Blueprint
from web.usecases.mail_settings import KEEP, change_mail_settings
from web.usecases.notifications import UNSENT, unsent_notifications

blp = Blueprint(
    "admin",
    __name__,
    url_prefix="/api/v1/admin",
    description="People and API tokens.",
)


@blp.post("/users")
@authorized(Action.ADMINISTER)
@blp.arguments(schemas.RegisterUserSchema)
@blp.response(201, schemas.UserSchema)
def register_user(args: dict[str, Any]) -> dict[str, Any]:
    """Register a person with a role and the offices they cover."""
    user = get_incident_log().register_user(
        actor=current_user()["name"],
        name=args["name"],
        role=args["role"],
        offices=args.get("offices"),
        display_name=args.get("display_name"),
        password=args.get("password"),
        email=args.get("email") or None,
        language=args.get("language"),
    )
    return user


@blp.patch("/users/<name>")
@authorized(Action.ADMINISTER)
@blp.arguments(schemas.ChangeUserSchema)
@blp.response(200, schemas.UserSchema)
def change_user(args: dict[str, Any], name: str) -> dict[str, Any]:
    """Change a person's e-mail address (null removes it) or language."""
    log = get_incident_log()
    log.get_user(name)  # 404 for an unknown name, even with an empty body.
    user = change_mail_settings(
        log,
        name,
        actor=current_user()["name"],
        email=args["email"] or None if "email" in args else KEEP,
        language=args.get("language", KEEP),
    )
    return user


@blp.get("/users")
@authorized(Action.ADMINISTER)
@blp.response(200, schemas.UserPageSchema)
def list_users() -> dict[str, Any]:
    """List every person, in the order they were registered."""
    users = get_incident_log().list_users()
    return {"items": users, "total": len(users), "page": 1, "page_size": len(users)}


@blp.post("/users/<name>/tokens")
@authorized(Action.ADMINISTER)
@blp.arguments(schemas.IssueTokenSchema)
@blp.response(201, schemas.IssuedTokenSchema)
def issue_token(args: dict[str, Any], name: str) -> dict[str, Any]:
    """Issue an API token for a person; its secret is shown only this once."""
    log = get_incident_log()
    issued = log.issue_token(
        name, actor=current_user()["name"], label=args.get("label")
    )
    user = log.get_user(name)
    label = next(
        (token["label"] for token in user["tokens"] if token["id"] == issued.token_id),
        "",
    )
    return {"id": issued.token_id, "token": issued.token, "label": label, "user": user}


@blp.post("/users/<name>/tokens/<uuid:token_id>/revocation")
@authorized(Action.ADMINISTER)
@blp.arguments(schemas.ReasonSchema)
@blp.response(200, schemas.UserSchema)
def revoke_token(args: dict[str, Any], name: str, token_id: UUID) -> dict[str, Any]:
    """Revoke an API token, saying why: it opens nothing from then on."""
    user = get_incident_log().revoke_token(
        name, token_id, actor=current_user()["name"], reason=args["reason"]
    )
    return user


@blp.post("/users/<name>/deactivation")
@authorized(Action.ADMINISTER)
@blp.arguments(schemas.ReasonSchema)
@blp.response(200, schemas.UserSchema)
def deactivate_user(args: dict[str, Any], name: str) -> dict[str, Any]:
    """Withdraw every right of a person, keeping their history."""
    user = get_incident_log().deactivate_user(
        name, actor=current_user()["name"], reason=args["reason"]
    )
    return user


@blp.get("/notifications")
@authorized(Action.ADMINISTER)
@blp.arguments(schemas.DeliveryQueryArgsSchema, location="query")
@blp.response(200, schemas.DeliveryPageSchema)
def list_unsent_notifications(args: dict[str, Any]) -> dict[str, Any]:
    """List the mail notifications not yet sent: pending, being sent, failed."""
    state = args["state"]
    found = unsent_notifications(
        get_notifier(),
        states=UNSENT if state == "unsent" else (state,),
        page=args["page"],
        page_size=args["page_size"],
    )
    return {**found, "page": args["page"], "page_size": args["page_size"]}

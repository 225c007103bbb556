"""List the caller's offices, and summarise what happened in each."""

from __future__ import annotations

from typing import Any

from incidents.permissions import Action, covers
from web import get_incident_log
from web.api import schemas
from web.api.auth import authorized, current_user
from web.api.blueprint import Blueprint
from web.usecases.bounds import check_day_range
from web.usecases.read_your_writes import fresh_read_models
from web.usecases.rota import presence_impact
from web.usecases.scope import visible_office

blp = Blueprint(
    "offices",
    __name__,
    url_prefix="/api/v1/offices",
    description="Offices: the caller's scope, summaries, timelines, opening hours.",
)


@blp.get("")
@authorized(Action.READ)
@blp.response(200, schemas.OfficePageSchema)
def list_offices() -> dict[str, Any]:
    """List the offices the caller covers, by code."""
    user = current_user()
    offices = [
        office
        for office in get_incident_log().list_offices()
        if covers(user, office["code"])
    ]
    return {
        "items": offices,
        "total": len(offices),
        "page": 1,
        "page_size": len(offices),
    }


@blp.get("/<code>/summary")
@authorized(Action.READ)
@blp.arguments(schemas.OfficeSummaryQueryArgsSchema, location="query")
@blp.response(200, schemas.OfficeSummarySchema)
def get_summary(args: dict[str, Any], code: str) -> dict[str, Any]:
    """Summarise an office over a range of days, now or as known at a time."""
    visible_office(current_user(), code)
    check_day_range(args)
    return fresh_read_models().office_summary(
        code, from_=args.get("from_"), to=args.get("to"), as_of=args.get("as_of")
    )


@blp.get("/<code>/timeline")
@authorized(Action.READ)
@blp.arguments(schemas.OfficeTimelineQueryArgsSchema, location="query")
@blp.response(200, schemas.TimelinePageSchema)
def get_timeline(args: dict[str, Any], code: str) -> dict[str, Any]:
    """List an office's events in log order, recorded within a range of days."""
    visible_office(current_user(), code)
    check_day_range(args)
    return fresh_read_models().office_timeline(
        code,
        from_=args.get("from_"),
        to=args.get("to"),
        page=args["page"],
        page_size=args["page_size"],
    )


@blp.get("/<code>/opening-hours")
@authorized(Action.READ)
@blp.arguments(schemas.OpeningHoursQueryArgsSchema, location="query")
@blp.response(200, schemas.OpeningHoursSchema)
def get_opening_hours(args: dict[str, Any], code: str) -> dict[str, Any]:
    """Show an office's opening hours by weekday, as they hold on a day (today)."""
    visible_office(current_user(), code)
    return get_incident_log().get_opening_hours(code, on=args.get("on"))


@blp.put("/<code>/opening-hours")
@authorized(Action.SET_HOURS)
@blp.arguments(schemas.SetOpeningHoursSchema)
@blp.response(200, schemas.OpeningHoursSchema)
def set_opening_hours(args: dict[str, Any], code: str) -> dict[str, Any]:
    """Set an office's opening hours for every weekday, from a day on (today)."""
    visible_office(current_user(), code)
    hours, _ = get_incident_log().change_opening_hours(
        code,
        actor=current_user()["name"],
        hours={day: args[day] for day in schemas.WEEKDAY_FIELDS},
        effective_from=args.get("effective_from"),
    )
    return hours


@blp.get("/<code>/presence-impact")
@authorized(Action.READ)
@blp.arguments(schemas.PresenceImpactQueryArgsSchema, location="query")
@blp.response(200, schemas.PresenceImpactSchema)
def get_presence_impact(args: dict[str, Any], code: str) -> dict[str, Any]:
    """Compare incidents per open hour with and without a mediator on shift."""
    visible_office(current_user(), code)
    return presence_impact(
        code, from_=args.get("from_"), to=args.get("to"), as_of=args.get("as_of")
    )

"""Report incidents, record what happens to them, and read them back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from flask import url_for

from incidents.application import WriteResult
from incidents.errors import IncidentNotFoundError
from incidents.permissions import Action
from web import get_incident_log
from web.api import schemas
from web.api.auth import (
    accepts_if_match,
    authorized,
    current_user,
    expected_version,
)
from web.api.blueprint import Blueprint
from web.usecases.incident_filters import incident_filters
from web.usecases.presenting import show, written
from web.usecases.read_your_writes import (
    current_with_position,
    fresh_read_models,
    position_of_version,
)
from web.usecases.scope import check_office_field, visible_incident
from web.usecases.text_warnings import text_warnings

Answer = tuple[dict[str, Any], int, dict[str, str]]

blp = Blueprint(
    "incidents",
    __name__,
    url_prefix="/api/v1/incidents",
    description="Incidents: report them, record what happens, read them back.",
)


# Reading.


@blp.get("")
@authorized(Action.READ)
@blp.arguments(schemas.IncidentQueryArgsSchema, location="query")
@blp.response(200, schemas.IncidentPageSchema)
def list_incidents(args: dict[str, Any]) -> dict[str, Any]:
    """List the incidents of the caller's offices, newest first."""
    return fresh_read_models().list_incidents(
        **incident_filters(current_user(), args),
        page=args["page"],
        page_size=args["page_size"],
    )


@blp.get("/<uuid:incident_id>")
@authorized(Action.READ)
@blp.arguments(schemas.IncidentAsOfQueryArgsSchema, location="query")
@blp.response(200, schemas.IncidentSchema)
def get_incident(args: dict[str, Any], incident_id: UUID) -> Answer:
    """Show an incident now, or as it was known at a time (as_of)."""
    user = current_user()
    visible_incident(user, incident_id)
    incident, position = current_with_position(incident_id)
    as_of: datetime | None = args.get("as_of")
    if as_of is not None:
        version = fresh_read_models().incident_version_as_of(incident_id, as_of)
        if version is None:
            raise IncidentNotFoundError(incident_id)
        incident = get_incident_log().get_incident(incident_id, version=version)
        position = position_of_version(incident_id, version)
    return answer(show(user, incident, position, channel="api", as_of=as_of))


@blp.get("/<uuid:incident_id>/timeline")
@authorized(Action.READ)
@blp.arguments(schemas.TimelineQueryArgsSchema, location="query")
@blp.response(200, schemas.TimelinePageSchema)
def get_timeline(args: dict[str, Any], incident_id: UUID) -> dict[str, Any]:
    """List an incident's events in order, with both clocks and the actor."""
    visible_incident(current_user(), incident_id)
    current_with_position(incident_id)  # The timeline shows every event read.
    items = fresh_read_models().incident_timeline(incident_id)
    page, page_size = args["page"], args["page_size"]
    start = (page - 1) * page_size
    return {
        "items": items[start : start + page_size],
        "total": len(items),
        "page": page,
        "page_size": page_size,
    }


# Reporting.


@blp.post("")
@authorized(Action.RECORD)
@blp.arguments(schemas.ReportIncidentSchema)
@blp.response(201, schemas.IncidentSchema, description="Reported.")
@blp.alt_response(
    200, schema=schemas.IncidentSchema, description="Already reported (same id)."
)
def report_incident(args: dict[str, Any]) -> Answer:
    """Report an incident; the same report again (same id) is stored once."""
    user = current_user()
    check_office_field(user, "office", args["office"])
    result = get_incident_log().report_incident(
        actor=user["name"],
        office=args["office"],
        occurred_at=args["occurred_at"],
        category=args["category"],
        severity=args["severity"],
        target=args["target"],
        summary=args["summary"],
        trigger=args.get("trigger"),
        parties=args.get("parties"),
        contact=args.get("contact"),
        incident_id=args.get("id"),
    )
    body, _, headers = answer(written(user, result, text_warnings(args)))
    headers["Location"] = url_for(".get_incident", incident_id=body["id"])
    return body, 201 if result.created else 200, headers


# Recording events on an incident.


@blp.post("/<uuid:incident_id>/de-escalations")
@authorized(Action.RECORD)
@accepts_if_match
@blp.arguments(schemas.RecordDeEscalationSchema)
@blp.response(200, schemas.IncidentSchema)
def record_de_escalation(args: dict[str, Any], incident_id: UUID) -> Answer:
    """Log a de-escalation attempt: techniques used and how it ended."""
    return change(incident_id, get_incident_log().record_de_escalation, **args)


@blp.post("/<uuid:incident_id>/escalations")
@authorized(Action.RECORD)
@accepts_if_match
@blp.arguments(schemas.EscalateSchema)
@blp.response(200, schemas.IncidentSchema)
def escalate(args: dict[str, Any], incident_id: UUID) -> Answer:
    """Escalate to the office manager, security, police or emergency services."""
    return change(incident_id, get_incident_log().escalate_incident, **args)


@blp.post("/<uuid:incident_id>/notes")
@authorized(Action.RECORD)
@accepts_if_match
@blp.arguments(schemas.AddNoteSchema)
@blp.response(200, schemas.IncidentSchema)
def add_note(args: dict[str, Any], incident_id: UUID) -> Answer:
    """Add a note, on an open or a closed incident."""
    return change(incident_id, get_incident_log().add_note, **args)


@blp.post("/<uuid:incident_id>/amendments")
@authorized(Action.RECORD)
@accepts_if_match
@blp.arguments(schemas.AmendIncidentSchema)
@blp.response(200, schemas.IncidentSchema)
def amend(args: dict[str, Any], incident_id: UUID) -> Answer:
    """Correct what was reported, saying why; the original stays in history."""
    return change(incident_id, get_incident_log().amend_incident, **args)


@blp.post("/<uuid:incident_id>/follow-ups")
@authorized(Action.RECORD)
@accepts_if_match
@blp.arguments(schemas.ScheduleFollowUpSchema)
@blp.response(200, schemas.IncidentSchema)
def schedule_follow_up(args: dict[str, Any], incident_id: UUID) -> Answer:
    """Schedule a follow-up; its id is in the incident's follow_ups."""
    return change(incident_id, get_incident_log().schedule_follow_up, **args)


@blp.post("/<uuid:incident_id>/follow-ups/<uuid:follow_up_id>/completion")
@authorized(Action.RECORD)
@accepts_if_match
@blp.arguments(schemas.CompleteFollowUpSchema)
@blp.response(200, schemas.IncidentSchema)
def complete_follow_up(
    args: dict[str, Any], incident_id: UUID, follow_up_id: UUID
) -> Answer:
    """Mark a scheduled follow-up as done."""
    log = get_incident_log()
    return change(
        incident_id,
        lambda incident_id, **kwargs: log.complete_follow_up(
            incident_id, follow_up_id, **kwargs
        ),
        **args,
    )


@blp.post("/<uuid:incident_id>/follow-ups/<uuid:follow_up_id>/cancellation")
@authorized(Action.RECORD)
@accepts_if_match
@blp.arguments(schemas.ReasonSchema)
@blp.response(200, schemas.IncidentSchema)
def cancel_follow_up(
    args: dict[str, Any], incident_id: UUID, follow_up_id: UUID
) -> Answer:
    """Cancel a scheduled follow-up, saying why."""
    log = get_incident_log()
    return change(
        incident_id,
        lambda incident_id, **kwargs: log.cancel_follow_up(
            incident_id, follow_up_id, **kwargs
        ),
        **args,
    )


@blp.post("/<uuid:incident_id>/severity")
@authorized(Action.RECORD)
@accepts_if_match
@blp.arguments(schemas.ReassessSeveritySchema)
@blp.response(200, schemas.IncidentSchema)
def reassess_severity(args: dict[str, Any], incident_id: UUID) -> Answer:
    """Reassess the severity (0 to 4), saying why."""
    return change(incident_id, get_incident_log().reassess_severity, **args)


@blp.post("/<uuid:incident_id>/closure")
@authorized(Action.CLOSE)
@accepts_if_match
@blp.arguments(schemas.CloseIncidentSchema)
@blp.response(200, schemas.IncidentSchema)
def close(args: dict[str, Any], incident_id: UUID) -> Answer:
    """Close the incident with a resolution, once no follow-up is scheduled."""
    return change(incident_id, get_incident_log().close_incident, **args)


@blp.post("/<uuid:incident_id>/reopening")
@authorized(Action.CLOSE)
@accepts_if_match
@blp.arguments(schemas.ReasonSchema)
@blp.response(200, schemas.IncidentSchema)
def reopen(args: dict[str, Any], incident_id: UUID) -> Answer:
    """Reopen a closed incident, saying why."""
    return change(incident_id, get_incident_log().reopen_incident, **args)


@blp.post("/<uuid:incident_id>/erasure")
@authorized(Action.ERASE)
@accepts_if_match
@blp.arguments(schemas.ReasonSchema)
@blp.response(200, schemas.IncidentSchema)
def erase_personal_data(args: dict[str, Any], incident_id: UUID) -> Answer:
    """Erase the visitor's contact details, saying why."""
    return change(incident_id, get_incident_log().erase_personal_data, **args)


# What every write answers.


def change(
    incident_id: UUID, command: Callable[..., WriteResult], **fields: Any
) -> Answer:
    """Run a command on an incident the caller may see, and answer with it."""
    user = current_user()
    visible_incident(user, incident_id)
    result = command(
        incident_id,
        actor=user["name"],
        expected_version=expected_version(),
        **fields,
    )
    return answer(written(user, result, text_warnings(fields)))


def answer(body: dict[str, Any]) -> Answer:
    """Answer with an incident, its version as the ETag (for If-Match)."""
    return body, 200, {"ETag": f'"{body["version"]}"'}

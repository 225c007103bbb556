"""Plan the rota: list, plan, change, cancel, import and export the shifts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, request
from flask_smorest import abort

from incidents.application import PlannedShift
from incidents.errors import InvalidInputError
from incidents.permissions import Action, visible_offices
from incidents.rota_csv import parse_rota, write_rota
from web import get_incident_log
from web.api import schemas
from web.api.auth import accepts_if_match, authorized, current_user, expected_version
from web.api.blueprint import Blueprint
from web.usecases.rota import readable_shifts, visible_shift
from web.usecases.scope import check_office_field

Answer = tuple[dict[str, Any], int, dict[str, str]]
CSV_TYPES = frozenset({"text/csv", "application/csv"})

blp = Blueprint(
    "shifts",
    __name__,
    url_prefix="/api/v1",
    description="The rota: which mediator is in which office, when.",
)


@blp.get("/shifts")
@authorized(Action.READ)
@blp.arguments(schemas.ShiftQueryArgsSchema, location="query")
@blp.response(200, schemas.ShiftPageSchema)
def list_shifts(args: dict[str, Any]) -> dict[str, Any]:
    """List shifts by day and start; a mediator sees only their own."""
    shifts = _shifts(args, mediator=args.get("mediator"))
    page, page_size = args["page"], args["page_size"]
    start = (page - 1) * page_size
    return {
        "items": shifts[start : start + page_size],
        "total": len(shifts),
        "page": page,
        "page_size": page_size,
    }


@blp.get("/shifts.csv")
@authorized(Action.READ)
@blp.arguments(schemas.ShiftCsvQueryArgsSchema, location="query")
@blp.response(
    200,
    {"type": "string"},
    content_type="text/csv",
    description="mediator;office;day;start;end, the import's format.",
)
def export_shifts(args: dict[str, Any]) -> Response:
    """Download the planned shifts as CSV, in the form the import reads."""
    shifts = [
        shift for shift in _shifts(args, mediator=None) if shift["status"] == "planned"
    ]
    response = Response(write_rota(shifts), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="rota.csv"'
    return response


@blp.post("/shifts")
@authorized(Action.PLAN)
@blp.arguments(schemas.PlanShiftSchema)
@blp.response(201, schemas.ShiftSchema, description="Planned.")
@blp.alt_response(
    200, schema=schemas.ShiftSchema, description="Already planned (same id)."
)
def plan_shift(args: dict[str, Any]) -> Answer:
    """Plan a shift; the same shift again (same id) is stored once."""
    user = current_user()
    check_office_field(user, "office", args["office"])
    result = get_incident_log().plan_shift(
        actor=user["name"],
        plan=PlannedShift(
            mediator=args["mediator"],
            office=args["office"],
            day=args["day"],
            start=args["start"],
            end=args["end"],
            note=args.get("note"),
            allow_sunday=args["allow_sunday"],
            shift_id=args.get("id"),
        ),
    )
    body, _, headers = answer(result.shift)
    return body, 201 if result.created else 200, headers


@blp.post("/shifts/import")
@authorized(Action.PLAN)
@blp.arguments(schemas.ImportShiftsQueryArgsSchema, location="query")
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "mediator;office;day;start;end\n"
                "amina;nanterre-centre;2026-12-07;09:00;12:30\n",
            }
        },
    }
)
@blp.response(201, schemas.ImportedShiftsSchema, description="Every line planned.")
def import_shifts(args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Plan every shift of a CSV file, or none: errors are keyed by line."""
    if request.mimetype not in CSV_TYPES:
        abort(
            415,
            message="Send the rota as CSV, with the header Content-Type: text/csv.",
        )
    user = current_user()
    plans = parse_rota(request.get_data(cache=True), allow_sunday=args["allow_sunday"])
    offices = visible_offices(user)
    result = get_incident_log().import_shifts(
        actor=user["name"], plans=plans, offices=offices
    )
    return {"created": len(result.shifts), "items": result.shifts}, 201


@blp.post("/shifts/<uuid:shift_id>/change")
@authorized(Action.PLAN)
@accepts_if_match
@blp.arguments(schemas.ChangeShiftSchema)
@blp.response(200, schemas.ShiftSchema)
def change_shift(args: dict[str, Any], shift_id: UUID) -> Answer:
    """Move a shift to another office, day or time, saying why."""
    user = current_user()
    visible_shift(user, shift_id)
    changes: dict[str, object] = {
        field: args[field]
        for field in ("office", "day", "start", "end")
        if field in args
    }
    if "office" in changes:
        check_office_field(user, "office", args["office"])
    result = get_incident_log().change_shift(
        shift_id,
        actor=user["name"],
        changes=changes,
        reason=args["reason"],
        allow_sunday=args["allow_sunday"],
        expected_version=expected_version(),
    )
    return answer(result.shift)


@blp.post("/shifts/<uuid:shift_id>/cancellation")
@authorized(Action.PLAN)
@accepts_if_match
@blp.arguments(schemas.CancelShiftSchema)
@blp.response(200, schemas.ShiftSchema)
def cancel_shift(args: dict[str, Any], shift_id: UUID) -> Answer:
    """Cancel a shift, saying why; its times are free again."""
    user = current_user()
    visible_shift(user, shift_id)
    result = get_incident_log().cancel_shift(
        shift_id,
        actor=user["name"],
        reason=args["reason"],
        expected_version=expected_version(),
    )
    return answer(result.shift)


def answer(shift: dict[str, Any]) -> Answer:
    """Answer with a shift, its version as the ETag (for If-Match)."""
    return shift, 200, {"ETag": f'"{shift["version"]}"'}


def _shifts(args: dict[str, Any], *, mediator: str | None) -> list[dict[str, Any]]:
    from_, to = args.get("from_"), args.get("to")
    if from_ is not None and to is not None and to < from_:
        raise InvalidInputError.field("to", "Give a day on or after from.")
    filters = readable_shifts(
        current_user(), office=args.get("office"), mediator=mediator
    )
    return get_incident_log().list_shifts(first_day=from_, last_day=to, **filters)

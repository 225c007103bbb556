"""My follow-ups ("Mes suivis"): the open ones assigned to me, overdue first.

Each is done in one tap, or cancelled saying why.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from incidents import values
from incidents.application import WriteResult
from incidents.errors import (
    ConcurrentWriteError,
    FollowUpNotScheduledError,
    RuleViolationError,
)
from incidents.permissions import Action, visible_offices
from incidents.vocabulary import FollowUpStatus
from web import get_incident_log
from web.pages.auth import allowed, safe_next, signed_in_person
from web.pages.hints import flash_contact_hints
from web.pages.mediator.blueprint import bp, incident_url
from web.pages.mediator.fields import text_field
from web.pages.mediator.submitting import VersionedForm, refusal_message, submit
from web.usecases.read_your_writes import fresh_read_models
from web.usecases.scope import visible_incident


class CancelFollowUpForm(VersionedForm):
    reason = text_field(
        _l("Pourquoi l'annuler ?"),
        max_length=values.REASON_MAX,
        required=_l("Dites pourquoi ce suivi est annulé."),
        rows=2,
    )


@bp.get("/mes-suivis")
@allowed(Action.RECORD)
def my_follow_ups() -> ResponseReturnValue:
    """List the open follow-ups assigned to the signed-in person, overdue first."""
    offices = visible_offices(signed_in_person())
    board = fresh_read_models().follow_up_board(
        offices=None if offices is None else sorted(offices)
    )
    # The board is ordered by due date, so the overdue ones come first.
    items = [
        {**item, "due_on": date.fromisoformat(str(item["due_on"]))}
        for item in board["items"]
        if item["assignee"] == current_user.name
    ]
    names = {
        office["code"]: office["name"] for office in get_incident_log().list_offices()
    }
    return render_template(
        "pages/mediator/my_follow_ups.html",
        items=items,
        overdue=sum(1 for item in items if item["overdue"]),
        office_names=names,
        incident_url=incident_url,
    )


def follow_ups_return() -> str:
    """Return where to go after a follow-up action: ``next`` if local, else mine."""
    return safe_next(request.values.get("next"), url_for("mediator.my_follow_ups"))


@bp.post("/incidents/<uuid:incident_id>/suivis/<uuid:follow_up_id>/fait")
@allowed(Action.RECORD)
def complete_follow_up(incident_id: UUID, follow_up_id: UUID) -> ResponseReturnValue:
    """Mark a follow-up as done, in one tap."""
    find_follow_up(incident_id, follow_up_id)
    try:
        get_incident_log().complete_follow_up(
            incident_id, follow_up_id, actor=current_user.name
        )
    except (RuleViolationError, ConcurrentWriteError) as error:
        flash(refusal_message(error), "warning")
    else:
        flash(_("Suivi fait"), "success")
    return redirect(follow_ups_return(), 303)


@bp.route(
    "/incidents/<uuid:incident_id>/suivis/<uuid:follow_up_id>/annulation",
    methods=["GET", "POST"],
)
@allowed(Action.RECORD)
def cancel_follow_up(incident_id: UUID, follow_up_id: UUID) -> ResponseReturnValue:
    """Cancel a follow-up, saying why."""
    incident, follow_up = find_follow_up(incident_id, follow_up_id)
    if follow_up["status"] != FollowUpStatus.SCHEDULED.value:
        flash(
            refusal_message(
                FollowUpNotScheduledError(follow_up_id, follow_up["status"])
            ),
            "warning",
        )
        return redirect(follow_ups_return(), 303)
    form = CancelFollowUpForm()

    def cancel(**kwargs: Any) -> WriteResult:
        return get_incident_log().cancel_follow_up(
            incident_id, follow_up_id, reason=form.reason.data, **kwargs
        )

    outcome = submit(form, incident, cancel)
    if outcome.stored:
        flash(_("Suivi annulé"), "success")
        flash_contact_hints({"reason": form.reason.data})
        return redirect(follow_ups_return(), 303)
    page = render_template(
        "pages/mediator/cancel_follow_up.html",
        form=form,
        incident=incident,
        follow_up=follow_up,
        refusal=outcome.refusal,
    )
    return page, outcome.status


def find_follow_up(
    incident_id: UUID, follow_up_id: UUID
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the incident and its follow-up, or 404 outside the person's offices."""
    incident = visible_incident(signed_in_person(), incident_id)
    for follow_up in incident["follow_ups"]:
        if follow_up["id"] == follow_up_id:
            return incident, follow_up
    abort(404)

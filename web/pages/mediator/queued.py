"""What the phone's outbox sends: reports and de-escalations kept while offline.

The outbox posts the very forms of the report and de-escalation pages (same
fields, same checks, the person's session and a CSRF token) and is answered in
JSON: 201 stored, 200 already stored (so a retry is harmless), 409 refused by a
rule or the same id with another report, 422 a value not accepted, each with
its message in the person's language for the outbox to show. A report keeps its
client id and the time the phone recorded; its office is the one the page
showed when it was typed. The page that follows a report kept on the phone
(``/hors-ligne/suite``) is kept by the service worker and filled in from the
outbox.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast
from uuid import UUID

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from incidents.errors import (
    IncidentNotFoundError,
    InvalidInputError,
    RuleViolationError,
    StaleVersionError,
)
from incidents.permissions import Action
from incidents.vocabulary import Status
from web import get_incident_log
from web.pages.auth import allowed, signed_in_person
from web.pages.home import covered_offices
from web.pages.mediator.after_report import DeEscalationForm
from web.pages.mediator.blueprint import bp
from web.pages.mediator.report import ReportForm, store_report
from web.pages.mediator.submitting import (
    CLOSED,
    NOT_ACCEPTED,
    refusal_message,
)
from web.pages.offline import field_errors, outbox_answer, person_waits
from web.usecases.read_your_writes import wait_for_read_models
from web.usecases.scope import visible_incident

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def for_outbox(view: F) -> F:
    """Answer 401 or 403 in JSON, not with the sign-in page: the outbox waits."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not current_user.is_authenticated:
            return outbox_answer(401, message=_("Connectez-vous pour envoyer."))
        if not current_user.may(Action.RECORD):
            return outbox_answer(
                403, message=_("Votre rôle ne permet pas de signaler.")
            )
        return view(*args, **kwargs)

    return cast("F", wrapper)


@bp.post("/hors-ligne/signalements")
@for_outbox
def queued_report() -> ResponseReturnValue:
    """Store a report the phone kept, once, in the office its page showed."""
    form = ReportForm()
    office = request.form.get("office", "")
    if office not in {item["code"] for item in covered_offices()}:
        return outbox_answer(
            422,
            message=_("Ce bureau n'est pas l'un des vôtres."),
            errors={"office": [_("Ce bureau n'est pas l'un des vôtres.")]},
        )
    if not form.validate_on_submit():
        return outbox_answer(
            422, message=str(NOT_ACCEPTED), errors=field_errors(form.errors)
        )
    outcome = store_report(form, office, queued=True, announce=person_waits())
    if not outcome.stored:
        return outbox_answer(outcome.status, message=outcome.refusal)
    return outbox_answer(
        201 if outcome.created else 200,
        incident_id=form.report_id.data,
        version=outcome.version,
    )


@bp.post("/hors-ligne/incidents/<uuid:incident_id>/desescalades")
@for_outbox
def queued_de_escalation(incident_id: UUID) -> ResponseReturnValue:
    """Record a de-escalation the phone kept, once, at the version it expects.

    The outbox gives the version the incident had when the de-escalation was
    logged on the phone. If the incident has moved on, and its next event is
    this very de-escalation by this person (an earlier send whose answer was
    lost), it is already stored: 200. Anything else that changed it is a
    conflict, shown to the mediator.
    """
    try:
        incident = visible_incident(signed_in_person(), incident_id)
    except IncidentNotFoundError:
        return outbox_answer(404, message=_("Cet incident est introuvable."))
    form = DeEscalationForm()
    if not form.validate_on_submit():
        return outbox_answer(
            422, message=str(NOT_ACCEPTED), errors=field_errors(form.errors)
        )
    expected = form.expected_version()
    if already_recorded(incident_id, expected, form):
        return outbox_answer(200, incident_id=incident_id, version=incident["version"])
    if incident["status"] != Status.OPEN.value:
        return outbox_answer(409, message=str(CLOSED))
    try:
        result = get_incident_log().record_de_escalation(
            incident_id,
            techniques=form.techniques.data,
            outcome=form.outcome.data,
            note=form.note.data or None,
            actor=current_user.name,
            expected_version=expected,
        )
    except StaleVersionError as error:
        if already_recorded(incident_id, expected, form):
            return outbox_answer(200, incident_id=incident_id)
        return outbox_answer(409, message=refusal_message(error))
    except RuleViolationError as error:
        return outbox_answer(409, message=refusal_message(error))
    except InvalidInputError:
        return outbox_answer(422, message=str(NOT_ACCEPTED))
    wait_for_read_models(result.position)
    if person_waits():
        flash(_("Désescalade enregistrée"), "success")
    return outbox_answer(
        201, incident_id=incident_id, version=result.incident["version"]
    )


def already_recorded(incident_id: UUID, expected: int, form: DeEscalationForm) -> bool:
    """Tell whether the event after ``expected`` is this person's de-escalation."""
    for event in get_incident_log().get_incident_history(incident_id):
        if event["version"] != expected + 1:
            continue
        data = event["data"]
        return bool(
            event["type"] == "DeEscalationRecorded"
            and event["actor"] == current_user.name
            and sorted(data.get("techniques") or []) == sorted(form.techniques.data)
            and data.get("outcome") == form.outcome.data
            and (data.get("note") or None) == (form.note.data or None)
        )
    return False


@bp.get("/hors-ligne/suite")
@allowed(Action.RECORD)
def queued_follow_on() -> ResponseReturnValue:
    """Show a report kept on the phone, and let a de-escalation follow it.

    The service worker keeps this page; the outbox fills it in with the
    report it names (never its contact) and keeps the de-escalation with it.
    """
    return render_template("pages/mediator/queued.html", form=DeEscalationForm())

"""What the phone's outbox sends: reports, de-escalations and follow-ups kept offline.

The outbox posts the very forms of the report, de-escalation and follow-up
pages (same fields, same checks, the person's session and a CSRF token) and is
answered in JSON: 201 stored, 200 already stored (so a retry is harmless), 409
refused by a rule or the same id with another report, 422 a value not accepted,
each with its message in the person's language for the outbox to show. A report
keeps its client id and the time the phone recorded; its office is the one the
page showed when it was typed. The page that follows a report kept on the phone
(``/hors-ligne/suite``) is kept by the service worker and filled in from the
outbox.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import timedelta
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
from web.pages.mediator.after_report import (
    FOLLOW_UP_DAYS,
    DeEscalationForm,
    FollowUpForm,
    assignee_choices,
)
from web.pages.mediator.blueprint import bp
from web.pages.mediator.clock import today
from web.pages.mediator.report import ReportForm, store_report
from web.pages.mediator.submitting import (
    CLOSED,
    NOT_ACCEPTED,
    refusal_message,
)
from web.pages.offline import field_errors, outbox_answer, person_waits
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
    return kept_write(
        incident,
        form.expected_version(),
        same_de_escalation(form),
        lambda expected: get_incident_log().record_de_escalation(
            incident_id,
            techniques=form.techniques.data,
            outcome=form.outcome.data,
            note=form.note.data or None,
            actor=current_user.name,
            expected_version=expected,
        ),
        done=_("Désescalade enregistrée"),
    )


@bp.post("/hors-ligne/incidents/<uuid:incident_id>/suivis")
@for_outbox
def queued_follow_up(incident_id: UUID) -> ResponseReturnValue:
    """Schedule a follow-up the phone kept, once, at the version it expects.

    As for a de-escalation: if the event after the expected version is this
    very follow-up by this person (same kind, due date and note), an earlier
    send was stored and its answer lost: 200. Anything else is a conflict.
    """
    try:
        incident = visible_incident(signed_in_person(), incident_id)
    except IncidentNotFoundError:
        return outbox_answer(404, message=_("Cet incident est introuvable."))
    form = FollowUpForm()
    form.assignee.choices = assignee_choices(incident["office"])
    if not form.validate_on_submit():
        return outbox_answer(
            422, message=str(NOT_ACCEPTED), errors=field_errors(form.errors)
        )
    return kept_write(
        incident,
        form.expected_version(),
        same_follow_up(form),
        lambda expected: get_incident_log().schedule_follow_up(
            incident_id,
            kind=form.kind.data,
            due_on=form.due_on.data,
            assignee=form.assignee.data or None,
            note=form.note.data or None,
            actor=current_user.name,
            expected_version=expected,
        ),
        done=_("Suivi prévu"),
    )


def kept_write(
    incident: dict[str, Any],
    expected: int,
    same: Same,
    write: Callable[[int], Any],
    *,
    done: str,
) -> ResponseReturnValue:
    """Store what the phone kept after an incident's ``expected`` version, once.

    Already stored by an earlier send whose answer was lost (the next event is
    this one, by this person): 200. The incident closed, or changed otherwise:
    409 with the reason. Stored now: 201, once the read models show it.
    """
    incident_id = incident["id"]
    if already_recorded(incident_id, expected, same):
        return outbox_answer(200, incident_id=incident_id, version=incident["version"])
    if incident["status"] != Status.OPEN.value:
        return outbox_answer(409, message=str(CLOSED))
    try:
        result = write(expected)
    except StaleVersionError as error:
        if already_recorded(incident_id, expected, same):
            return outbox_answer(200, incident_id=incident_id)
        return outbox_answer(409, message=refusal_message(error))
    except RuleViolationError as error:
        return outbox_answer(409, message=refusal_message(error))
    except InvalidInputError:
        return outbox_answer(422, message=str(NOT_ACCEPTED))
    if person_waits():
        flash(done, "success")
    return outbox_answer(
        201, incident_id=incident_id, version=result.incident["version"]
    )


Same = Callable[[Mapping[str, Any]], bool]


def same_de_escalation(form: DeEscalationForm) -> Same:
    """Match the event of this very de-escalation."""

    def same(event: Mapping[str, Any]) -> bool:
        data = event["data"]
        return bool(
            event["type"] == "DeEscalationRecorded"
            and sorted(data.get("techniques") or []) == sorted(form.techniques.data)
            and data.get("outcome") == form.outcome.data
            and (data.get("note") or None) == (form.note.data or None)
        )

    return same


def same_follow_up(form: FollowUpForm) -> Same:
    """Match the event of this very follow-up."""

    def same(event: Mapping[str, Any]) -> bool:
        data = event["data"]
        due_on = data.get("due_on")
        return bool(
            event["type"] == "FollowUpScheduled"
            and data.get("kind") == form.kind.data
            and due_on is not None
            and form.due_on.data is not None
            and str(due_on) == form.due_on.data.isoformat()
            and (data.get("note") or None) == (form.note.data or None)
        )

    return same


def already_recorded(incident_id: UUID, expected: int, same: Same) -> bool:
    """Tell whether the event after ``expected`` is this person's very item."""
    for event in get_incident_log().get_incident_history(incident_id):
        if event["version"] == expected + 1:
            return event["actor"] == current_user.name and same(event)
    return False


@bp.get("/hors-ligne/suite")
@allowed(Action.RECORD)
def queued_follow_on() -> ResponseReturnValue:
    """Show a report kept on the phone, and let a de-escalation or follow-up follow it.

    The service worker keeps this page; the outbox fills it in with the
    report it names (never its contact) and keeps what follows it. The
    follow-up is offered to the person or to nobody yet: the others who record
    in the report's office are not known on the phone.
    """
    follow_up = FollowUpForm()
    follow_up.assignee.choices = [
        choice
        for choice in assignee_choices("")
        if choice.value in {current_user.name, ""}
    ]
    follow_up.assignee.data = current_user.name
    # Its note beside the de-escalation's: same name, an id of its own.
    follow_up.note.id = "follow-up-note"
    follow_up.due_on.render_kw = {"min": today().isoformat()}
    follow_up.due_on.data = today() + timedelta(days=FOLLOW_UP_DAYS)
    return render_template(
        "pages/mediator/queued.html", form=DeEscalationForm(), follow_up=follow_up
    )

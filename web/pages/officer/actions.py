"""Act on an incident: each action its own small form and page.

Every write carries the version the page showed, goes through the incident
log, then waits for the read models before redirecting (Post/Redirect/Get).
A change made meanwhile is shown, never silently written over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import TextAreaField

from incidents.application import IncidentLog, WriteResult
from incidents.errors import (
    ConcurrentWriteError,
    FollowUpsStillScheduledError,
    IncidentAlreadyOpenError,
    IncidentClosedError,
    InvalidInputError,
    NothingToChangeError,
    RuleViolationError,
    StaleVersionError,
)
from incidents.permissions import Action
from incidents.vocabulary import Status
from web import get_incident_log
from web.pages.auth import allowed, signed_in_person
from web.pages.hints import flash_contact_hints
from web.pages.officer.blueprint import bp
from web.pages.officer.filters import fill
from web.pages.officer.forms import (
    ActionForm,
    AmendForm,
    CloseForm,
    NoteForm,
    ReassessForm,
    ReopenForm,
    to_minute,
)
from web.usecases.scope import visible_incident

CHANGED_MEANWHILE = _l(
    "L'incident a changé entre-temps : relisez-le ci-dessous, puis renvoyez le "
    "formulaire si votre action vaut toujours."
)
NOTHING_CHANGED = _l("Rien n'a changé.")
INCOMPLETE_FORM = _l("Le formulaire est incomplet : rechargez la page.")


Command = Callable[[IncidentLog, UUID, Any, dict[str, Any], str], WriteResult]


@dataclass(frozen=True)
class Step:
    """One action on an incident: its form, its command and its messages."""

    endpoint: str
    form: type[ActionForm]
    title: LazyString
    done: LazyString
    command: Command
    action: Action = Action.RECORD
    nothing_to_change: LazyString | None = None
    when_open: bool | None = True  # None: open or closed.

    def initial(self, incident: Mapping[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {"expected_version": incident["version"]}
        if self.form is AmendForm:
            data.update(
                {name: incident[name] for name in ("category", "target", "summary")},
                trigger=incident["trigger"] or "",
                occurred_at=to_minute(incident["occurred_at"]),
            )
        if self.form is ReassessForm:
            data["severity"] = incident["severity"]
        return data

    def available(self, incident: Mapping[str, Any]) -> bool:
        if not current_user.may(self.action):
            return False
        is_open = incident["status"] == Status.OPEN.value
        return self.when_open is None or self.when_open == is_open


def _reassess(
    log: IncidentLog, incident_id: UUID, form: Any, _incident: Any, actor: str
) -> WriteResult:
    return log.reassess_severity(
        incident_id,
        actor=actor,
        severity=form.severity.data,
        reason=form.reason.data.strip(),
        expected_version=form.expected_version.data,
    )


def _amend(
    log: IncidentLog,
    incident_id: UUID,
    form: Any,
    incident: dict[str, Any],
    actor: str,
) -> WriteResult:
    changes = form.changes(incident)
    if not changes:
        raise NothingToChangeError("Nothing changed on the form.")
    return log.amend_incident(
        incident_id,
        actor=actor,
        changes=changes,
        reason=form.reason.data.strip(),
        expected_version=form.expected_version.data,
    )


def _add_note(
    log: IncidentLog, incident_id: UUID, form: Any, _incident: Any, actor: str
) -> WriteResult:
    return log.add_note(
        incident_id,
        actor=actor,
        text=form.text.data.strip(),
        expected_version=form.expected_version.data,
    )


def _close(
    log: IncidentLog, incident_id: UUID, form: Any, _incident: Any, actor: str
) -> WriteResult:
    return log.close_incident(
        incident_id,
        actor=actor,
        resolution=form.resolution.data,
        note=(form.note.data or "").strip() or None,
        expected_version=form.expected_version.data,
    )


def _reopen(
    log: IncidentLog, incident_id: UUID, form: Any, _incident: Any, actor: str
) -> WriteResult:
    return log.reopen_incident(
        incident_id,
        actor=actor,
        reason=form.reason.data.strip(),
        expected_version=form.expected_version.data,
    )


REASSESS = Step(
    "officer.reassess",
    ReassessForm,
    _l("Réévaluer la gravité"),
    _l("Gravité réévaluée."),
    _reassess,
    nothing_to_change=_l("L'incident a déjà cette gravité : choisissez-en une autre."),
)
AMEND = Step(
    "officer.amend",
    AmendForm,
    _l("Rectifier le signalement"),
    _l("Rectification enregistrée ; l'original reste dans l'historique."),
    _amend,
    nothing_to_change=_l("Rien n'a changé : modifiez au moins un champ."),
)
ADD_NOTE = Step(
    "officer.add_note",
    NoteForm,
    _l("Ajouter une note"),
    _l("Note ajoutée."),
    _add_note,
    when_open=None,
)
CLOSE = Step(
    "officer.close",
    CloseForm,
    _l("Clore l'incident"),
    _l("Incident clos."),
    _close,
    action=Action.CLOSE,
)
REOPEN = Step(
    "officer.reopen",
    ReopenForm,
    _l("Rouvrir l'incident"),
    _l("Incident rouvert."),
    _reopen,
    action=Action.CLOSE,
    when_open=False,
)
STEPS = (REASSESS, AMEND, ADD_NOTE, CLOSE, REOPEN)


def action_forms(incident: dict[str, Any]) -> dict[str, tuple[Step, ActionForm]]:
    """Return the forms the person may use on the incident now, by endpoint."""
    return {
        step.endpoint: (step, step.form(formdata=None, data=step.initial(incident)))
        for step in STEPS
        if step.available(incident)
    }


def act(incident_id: UUID, step: Step) -> ResponseReturnValue:
    """Show an action's form (GET), or run it (POST) and go back to the incident."""
    user = signed_in_person()
    incident = visible_incident(user, incident_id)
    form = step.form(data=step.initial(incident))
    status, problem = 200, None
    if request.method == "POST":
        if not form.validate():
            status = 422
            if form.expected_version.errors:
                problem = str(INCOMPLETE_FORM)
        else:
            try:
                step.command(
                    get_incident_log(), incident_id, form, incident, current_user.name
                )
            except StaleVersionError:
                status, problem = 409, str(CHANGED_MEANWHILE)
                incident = get_incident_log().get_incident(incident_id)
                fill(form.expected_version, incident["version"])
            except NothingToChangeError:
                status, problem = 422, str(step.nothing_to_change or NOTHING_CHANGED)
            except RuleViolationError as error:
                status, problem = 409, _refusal(error)
            except InvalidInputError:
                status, problem = (
                    422,
                    _("Une valeur n'est pas acceptée : vérifiez le formulaire."),
                )
            except ConcurrentWriteError:
                status, problem = 409, _("L'incident change en ce moment : réessayez.")
            else:
                flash(str(step.done), "success")
                _warn_about_contact_details(form)
                return redirect(url_for(".incident", incident_id=incident_id), 303)
    return (
        render_template(
            "pages/officer/action.html",
            step=step,
            form=form,
            incident=incident,
            problem=problem,
        ),
        status,
    )


def _refusal(error: RuleViolationError) -> str:
    if isinstance(error, FollowUpsStillScheduledError):
        message = _(
            "Cet incident a encore %(count)s suivi(s) prévu(s) : faites-les ou "
            "annulez-les avant de le clore.",
            count=error.count,
        )
    elif isinstance(error, IncidentClosedError):
        message = _(
            "Cet incident est clos : on peut seulement y ajouter une note "
            "ou le rouvrir."
        )
    elif isinstance(error, IncidentAlreadyOpenError):
        message = _("Cet incident est déjà ouvert.")
    else:
        message = _("Cette action n'est pas possible dans l'état actuel de l'incident.")
    return str(message)


def _warn_about_contact_details(form: ActionForm) -> None:
    flash_contact_hints(
        {
            name: field.data
            for name, field in form._fields.items()
            if isinstance(field, TextAreaField) and field.data
        }
    )


@bp.route("/incidents/<uuid:incident_id>/gravite", methods=["GET", "POST"])
@allowed(Action.RECORD)
def reassess(incident_id: UUID) -> ResponseReturnValue:
    """Reassess the severity of an incident, saying why."""
    return act(incident_id, REASSESS)


@bp.route("/incidents/<uuid:incident_id>/rectification", methods=["GET", "POST"])
@allowed(Action.RECORD)
def amend(incident_id: UUID) -> ResponseReturnValue:
    """Correct what was reported, saying why; the original stays in history."""
    return act(incident_id, AMEND)


@bp.route("/incidents/<uuid:incident_id>/note", methods=["GET", "POST"])
@allowed(Action.RECORD)
def add_note(incident_id: UUID) -> ResponseReturnValue:
    """Add a note to an incident, open or closed."""
    return act(incident_id, ADD_NOTE)


@bp.route("/incidents/<uuid:incident_id>/cloture", methods=["GET", "POST"])
@allowed(Action.CLOSE)
def close(incident_id: UUID) -> ResponseReturnValue:
    """Close an incident with a resolution, once no follow-up is scheduled."""
    return act(incident_id, CLOSE)


@bp.route("/incidents/<uuid:incident_id>/reouverture", methods=["GET", "POST"])
@allowed(Action.CLOSE)
def reopen(incident_id: UUID) -> ResponseReturnValue:
    """Reopen a closed incident, saying why."""
    return act(incident_id, REOPEN)

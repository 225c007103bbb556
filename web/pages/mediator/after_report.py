"""After reporting: what was recorded, and one tap to each follow-on action.

A de-escalation, an escalation and a follow-up each have their own small form,
shown inside the after-report page when htmx asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from incidents.application import WriteResult
from incidents.permissions import Action, covers
from incidents.vocabulary import Role, Status
from web import get_incident_log
from web.pages.auth import allowed, signed_in_person
from web.pages.hints import contact_hints, flash_contact_hints
from web.pages.htmx import partial_wanted
from web.pages.limits import within_calendar
from web.pages.mediator.blueprint import bp, incident_url
from web.pages.mediator.clock import today
from web.pages.mediator.fields import UNKNOWN_CHOICE, note_field, tiles_field
from web.pages.mediator.submitting import CLOSED, Outcome, VersionedForm, submit
from web.usecases.labels import label
from web.usecases.scope import visible_incident

FOLLOW_UP_DAYS = 7
# Roles to whom a follow-up can be assigned: those who record events.
ASSIGNABLE_ROLES = (Role.MEDIATOR.value, Role.OFFICER.value)


class DeEscalationForm(VersionedForm):
    techniques = tiles_field(
        _l("Ce qui a été tenté"),
        "technique",
        required=_l("Cochez au moins une technique."),
        multiple=True,
    )
    outcome = tiles_field(
        _l("Résultat"), "outcome", required=_l("Choisissez le résultat.")
    )
    note = note_field()


class EscalationForm(VersionedForm):
    to = tiles_field(
        _l("Remonté à"),
        "escalation_target",
        required=_l("Choisissez à qui l'incident est remonté."),
    )
    note = note_field()


class FollowUpForm(VersionedForm):
    kind = tiles_field(
        _l("Type de suivi"),
        "follow_up_kind",
        required=_l("Choisissez le type de suivi."),
    )
    due_on = DateField(
        _l("À faire pour le"),
        validators=[InputRequired(_l("Donnez une date.")), within_calendar],
        invalid_value_message=_l("Une date, comme 09/03/2026."),
    )
    assignee = SelectField(
        _l("Confié à"), validators=[Optional()], invalid_choice_message=UNKNOWN_CHOICE
    )
    note = note_field()

    def validate_due_on(self, field: DateField) -> None:
        if field.data is not None and field.data < today():
            raise ValidationError(_("La date ne peut pas être passée."))


@bp.get("/incidents/<uuid:incident_id>/suite")
@allowed(Action.RECORD)
def after_report(incident_id: UUID) -> ResponseReturnValue:
    """Show what was reported, and the actions that usually follow."""
    incident = visible_incident(signed_in_person(), incident_id)
    return render_template(
        "pages/mediator/after_report.html",
        incident=incident,
        office=get_incident_log().get_office(incident["office"]),
        hints=contact_hints(reported_texts(incident)),
        recorded=recorded_lines(incident),
        amend_url=url_for("officer.amend", incident_id=incident_id),
        incident_url=incident_url(incident_id),
        is_open=incident["status"] == Status.OPEN.value,
    )


@bp.route("/incidents/<uuid:incident_id>/desescalade", methods=["GET", "POST"])
@allowed(Action.RECORD)
def de_escalate(incident_id: UUID) -> ResponseReturnValue:
    """Log a de-escalation attempt: what was tried and how it ended."""
    incident = visible_incident(signed_in_person(), incident_id)
    form = DeEscalationForm()

    def record(**kwargs: Any) -> WriteResult:
        return get_incident_log().record_de_escalation(
            incident_id,
            techniques=form.techniques.data,
            outcome=form.outcome.data,
            note=form.note.data or None,
            **kwargs,
        )

    return incident_action(
        incident,
        form,
        record,
        template="pages/mediator/_de_escalation_form.html",
        title=_("Désescalade"),
        done=_("Désescalade enregistrée"),
        texts={"note": form.note.data},
    )


@bp.route("/incidents/<uuid:incident_id>/escalade", methods=["GET", "POST"])
@allowed(Action.RECORD)
def escalate(incident_id: UUID) -> ResponseReturnValue:
    """Escalate an incident to the manager, security, police or emergency."""
    incident = visible_incident(signed_in_person(), incident_id)
    form = EscalationForm()

    def record(**kwargs: Any) -> WriteResult:
        return get_incident_log().escalate_incident(
            incident_id, to=form.to.data, note=form.note.data or None, **kwargs
        )

    return incident_action(
        incident,
        form,
        record,
        template="pages/mediator/_escalation_form.html",
        title=_("Escalade"),
        done=_("Escalade enregistrée"),
        texts={"note": form.note.data},
    )


@bp.route("/incidents/<uuid:incident_id>/suivis", methods=["GET", "POST"])
@allowed(Action.RECORD)
def schedule_follow_up(incident_id: UUID) -> ResponseReturnValue:
    """Schedule a follow-up, by default for the signed-in person in a week."""
    incident = visible_incident(signed_in_person(), incident_id)
    form = FollowUpForm()
    form.assignee.choices = assignee_choices(incident["office"])
    form.due_on.render_kw = {"min": today().isoformat()}
    if request.method == "GET":
        form.due_on.data = today() + timedelta(days=FOLLOW_UP_DAYS)
        form.assignee.data = current_user.name

    def record(**kwargs: Any) -> WriteResult:
        return get_incident_log().schedule_follow_up(
            incident_id,
            kind=form.kind.data,
            due_on=form.due_on.data,
            assignee=form.assignee.data or None,
            note=form.note.data or None,
            **kwargs,
        )

    return incident_action(
        incident,
        form,
        record,
        template="pages/mediator/_follow_up_form.html",
        title=_("Suivi"),
        done=_("Suivi prévu"),
        texts={"note": form.note.data},
    )


def incident_action(
    incident: dict[str, Any],
    form: VersionedForm,
    record: Callable[..., WriteResult],
    *,
    template: str,
    title: str,
    done: str,
    texts: Mapping[str, Any],
    **context: Any,
) -> ResponseReturnValue:
    """Show an action's form; on a valid post, record it and go back to the incident.

    Asked by htmx, the form comes alone, to be shown inside the after-report
    page; otherwise it is a page of its own.
    """
    incident_id: UUID = incident["id"]
    if incident["status"] == Status.OPEN.value:
        outcome = submit(form, incident, record)
    else:
        outcome = Outcome(409 if request.method == "POST" else 200, str(CLOSED))
    if outcome.stored:
        flash(done, "success")
        flash_contact_hints(texts)
        return redirect(url_for("mediator.after_report", incident_id=incident_id), 303)
    context.update(
        form=form,
        incident=incident,
        refusal=outcome.refusal,
        title=title,
        partial=template,
        inline=partial_wanted(),
        back_url=url_for("mediator.after_report", incident_id=incident_id),
    )
    if context["inline"]:
        return render_template(template, **context), outcome.status
    return render_template("pages/mediator/action.html", **context), outcome.status


def assignee_choices(office: str) -> list[SelectChoice]:
    """Offer the signed-in person first, then the others who record in the office."""
    me = current_user.name
    others = [
        person
        for person in get_incident_log().list_users()
        if person["is_active"]
        and person["role"] in ASSIGNABLE_ROLES
        and person["name"] != me
        and covers(person, office)
    ]
    return [
        SelectChoice(me, _("Moi (%(name)s)", name=current_user.shown_name)),
        *(
            SelectChoice(person["name"], person["display_name"] or person["name"])
            for person in others
        ),
        SelectChoice("", _("Personne pour l'instant")),
    ]


def recorded_lines(incident: Mapping[str, Any]) -> list[str]:
    """Say in one line each what was recorded after the report."""
    lines = [
        _(
            "Désescalade : %(techniques)s ; résultat : %(outcome)s",
            techniques=", ".join(
                label("technique", code) for code in item["techniques"]
            ),
            outcome=label("outcome", item["outcome"]),
        )
        for item in incident["de_escalations"]
    ]
    lines += [
        _("Escalade : %(to)s", to=label("escalation_target", item["to"]))
        for item in incident["escalations"]
    ]
    lines += [
        _(
            "Suivi « %(kind)s » pour le %(due)s : %(status)s",
            kind=label("follow_up_kind", item["kind"]),
            due=format_date(item["due_on"], "short"),
            status=label("follow_up_status", item["status"]),
        )
        for item in incident["follow_ups"]
    ]
    return lines


def reported_texts(incident: Mapping[str, Any]) -> dict[str, Any]:
    """Return the free texts of what was reported (the summary and parties)."""
    parties: Sequence[Mapping[str, Any]] = incident["parties"]
    return {
        "summary": incident["summary"],
        "parties": [{"description": party.get("description")} for party in parties],
    }

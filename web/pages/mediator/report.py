"""Report an incident in under a minute, once however many times it is sent.

The report form asks for four things, each one tap or one field (category,
severity, target, a short summary); the time, the trigger, the parties and the
visitor's contact are folded away. A report carries an id made when the form
was shown, so that sending it twice (a double tap, a retry after a timeout)
stores one incident.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
)
from wtforms.validators import NumberRange, Optional, Regexp, ValidationError

from incidents import values
from incidents.errors import InvalidInputError, ReportConflictError
from incidents.permissions import Action
from incidents.vocabulary import Role
from web import get_incident_log
from web.pages.auth import allowed
from web.pages.hints import contact_hints
from web.pages.home import chosen_office, covered_offices, office_chosen_at
from web.pages.limits import within_calendar
from web.pages.mediator.blueprint import bp
from web.pages.mediator.clock import PARIS, as_paris, now
from web.pages.mediator.fields import (
    UNKNOWN_CHOICE,
    optional_choices,
    text_field,
    tiles_field,
)
from web.pages.mediator.submitting import NOT_ACCEPTED, NOT_POSSIBLE, Outcome
from web.usecases.rota import current_shift

# Parties described on the report form; the API takes more, the form two rows.
PARTY_ROWS = 2
# A blank time means "when the form was opened", unless it sat open longer than
# this: then the time of sending is nearer the truth.
FRESH_FORM = timedelta(hours=1)
QUEUED_CONFLICT = _l(
    "Un autre signalement porte déjà cet identifiant : celui-ci n'a pas été "
    "enregistré. Saisissez-le à nouveau."
)
LOCAL_TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
PHONE_PATTERN = r"^\+?[0-9 ().-]{6,25}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class PartyForm(Form):  # type: ignore[misc]  # wtforms is untyped
    # Not optional: an empty role must still be checked against the other fields.
    role = SelectField(
        _l("Rôle"),
        choices=optional_choices("party_role"),
        default="",
        invalid_choice_message=UNKNOWN_CHOICE,
    )
    count = IntegerField(
        _l("Nombre"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=values.MAX_PARTY_COUNT,
                message=_l("Un nombre de 1 à %(max)s.", max=values.MAX_PARTY_COUNT),
            ),
        ],
        invalid_value_message=_l("Un nombre entier, comme 2."),
        render_kw={"inputmode": "numeric"},
    )
    description = text_field(
        _l("Description courte (sans nom)"), max_length=values.SHORT_TEXT_MAX
    )

    def validate_role(self, field: SelectField) -> None:
        if not field.data and (self.count.data or self.description.data):
            raise ValidationError(_("Choisissez qui est cette personne."))

    def as_party(self) -> dict[str, Any] | None:
        if not self.role.data:
            return None
        return {
            "role": self.role.data,
            "count": self.count.data or 1,
            "description": self.description.data or None,
        }


class ReportForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    report_id = HiddenField()
    opened_at = HiddenField()
    category = tiles_field(
        _l("Catégorie"), "category", required=_l("Choisissez une catégorie.")
    )
    severity = tiles_field(
        _l("Gravité"), "severity", required=_l("Choisissez une gravité.")
    )
    target = tiles_field(
        _l("Qui était visé ?"), "target", required=_l("Choisissez qui était visé.")
    )
    summary = text_field(
        _l("Ce qui s'est passé"),
        max_length=values.SUMMARY_MAX,
        required=_l("Décrivez en quelques mots ce qui s'est passé."),
        rows=3,
    )
    occurred_at = DateTimeLocalField(
        _l("Date et heure"),
        format=LOCAL_TIME_FORMATS,
        validators=[Optional(), within_calendar],
        invalid_value_message=_l("Une date et une heure, comme 02/03/2026 09:15."),
    )
    trigger = tiles_field(_l("Déclencheur"), "trigger")
    parties = FieldList(
        FormField(PartyForm), min_entries=PARTY_ROWS, max_entries=PARTY_ROWS
    )
    contact_name = text_field(
        _l("Nom"), max_length=values.SHORT_TEXT_MAX, autocomplete="off"
    )
    contact_phone = text_field(
        _l("Téléphone"),
        max_length=32,
        checks=[
            Regexp(
                PHONE_PATTERN,
                message=_l(
                    "Des chiffres, espaces, points ou tirets, avec un + au "
                    "début si besoin."
                ),
            )
        ],
        type="tel",
        autocomplete="off",
        inputmode="tel",
    )
    contact_email = text_field(
        _l("Adresse e-mail"),
        max_length=254,
        checks=[Regexp(EMAIL_PATTERN, message=_l("Une adresse comme nom@exemple.fr."))],
        type="email",
        autocomplete="off",
        inputmode="email",
    )

    def validate_occurred_at(self, field: DateTimeLocalField) -> None:
        if field.data is not None and as_paris(field.data) > now() + values.CLOCK_SKEW:
            raise ValidationError(_("L'heure ne peut pas être dans le futur."))

    def parties_given(self) -> list[dict[str, Any]]:
        found = (entry.form.as_party() for entry in self.parties)
        return [party for party in found if party is not None]

    def contact_given(self) -> dict[str, str] | None:
        contact = {
            "name": self.contact_name.data,
            "phone": self.contact_phone.data,
            "email": self.contact_email.data,
        }
        given = {name: value for name, value in contact.items() if value}
        return given or None

    def folded_errors(self) -> dict[str, bool]:
        """Tell which folded part holds an error, to show it unfolded."""
        return {
            "time": bool(self.occurred_at.errors),
            "more": bool(self.trigger.errors or self.parties.errors),
            "contact": bool(
                self.contact_name.errors
                or self.contact_phone.errors
                or self.contact_email.errors
            ),
        }


@bp.route("/signaler", methods=["GET", "POST"])
@allowed(Action.RECORD)
def report() -> ResponseReturnValue:
    """Report an incident in the office this device works in."""
    office, shift = office_for_report()
    if office is None:
        return redirect(
            url_for("pages.choose_office", next=url_for("mediator.report")), 303
        )
    form = ReportForm()
    form.summary.render_kw = {**form.summary.render_kw, **live_hint_attributes()}
    if request.method == "GET":
        form.report_id.data = str(uuid4())
        form.opened_at.data = now().isoformat(timespec="seconds")
    outcome = Outcome()
    if form.validate_on_submit():
        outcome = store_report(form, office)
        if outcome.stored:
            return redirect(
                url_for("mediator.after_report", incident_id=form.report_id.data), 303
            )
        flash(outcome.refusal or str(NOT_POSSIBLE), "error")
    elif request.method == "POST":
        outcome = Outcome(422)
    page = render_template(
        "pages/mediator/report.html",
        form=form,
        office=get_incident_log().get_office(office),
        folded_errors=form.folded_errors(),
        shift=shift,
        on_rota=current_user.role == Role.MEDIATOR.value,
    )
    return page, outcome.status


def office_for_report() -> tuple[str | None, dict[str, Any] | None]:
    """Return the office to report in, and the mediator's shift now, if any.

    The office of the shift a mediator is on comes first, unless an office was
    chosen on this device since that shift began (it is still changeable);
    outside any shift, the office chosen on this device.
    """
    shift = None
    if current_user.role == Role.MEDIATOR.value:
        shift = current_shift(current_user.name, now())
    if shift is not None and any(
        office["code"] == shift["office"] for office in covered_offices()
    ):
        began = datetime.combine(
            shift["day"], time.fromisoformat(shift["start"]), tzinfo=PARIS
        )
        chosen_at = office_chosen_at()
        if chosen_at is None or chosen_at < began or chosen_office() is None:
            return shift["office"], shift
    return chosen_office(), shift


def store_report(
    form: ReportForm, office: str, *, queued: bool = False, announce: bool = True
) -> Outcome:
    """Store the report once, however many times the same form is sent.

    ``queued``: the phone's outbox sends it; the same id with another body is
    then a conflict, never taken as done (the outbox shows it to the
    mediator). ``announce``: say on the next page that it was stored.
    """
    incident_id = report_id(form)
    parties = form.parties_given()
    try:
        result = get_incident_log().report_incident(
            actor=current_user.name,
            incident_id=incident_id,
            office=office,
            occurred_at=occurred_at(form),
            category=form.category.data,
            severity=int(form.severity.data),
            target=form.target.data,
            summary=form.summary.data,
            trigger=form.trigger.data or None,
            parties=parties,
            contact=form.contact_given(),
        )
    except ReportConflictError:
        stored = get_incident_log().get_incident(incident_id)
        if queued:
            return Outcome(409, str(QUEUED_CONFLICT))
        if stored["reported_by"] != current_user.name:
            refusal = _(
                "Ce signalement ne peut pas être enregistré : rechargez la page."
            )
            return Outcome(409, refusal)
        # The same form sent again after a change: the first report stands.
        flash(
            _("Ce signalement était déjà enregistré : il n'a pas été modifié."), "info"
        )
        return Outcome(303, stored=True)
    except InvalidInputError:
        return Outcome(422, str(NOT_ACCEPTED))
    if announce:
        flash(_("Incident enregistré"), "success")
    return Outcome(
        303, stored=True, created=result.created, version=result.incident["version"]
    )


def report_id(form: ReportForm) -> UUID:
    """Return the id the form was given when shown (a new one if it lost it)."""
    try:
        given = UUID(form.report_id.data or "")
    except ValueError:
        given = uuid4()
    form.report_id.data = str(given)
    return given


def occurred_at(form: ReportForm) -> datetime:
    """Return when the incident happened: as given, else when the form opened."""
    if form.occurred_at.data is not None:
        return as_paris(form.occurred_at.data)
    sent = now()
    try:
        opened = datetime.fromisoformat(form.opened_at.data or "")
    except ValueError:
        return sent
    if opened.tzinfo is None or not sent - FRESH_FORM <= opened <= sent:
        return sent
    return opened


@bp.post("/signaler/verification")
@allowed(Action.RECORD)
def check_text() -> ResponseReturnValue:
    """Say, as the summary is typed, whether it seems to hold contact details."""
    summary = request.form.get("summary", "")[: values.SUMMARY_MAX]
    return render_template(
        "pages/mediator/_text_hints.html", hints=contact_hints({"summary": summary})
    )


def live_hint_attributes() -> dict[str, str]:
    """Return the htmx attributes that check the summary as it is typed."""
    return {
        "hx-post": url_for("mediator.check_text"),
        "hx-trigger": "keyup changed delay:500ms",
        "hx-target": "#summary-live-hint",
        "hx-params": "summary",
        "hx-swap": "innerHTML",
    }

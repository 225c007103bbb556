"""Pages of the mediator: report in under a minute, then log what followed.

The report form asks for four things, each one tap or one field (category,
severity, target, a short summary); the time, the trigger, the parties and the
visitor's contact are folded away. A report carries an id made when the form
was shown, so that sending it twice (a double tap, a retry after a timeout)
stores one incident. After reporting, one tap opens each follow-on action:
a de-escalation, an escalation, a follow-up. "Mes suivis" lists the open
follow-ups assigned to the signed-in person, overdue first.

These pages never show a visitor's contact: they say only whether one was
recorded (the incident page shows it to those allowed, and records that).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import LazyString, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from incidents import values
from incidents.application import WriteResult
from incidents.errors import (
    ConcurrentWriteError,
    FollowUpNotScheduledError,
    IncidentClosedError,
    InvalidInputError,
    ReportConflictError,
    RuleViolationError,
    StaleVersionError,
)
from incidents.permissions import Action, covers, visible_offices
from incidents.vocabulary import FollowUpStatus, Role, Status
from web import get_incident_log, get_read_models
from web.pages.auth import allowed, safe_next, signed_in_person
from web.pages.hints import contact_hints, flash_contact_hints
from web.pages.home import chosen_office
from web.pages.htmx import partial_wanted
from web.pages.labels import VOCABULARY, label
from web.pages.limits import within_calendar
from web.usecases.read_your_writes import wait_for_read_models
from web.usecases.scope import visible_incident

bp = Blueprint("mediator", __name__)

PARIS = ZoneInfo("Europe/Paris")
# Parties described on the report form; the API takes more, the form two rows.
PARTY_ROWS = 2
# A blank time means "when the form was opened", unless it sat open longer than
# this: then the time of sending is nearer the truth.
FRESH_FORM = timedelta(hours=1)
FOLLOW_UP_DAYS = 7
LOCAL_TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
PHONE_PATTERN = r"^\+?[0-9 ().-]{6,25}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# Roles to whom a follow-up can be assigned: those who record events.
ASSIGNABLE_ROLES = (Role.MEDIATOR.value, Role.OFFICER.value)
VERSION_DIGITS = 18  # Far more than any incident's version.


def stripped(value: object) -> object:
    """Drop the blanks around a typed text (a text of blanks is no text)."""
    return value.strip() if isinstance(value, str) else value


UNKNOWN_CHOICE = _l("Choisissez parmi les propositions.")


def vocabulary_choices(kind: str) -> Callable[[], list[SelectChoice]]:
    """Return the choices of a vocabulary, labelled in the page's language."""

    def choices() -> list[SelectChoice]:
        return [
            SelectChoice(code, str(text)) for code, text in VOCABULARY[kind].items()
        ]

    return choices


def optional_choices(kind: str) -> Callable[[], list[SelectChoice]]:
    """Return a vocabulary's choices after a first, empty "not given" one."""

    def choices() -> list[SelectChoice]:
        return [SelectChoice("", _("Non précisé")), *vocabulary_choices(kind)()]

    return choices


class CheckboxTilesField(SelectMultipleField):  # type: ignore[misc]  # untyped
    """Offer several choices as checkboxes (rendered as tiles)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def tiles_field(
    label: LazyString,
    kind: str,
    *,
    required: LazyString | None = None,
    multiple: bool = False,
) -> Any:
    """Make a choice among a vocabulary's codes, one tile per code."""
    field_class = CheckboxTilesField if multiple else RadioField
    if required is None:
        return field_class(
            label,
            choices=optional_choices(kind),
            default="",
            validators=[Optional()],
            invalid_choice_message=UNKNOWN_CHOICE,
        )
    return field_class(
        label,
        choices=vocabulary_choices(kind),
        validators=[InputRequired(required)],
        invalid_choice_message=UNKNOWN_CHOICE,
    )


def text_field(
    label: LazyString,
    *,
    max_length: int,
    required: LazyString | None = None,
    rows: int | None = None,
    checks: Sequence[Any] = (),
    **render_kw: str,
) -> Any:
    """Make a text field (a text area when given rows), trimmed of blanks."""
    field_class = TextAreaField if rows else StringField
    attributes: dict[str, Any] = {"rows": rows} if rows else {}
    return field_class(
        label,
        filters=[stripped],
        validators=[
            Optional() if required is None else DataRequired(required),
            Length(
                max=max_length,
                message=_l("%(max)s caractères au plus.", max=max_length),
            ),
            *checks,
        ],
        render_kw={**attributes, **render_kw},
    )


def note_field() -> Any:
    return text_field(_l("Note (facultative)"), max_length=values.NOTE_MAX, rows=2)


# Forms.


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


class VersionedForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    # The version of the incident the page showed: a change made meanwhile is
    # then refused, never silently written over.
    version = HiddenField()

    def expected_version(self) -> int:
        raw = self.version.data or ""
        # ASCII digits only ("²" is a digit to str.isdigit, not to int), and
        # few enough for int() (it refuses more than 4,300).
        if not (raw.isascii() and raw.isdigit()) or len(raw) > VERSION_DIGITS:
            abort(400)
        return int(raw)


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


class CancelFollowUpForm(VersionedForm):
    reason = text_field(
        _l("Pourquoi l'annuler ?"),
        max_length=values.REASON_MAX,
        required=_l("Dites pourquoi ce suivi est annulé."),
        rows=2,
    )


# Reporting.


@bp.route("/signaler", methods=["GET", "POST"])
@allowed(Action.RECORD)
def report() -> ResponseReturnValue:
    """Report an incident in the office this device works in."""
    office = chosen_office()
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
    )
    return page, outcome.status


def store_report(form: ReportForm, office: str) -> Outcome:
    """Store the report once, however many times the same form is sent."""
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
    wait_for_read_models(result.position)
    flash(_("Incident enregistré"), "success")
    return Outcome(303, stored=True)


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


# After reporting: one tap to each follow-on action.


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


# My follow-ups.


@bp.get("/mes-suivis")
@allowed(Action.RECORD)
def my_follow_ups() -> ResponseReturnValue:
    """List the open follow-ups assigned to the signed-in person, overdue first."""
    offices = visible_offices(signed_in_person())
    board = get_read_models().follow_up_board(
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
        result = get_incident_log().complete_follow_up(
            incident_id, follow_up_id, actor=current_user.name
        )
    except (RuleViolationError, ConcurrentWriteError) as error:
        flash(refusal_message(error), "warning")
    else:
        wait_for_read_models(result.position)
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


@dataclass(frozen=True)
class Outcome:
    """Say what came of a form: its answer's status, and why it was refused."""

    status: int = 200
    refusal: str | None = None
    stored: bool = False


def submit(
    form: VersionedForm,
    incident: Mapping[str, Any],
    command: Callable[..., WriteResult],
) -> Outcome:
    """Run the command of a valid posted form, with the version the page showed.

    On GET, the form takes the incident's version. Once stored, the read models
    are waited for, so that the next page shows the change.
    """
    if request.method == "GET":
        form.version.data = str(incident["version"])
        return Outcome()
    if not form.validate_on_submit():
        return Outcome(422)
    try:
        result = command(
            actor=current_user.name, expected_version=form.expected_version()
        )
    except StaleVersionError as error:
        # Shown again with the version now stored: sending it again is a choice.
        current = get_incident_log().get_incident(incident["id"])
        form.version.data = str(current["version"])
        return Outcome(409, refusal_message(error))
    except (RuleViolationError, ConcurrentWriteError) as error:
        return Outcome(409, refusal_message(error))
    except InvalidInputError:
        return Outcome(422, str(NOT_ACCEPTED))
    wait_for_read_models(result.position)
    return Outcome(303, stored=True)


def find_follow_up(
    incident_id: UUID, follow_up_id: UUID
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the incident and its follow-up, or 404 outside the person's offices."""
    incident = visible_incident(signed_in_person(), incident_id)
    for follow_up in incident["follow_ups"]:
        if follow_up["id"] == follow_up_id:
            return incident, follow_up
    abort(404)


# Helpers.


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().astimezone(PARIS).date()


def as_paris(moment: datetime) -> datetime:
    """Read a time typed on a page as Paris time (the offices are in France)."""
    return moment.replace(tzinfo=PARIS).astimezone(UTC)


def incident_url(incident_id: UUID) -> str:
    """Return the address of the incident's own page."""
    return url_for("officer.incident", incident_id=incident_id)


CLOSED = _l("Cet incident est clos : on ne peut plus que lui ajouter des notes.")
# Why the log refused a change, by kind of refusal (subclasses first).
REFUSALS: tuple[tuple[type[Exception], LazyString], ...] = (
    (IncidentClosedError, CLOSED),
    (
        FollowUpNotScheduledError,
        _l("Ce suivi n'est plus prévu : il a déjà été fait ou annulé."),
    ),
    (
        StaleVersionError,
        _l(
            "L'incident a changé entre-temps. Vérifiez ce qui est enregistré, "
            "puis renvoyez le formulaire."
        ),
    ),
    (
        ConcurrentWriteError,
        _l(
            "L'incident est modifié en ce moment par quelqu'un d'autre : "
            "renvoyez le formulaire dans un instant."
        ),
    ),
)
NOT_POSSIBLE = _l("Cette action n'est pas possible dans l'état actuel de l'incident.")
NOT_ACCEPTED = _l("Une valeur n'est pas acceptée : vérifiez le formulaire.")


def refusal_message(error: Exception) -> str:
    """Say in French why the log refused a change."""
    for kind, message in REFUSALS:
        if isinstance(error, kind):
            return str(message)
    return str(NOT_POSSIBLE)


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


# Personal data in free text: a hint to move it into the contact.


def reported_texts(incident: Mapping[str, Any]) -> dict[str, Any]:
    """Return the free texts of what was reported (the summary and parties)."""
    parties: Sequence[Mapping[str, Any]] = incident["parties"]
    return {
        "summary": incident["summary"],
        "parties": [{"description": party.get("description")} for party in parties],
    }

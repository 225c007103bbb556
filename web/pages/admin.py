"""Pages of the admin: people, roles, office scopes, passwords, tokens, erasure.

Every change is one small form posted to its own address, then Post/Redirect/
Get with a message; a refused form is shown again with its messages (422 for
bad input, 409 when the state forbids it) and nothing is changed. A new API
token's secret is shown once, on the page answering the post that issued it:
never flashed into the session, logged or shown again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from incidents import values
from incidents.access import ROLES_WITH_EVERY_OFFICE
from incidents.application import PASSWORD_MAX, PASSWORD_MIN
from incidents.errors import (
    IncidentNotFoundError,
    InvalidInputError,
    NothingToChangeError,
    NothingToEraseError,
    RuleViolationError,
    StaleVersionError,
    UserAlreadyExistsError,
    UserNotFoundError,
)
from incidents.permissions import Action
from incidents.personal_data import contact_details_in
from incidents.vocabulary import Role
from web import get_incident_log
from web.pages import labels
from web.pages.auditor import incident_url, whole_incident_id
from web.pages.auth import allowed, signed_in_person
from web.usecases.read_your_writes import wait_for_read_models
from web.usecases.scope import visible_incident

bp = Blueprint("administration", __name__)

ROLE_CODES = [role.value for role in Role]


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]  # wtforms is untyped
    """Choose any number of options, each a checkbox."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _offices_field() -> CheckboxesField:
    return CheckboxesField(
        _l("Bureaux couverts"),
        choices=[],
        validate_choice=False,  # Checked against the catalogue, in French, below.
    )


def _role_field(label: Any) -> RadioField:
    return RadioField(
        label,
        choices=[],
        validate_choice=False,
        validators=[
            InputRequired(_l("Choisissez un rôle.")),
            AnyOf(ROLE_CODES, message=_l("Choisissez un rôle de la liste.")),
        ],
    )


def _reason_field(label: Any) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(_l("Donnez le motif.")),
            Length(
                max=values.REASON_MAX,
                message=_l("%(max)d caractères au plus.", max=values.REASON_MAX),
            ),
        ],
        render_kw={"rows": 3},
    )


def _password_field(label: Any) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(_l("Donnez un mot de passe.")),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l(
                    "De %(min)d à %(max)d caractères.",
                    min=PASSWORD_MIN,
                    max=PASSWORD_MAX,
                ),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _password_again_field(first: str) -> PasswordField:
    return PasswordField(
        _l("Le même mot de passe, une seconde fois"),
        validators=[
            InputRequired(_l("Tapez le mot de passe une seconde fois.")),
            EqualTo(first, message=_l("Les deux mots de passe diffèrent.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class OfficesMixin:
    def prepare_offices(self, field: CheckboxesField) -> None:
        field.choices = [
            (office["code"], f"{office['name']} ({office['city']})")
            for office in get_incident_log().list_offices()
        ]

    @staticmethod
    def check_offices(field: CheckboxesField) -> None:
        known = {code for code, _text in field.choices}
        if any(code not in known for code in field.data or []):
            raise ValidationError(_l("Cochez des bureaux de la liste."))


class AddPersonForm(OfficesMixin, FlaskForm):  # type: ignore[misc]  # flask-wtf
    name = StringField(
        _l("Identifiant"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Donnez un identifiant.")),
            Regexp(
                r"^[a-z0-9._-]{2,64}$",
                message=_l(
                    "De 2 à 64 caractères : lettres minuscules sans accent, "
                    "chiffres, point, tiret ou tiret bas."
                ),
            ),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "none"},
    )
    display_name = StringField(
        _l("Nom affiché"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(
                max=values.SHORT_TEXT_MAX,
                message=_l("%(max)d caractères au plus.", max=values.SHORT_TEXT_MAX),
            ),
        ],
    )
    role = _role_field(_l("Rôle"))
    offices = _offices_field()
    password = _password_field(_l("Mot de passe initial"))
    password_again = _password_again_field("password")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = labels.choices("role")
        self.prepare_offices(self.offices)

    def validate_offices(self, field: CheckboxesField) -> None:
        self.check_offices(field)


class RoleForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    role = _role_field(_l("Nouveau rôle"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = labels.choices("role")


class OfficesForm(OfficesMixin, FlaskForm):  # type: ignore[misc]  # flask-wtf
    offices = _offices_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepare_offices(self.offices)

    def validate_offices(self, field: CheckboxesField) -> None:
        self.check_offices(field)


class PasswordForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    new_password = _password_field(_l("Nouveau mot de passe"))
    new_password_again = _password_again_field("new_password")


class DeactivationForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    deactivation_reason = _reason_field(_l("Motif de la désactivation"))


class TokenForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    token_label = StringField(
        _l("Libellé du jeton"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(
                max=values.SHORT_TEXT_MAX,
                message=_l("%(max)d caractères au plus.", max=values.SHORT_TEXT_MAX),
            ),
        ],
    )


class RevocationForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    revocation_reason = _reason_field(_l("Motif de la révocation"))


class ErasureForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    incident = StringField(
        _l("Identifiant de l'incident"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Donnez l'identifiant de l'incident.")),
            whole_incident_id,
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    reason = _reason_field(_l("Motif de l'effacement"))
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    confirmed = HiddenField()


# People.


@bp.route("/personnes", methods=["GET", "POST"])
@allowed(Action.ADMINISTER)
def people() -> ResponseReturnValue:
    """List the people, and add one."""
    form = AddPersonForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                get_incident_log().register_user(
                    actor=current_user.name,
                    name=form.name.data,
                    role=form.role.data,
                    offices=form.offices.data or None,
                    display_name=form.display_name.data or None,
                    password=form.password.data,
                )
            except UserAlreadyExistsError:
                form.name.errors.append(_("Cet identifiant est déjà pris."))
                status = 409
            except InvalidInputError as error:
                _refused(form, error)
            else:
                _shown()
                flash(_("Le compte %(name)s est créé.", name=form.name.data), "success")
                return redirect(url_for(".person", name=form.name.data), 303)
    return render_template(
        "pages/admin/people.html",
        form=form,
        people=[_summary(user) for user in get_incident_log().list_users()],
    ), status


@bp.get("/personnes/<name>")
@allowed(Action.ADMINISTER)
def person(name: str) -> ResponseReturnValue:
    """Show a person, with a form for each change."""
    return _person_page(name)


@bp.post("/personnes/<name>/role")
@allowed(Action.ADMINISTER)
def change_role(name: str) -> ResponseReturnValue:
    """Give a person another role."""
    form = RoleForm()
    return _change_person(
        name,
        form,
        "role",
        lambda: get_incident_log().change_role(
            name, actor=current_user.name, role=form.role.data
        ),
        done=_("Rôle changé : %(role)s.", role=labels.label("role", form.role.data)),
        already=_("La personne a déjà ce rôle."),
        forbidden=_("Un administrateur ne change pas son propre rôle.")
        if name == current_user.name
        else None,
    )


@bp.post("/personnes/<name>/bureaux")
@allowed(Action.ADMINISTER)
def change_offices(name: str) -> ResponseReturnValue:
    """Change the offices a person covers; none checked means every office."""
    form = OfficesForm()
    return _change_person(
        name,
        form,
        "offices",
        lambda: get_incident_log().change_offices(
            name, actor=current_user.name, offices=form.offices.data or None
        ),
        done=_("Bureaux couverts changés."),
        already=_("La personne couvre déjà ces bureaux."),
    )


@bp.post("/personnes/<name>/mot-de-passe")
@allowed(Action.ADMINISTER)
def set_password(name: str) -> ResponseReturnValue:
    """Set a new password for a person (only its argon2 hash is kept)."""
    form = PasswordForm()
    return _change_person(
        name,
        form,
        "new_password",
        lambda: get_incident_log().set_password(name, form.new_password.data),
        done=_("Nouveau mot de passe enregistré."),
    )


@bp.post("/personnes/<name>/desactivation")
@allowed(Action.ADMINISTER)
def deactivate(name: str) -> ResponseReturnValue:
    """Withdraw every right of a person, keeping their history."""
    form = DeactivationForm()
    return _change_person(
        name,
        form,
        "deactivation_reason",
        lambda: get_incident_log().deactivate_user(
            name, actor=current_user.name, reason=form.deactivation_reason.data
        ),
        done=_("Le compte %(name)s est désactivé ; sa session est fermée.", name=name),
        already=_("La personne est déjà désactivée."),
        forbidden=_("Un administrateur ne se désactive pas lui-même.")
        if name == current_user.name
        else None,
    )


@bp.post("/personnes/<name>/jetons")
@allowed(Action.ADMINISTER)
def issue_token(name: str) -> ResponseReturnValue:
    """Issue an API token and show its secret, this once."""
    _user(name)
    form = TokenForm()
    if not form.validate():
        return _person_page(name, 422, token_form=form)
    log = get_incident_log()
    try:
        issued = log.issue_token(
            name, actor=current_user.name, label=form.token_label.data or None
        )
    except RuleViolationError:
        message = _("Une personne désactivée ne reçoit pas de jeton.")
        return _refuse(name, form, "token_label", message)
    except InvalidInputError as error:
        _refused(form, error)
        return _person_page(name, 422, token_form=form)
    _shown()
    return render_template(
        "pages/admin/token_issued.html",
        person=_summary(log.get_user(name)),
        token=issued.token,
        token_id=issued.token_id,
        token_label=form.token_label.data or "",
    )


@bp.post("/personnes/<name>/jetons/<uuid:token_id>/revocation")
@allowed(Action.ADMINISTER)
def revoke_token(name: str, token_id: UUID) -> ResponseReturnValue:
    """Revoke an API token, saying why."""
    if all(token["id"] != token_id for token in _user(name)["tokens"]):
        abort(404)
    form = RevocationForm()
    return _change_person(
        name,
        form,
        "revocation_reason",
        lambda: get_incident_log().revoke_token(
            name, token_id, actor=current_user.name, reason=form.revocation_reason.data
        ),
        done=_("Jeton révoqué : il n'ouvre plus rien."),
        already=_("Ce jeton est déjà révoqué."),
        revoked=token_id,
    )


def _change_person(
    name: str,
    form: FlaskForm,
    field: str,
    change: Callable[[], object],
    *,
    done: str,
    already: str = "",
    forbidden: str | None = None,
    revoked: UUID | None = None,
) -> ResponseReturnValue:
    """Run one change of a person's form, or show the form again with why not."""
    _user(name)
    if not form.validate():
        return _person_page(name, 422, revoked=revoked, **{_FORM_OF_FIELD[field]: form})
    if forbidden is not None:
        return _refuse(name, form, field, forbidden, revoked)
    try:
        change()
    except NothingToChangeError:
        return _refuse(name, form, field, already, revoked)
    except InvalidInputError as error:
        _refused(form, error)
        return _person_page(name, 422, revoked=revoked, **{_FORM_OF_FIELD[field]: form})
    _shown()
    flash(done, "success")
    return redirect(url_for(".person", name=name), 303)


def _user(name: str) -> dict[str, Any]:
    try:
        return get_incident_log().get_user(name)
    except (UserNotFoundError, InvalidInputError):
        abort(404)


def _person_page(
    name: str,
    status: int = 200,
    *,
    revoked: UUID | None = None,
    **bound: FlaskForm,
) -> ResponseReturnValue:
    user = _user(name)
    forms = {
        "role_form": RoleForm(formdata=None, data={"role": user["role"]}),
        "offices_form": OfficesForm(
            formdata=None, data={"offices": user["offices"] or []}
        ),
        "password_form": PasswordForm(formdata=None),
        "deactivation_form": DeactivationForm(formdata=None),
        "token_form": TokenForm(formdata=None),
        "revocation_form": RevocationForm(formdata=None),
    }
    forms.update(bound)
    return (
        render_template(
            "pages/admin/person.html",
            person=_summary(user),
            every_office=user["role"] in ROLES_WITH_EVERY_OFFICE,
            revoked=revoked,
            **forms,
        ),
        status,
    )


def _refuse(
    name: str,
    form: FlaskForm,
    field: str,
    message: str,
    revoked: UUID | None = None,
) -> ResponseReturnValue:
    # The state forbids the change: the form again, with why (409).
    form[field].errors = [*form[field].errors, message]
    return _person_page(name, 409, revoked=revoked, **{_FORM_OF_FIELD[field]: form})


def _refused(form: FlaskForm, error: InvalidInputError) -> None:
    """Put the log's refusal on the form's fields, in the reader's language."""
    names = {field.name for field in form}
    for field in error.errors:
        target = field if field in names else _FIELD_OF_ERROR.get(field)
        if target in names:
            form[target].errors = [
                *form[target].errors,
                _(
                    "Cette valeur n'est pas acceptée : vérifiez sa longueur "
                    "et ses caractères."
                ),
            ]
        else:
            form.form_errors.append(_("Le journal a refusé ces valeurs."))


_FORM_OF_FIELD = {
    "role": "role_form",
    "offices": "offices_form",
    "new_password": "password_form",
    "deactivation_reason": "deactivation_form",
    "token_label": "token_form",
    "revocation_reason": "revocation_form",
}
# The names the log gives the fields, and the names of the forms' fields.
_FIELD_OF_ERROR = {
    "password": "new_password",
    "reason": "deactivation_reason",
    "label": "token_label",
}


def _shown() -> None:
    # The audit trail shows each change to people as soon as it is saved.
    head = get_incident_log().recorder.max_notification_id() or 0
    wait_for_read_models(head)


def _summary(user: dict[str, Any]) -> dict[str, Any]:
    offices = {office["code"]: office for office in get_incident_log().list_offices()}
    every = user["role"] in ROLES_WITH_EVERY_OFFICE or user["offices"] is None
    return {
        **user,
        "every_office": every,
        "office_names": (
            []
            if every
            else [
                offices[code]["name"] if code in offices else code
                for code in user["offices"]
            ]
        ),
    }


# Erasure of a visitor's contact.


@bp.route("/effacement", methods=["GET", "POST"])
@allowed(Action.ERASE)
def erasure() -> ResponseReturnValue:
    """Erase a visitor's contact: the incident and why, a confirmation, then done."""
    form = ErasureForm()
    if not form.is_submitted():
        return render_template("pages/admin/erasure.html", form=form, incident=None)
    if not form.validate():
        return _erasure_page(form, None, 422)
    incident_id = UUID(form.incident.data)
    try:
        incident = visible_incident(signed_in_person(), incident_id)
    except IncidentNotFoundError:
        form.incident.errors.append(_("Aucun incident ne porte cet identifiant."))
        return _erasure_page(form, None, 422)
    if not incident["contact_recorded"] or incident["contact_erased"]:
        form.incident.errors.append(_nothing_to_erase(incident))
        return _erasure_page(form, incident, 409)
    if form.confirmed.data != "yes" or form.version.data is None:
        form.version.data = incident["version"]
        return _erasure_page(form, incident, 200, confirming=True)
    try:
        result = get_incident_log().erase_personal_data(
            incident_id,
            actor=current_user.name,
            reason=form.reason.data,
            expected_version=form.version.data,
        )
    except StaleVersionError:
        fresh = get_incident_log().get_incident(incident_id)
        form.version.data = fresh["version"]
        form.form_errors.append(
            _(
                "L'incident a changé entre-temps : relisez-le et confirmez "
                "à nouveau si l'effacement vaut toujours."
            )
        )
        return _erasure_page(form, fresh, 412, confirming=True)
    except NothingToEraseError:
        fresh = get_incident_log().get_incident(incident_id)
        form.incident.errors.append(_nothing_to_erase(fresh))
        return _erasure_page(form, fresh, 409)
    except InvalidInputError as error:
        _refused(form, error)
        return _erasure_page(form, incident, 422)
    wait_for_read_models(result.position)
    flash(
        _(
            "Coordonnées de l'usager effacées pour l'incident %(id)s : elles ne "
            "peuvent plus être lues nulle part.",
            id=incident_id,
        ),
        "success",
    )
    return redirect(incident_url(incident_id), 303)


@bp.get("/incidents/<uuid:incident_id>/effacement")
@allowed(Action.ERASE)
def incident_erasure(incident_id: UUID) -> ResponseReturnValue:
    """Start the erasure of one incident's contact (its page links here)."""
    incident = visible_incident(signed_in_person(), incident_id)
    form = ErasureForm(formdata=None, data={"incident": str(incident_id)})
    status = 200
    if not incident["contact_recorded"] or incident["contact_erased"]:
        form.incident.errors = [_nothing_to_erase(incident)]
        status = 409
    return _erasure_page(form, incident, status)


def _erasure_page(
    form: ErasureForm,
    incident: dict[str, Any] | None,
    status: int,
    *,
    confirming: bool = False,
) -> ResponseReturnValue:
    warnings = contact_details_in(form.reason.data or "") if confirming else []
    return (
        render_template(
            "pages/admin/erasure.html",
            form=form,
            incident=incident,
            office=(
                get_incident_log().get_office(incident["office"]) if incident else None
            ),
            confirming=confirming,
            warnings=warnings,
            incident_url=incident_url(incident["id"]) if incident else None,
        ),
        status,
    )


def _nothing_to_erase(incident: dict[str, Any]) -> str:
    if incident["contact_erased"]:
        return str(_("Les coordonnées de cet incident sont déjà effacées."))
    return str(_("Aucune coordonnée d'usager n'a été enregistrée pour cet incident."))

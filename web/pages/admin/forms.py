"""The forms of a person's page: who they are, their role, offices, password, tokens.

The log checks every value again; a value it refuses is put back on the
form's field (:func:`mark_refused`), in the reader's language.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
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
from wtforms.widgets import CheckboxInput, ListWidget

from incidents import values
from incidents.application import PASSWORD_MAX, PASSWORD_MIN
from incidents.errors import InvalidInputError
from incidents.vocabulary import Role
from web import get_incident_log
from web.usecases import labels

ROLE_CODES = [role.value for role in Role]


def stripped(value: object) -> object:
    """Drop the blanks around a typed text."""
    return value.strip() if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]  # wtforms is untyped
    """Choose any number of options, each a checkbox."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def offices_field() -> CheckboxesField:
    """Offer the offices of the catalogue, each a checkbox."""
    return CheckboxesField(
        _l("Bureaux couverts"),
        choices=[],
        validate_choice=False,  # Checked against the catalogue, in French, below.
    )


def short_text_field(label: Any) -> StringField:
    """Ask for a short text, trimmed, or none."""
    return StringField(
        label,
        filters=[stripped],
        validators=[
            Optional(),
            Length(
                max=values.SHORT_TEXT_MAX,
                message=_l("%(max)d caractères au plus.", max=values.SHORT_TEXT_MAX),
            ),
        ],
    )


def role_field(label: Any) -> RadioField:
    """Offer the roles, one to choose."""
    return RadioField(
        label,
        choices=[],
        validate_choice=False,
        validators=[
            InputRequired(_l("Choisissez un rôle.")),
            AnyOf(ROLE_CODES, message=_l("Choisissez un rôle de la liste.")),
        ],
    )


def reason_field(label: Any) -> TextAreaField:
    """Ask why, in a few lines."""
    return TextAreaField(
        label,
        filters=[stripped],
        validators=[
            DataRequired(_l("Donnez le motif.")),
            Length(
                max=values.REASON_MAX,
                message=_l("%(max)d caractères au plus.", max=values.REASON_MAX),
            ),
        ],
        render_kw={"rows": 3},
    )


def password_field(label: Any) -> PasswordField:
    """Ask for a new password, of a length the log accepts."""
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


def password_again_field(first: str) -> PasswordField:
    """Ask for the same password again, to catch a typing mistake."""
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
        filters=[stripped],
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
    display_name = short_text_field(_l("Nom affiché"))
    role = role_field(_l("Rôle"))
    offices = offices_field()
    password = password_field(_l("Mot de passe initial"))
    password_again = password_again_field("password")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = labels.choices("role")
        self.prepare_offices(self.offices)

    def validate_offices(self, field: CheckboxesField) -> None:
        self.check_offices(field)


class RoleForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    role = role_field(_l("Nouveau rôle"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = labels.choices("role")


class OfficesForm(OfficesMixin, FlaskForm):  # type: ignore[misc]  # flask-wtf
    offices = offices_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepare_offices(self.offices)

    def validate_offices(self, field: CheckboxesField) -> None:
        self.check_offices(field)


class PasswordForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    new_password = password_field(_l("Nouveau mot de passe"))
    new_password_again = password_again_field("new_password")


class DeactivationForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    deactivation_reason = reason_field(_l("Motif de la désactivation"))


class MailForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    email = StringField(
        _l("Adresse électronique"),
        filters=[stripped],
        validators=[
            Optional(),
            Length(max=254, message=_l("%(max)d caractères au plus.", max=254)),
        ],
        render_kw={"autocomplete": "off", "type": "email"},
    )
    language = RadioField(
        _l("Langue des messages"),
        choices=[SelectChoice("fr", "Français"), SelectChoice("en", "English")],
        validators=[InputRequired(_l("Choisissez une langue."))],
    )


class TokenForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    token_label = short_text_field(_l("Libellé du jeton"))


class RevocationForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    revocation_reason = reason_field(_l("Motif de la révocation"))


def mark_refused(form: FlaskForm, error: InvalidInputError) -> None:
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


# The names the log gives the fields, and the names of the forms' fields.
_FIELD_OF_ERROR = {
    "password": "new_password",
    "reason": "deactivation_reason",
    "label": "token_label",
}

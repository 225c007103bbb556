"""Run one change to a person, or show their page again with why not.

A refused form is shown again with its messages (422 for bad input, 409 when
the state forbids it) and nothing is changed. The audit trail shows a change
to whoever reads it next (ADR 0019).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from incidents.access import ROLES_WITH_EVERY_OFFICE
from incidents.errors import InvalidInputError, NothingToChangeError, UserNotFoundError
from web import get_incident_log
from web.pages.admin.forms import (
    DeactivationForm,
    MailForm,
    OfficesForm,
    PasswordForm,
    RevocationForm,
    RoleForm,
    TokenForm,
    mark_refused,
)


def change_person(
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
    known_person(name)
    if not form.validate():
        return person_page(name, 422, revoked=revoked, **{FORM_OF_FIELD[field]: form})
    if forbidden is not None:
        return refuse(name, form, field, forbidden, revoked)
    try:
        change()
    except NothingToChangeError:
        return refuse(name, form, field, already, revoked)
    except InvalidInputError as error:
        mark_refused(form, error)
        return person_page(name, 422, revoked=revoked, **{FORM_OF_FIELD[field]: form})
    flash(done, "success")
    return redirect(url_for(".person", name=name), 303)


def known_person(name: str) -> dict[str, Any]:
    """Return the person, or answer 404 for a name nobody has."""
    try:
        return get_incident_log().get_user(name)
    except (UserNotFoundError, InvalidInputError):
        abort(404)


def person_page(
    name: str,
    status: int = 200,
    *,
    revoked: UUID | None = None,
    **bound: FlaskForm,
) -> ResponseReturnValue:
    """Show a person with a form for each change (``bound``: forms as sent)."""
    user = known_person(name)
    forms = {
        "role_form": RoleForm(formdata=None, data={"role": user["role"]}),
        "offices_form": OfficesForm(
            formdata=None, data={"offices": user["offices"] or []}
        ),
        "password_form": PasswordForm(formdata=None),
        "mail_form": MailForm(
            formdata=None,
            data={"email": user["email"] or "", "language": user["language"]},
        ),
        "deactivation_form": DeactivationForm(formdata=None),
        "token_form": TokenForm(formdata=None),
        "revocation_form": RevocationForm(formdata=None),
    }
    forms.update(bound)
    return (
        render_template(
            "pages/admin/person.html",
            person=person_summary(user),
            every_office=user["role"] in ROLES_WITH_EVERY_OFFICE,
            revoked=revoked,
            **forms,
        ),
        status,
    )


def refuse(
    name: str,
    form: FlaskForm,
    field: str,
    message: str,
    revoked: UUID | None = None,
) -> ResponseReturnValue:
    """Show the form again with why the state forbids the change (409)."""
    form[field].errors = [*form[field].errors, message]
    return person_page(name, 409, revoked=revoked, **{FORM_OF_FIELD[field]: form})


# Which form of the person's page holds each field.
FORM_OF_FIELD = {
    "role": "role_form",
    "offices": "offices_form",
    "new_password": "password_form",
    "email": "mail_form",
    "deactivation_reason": "deactivation_form",
    "token_label": "token_form",
    "revocation_reason": "revocation_form",
}


def person_summary(user: dict[str, Any]) -> dict[str, Any]:
    """Return the person with the names of the offices they cover."""
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

"""People: list and add them, change their role, offices and password, deactivate."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from incidents.errors import InvalidInputError, UserAlreadyExistsError
from incidents.permissions import Action
from web import get_incident_log
from web.pages.admin.blueprint import bp
from web.pages.admin.changes import (
    change_person,
    person_page,
    person_summary,
)
from web.pages.admin.forms import (
    AddPersonForm,
    DeactivationForm,
    MailForm,
    OfficesForm,
    PasswordForm,
    RoleForm,
    mark_refused,
)
from web.pages.auth import allowed
from web.usecases import labels


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
                mark_refused(form, error)
            else:
                flash(_("Le compte %(name)s est créé.", name=form.name.data), "success")
                return redirect(url_for(".person", name=form.name.data), 303)
    return render_template(
        "pages/admin/people.html",
        form=form,
        people=[person_summary(user) for user in get_incident_log().list_users()],
    ), status


@bp.get("/personnes/<name>")
@allowed(Action.ADMINISTER)
def person(name: str) -> ResponseReturnValue:
    """Show a person, with a form for each change."""
    return person_page(name)


@bp.post("/personnes/<name>/role")
@allowed(Action.ADMINISTER)
def change_role(name: str) -> ResponseReturnValue:
    """Give a person another role."""
    form = RoleForm()
    return change_person(
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
    return change_person(
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
    return change_person(
        name,
        form,
        "new_password",
        lambda: get_incident_log().set_password(name, form.new_password.data),
        done=_("Nouveau mot de passe enregistré."),
    )


@bp.post("/personnes/<name>/messagerie")
@allowed(Action.ADMINISTER)
def change_mail(name: str) -> ResponseReturnValue:
    """Change where a person's notifications go, and in which language."""
    form = MailForm()
    return change_person(
        name,
        form,
        "email",
        lambda: get_incident_log().change_mail_settings(
            name,
            actor=current_user.name,
            email=form.email.data or None,
            language=form.language.data,
        ),
        done=_("Adresse et langue des messages enregistrées."),
        already=_("La personne a déjà cette adresse et cette langue."),
    )


@bp.post("/personnes/<name>/desactivation")
@allowed(Action.ADMINISTER)
def deactivate(name: str) -> ResponseReturnValue:
    """Withdraw every right of a person, keeping their history."""
    form = DeactivationForm()
    return change_person(
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

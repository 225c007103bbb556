"""Erase a visitor's contact: the incident and why, a confirmation, then done."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, redirect, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import HiddenInput

from incidents.errors import (
    IncidentNotFoundError,
    InvalidInputError,
    NothingToEraseError,
    StaleVersionError,
)
from incidents.permissions import Action
from incidents.personal_data import contact_details_in
from web import get_incident_log
from web.pages.admin.blueprint import bp
from web.pages.admin.forms import mark_refused, reason_field, stripped
from web.pages.auditor import incident_url, whole_incident_id
from web.pages.auth import allowed, signed_in_person
from web.usecases.scope import visible_incident


class ErasureForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    incident = StringField(
        _l("Identifiant de l'incident"),
        filters=[stripped],
        validators=[
            DataRequired(_l("Donnez l'identifiant de l'incident.")),
            whole_incident_id,
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    reason = reason_field(_l("Motif de l'effacement"))
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    confirmed = HiddenField()


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
        get_incident_log().erase_personal_data(
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
        mark_refused(form, error)
        return _erasure_page(form, incident, 422)
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

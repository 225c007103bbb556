"""API tokens: issue one and show its secret once, or revoke one saying why.

The secret is shown on the page answering the post that issued it: never
flashed into the session, logged or shown again.
"""

from __future__ import annotations

from uuid import UUID

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from incidents.errors import InvalidInputError, RuleViolationError
from incidents.permissions import Action
from web import get_incident_log
from web.pages.admin.blueprint import bp
from web.pages.admin.changes import (
    change_person,
    known_person,
    person_page,
    person_summary,
    refuse,
)
from web.pages.admin.forms import RevocationForm, TokenForm, mark_refused
from web.pages.auth import allowed


@bp.post("/personnes/<name>/jetons")
@allowed(Action.ADMINISTER)
def issue_token(name: str) -> ResponseReturnValue:
    """Issue an API token and show its secret, this once."""
    known_person(name)
    form = TokenForm()
    if not form.validate():
        return person_page(name, 422, token_form=form)
    log = get_incident_log()
    try:
        issued = log.issue_token(
            name, actor=current_user.name, label=form.token_label.data or None
        )
    except RuleViolationError:
        message = _("Une personne désactivée ne reçoit pas de jeton.")
        return refuse(name, form, "token_label", message)
    except InvalidInputError as error:
        mark_refused(form, error)
        return person_page(name, 422, token_form=form)
    return render_template(
        "pages/admin/token_issued.html",
        person=person_summary(log.get_user(name)),
        token=issued.token,
        token_id=issued.token_id,
        token_label=form.token_label.data or "",
    )


@bp.post("/personnes/<name>/jetons/<uuid:token_id>/revocation")
@allowed(Action.ADMINISTER)
def revoke_token(name: str, token_id: UUID) -> ResponseReturnValue:
    """Revoke an API token, saying why."""
    if all(token["id"] != token_id for token in known_person(name)["tokens"]):
        abort(404)
    form = RevocationForm()
    return change_person(
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

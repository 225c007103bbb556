"""Run a form's command on an incident at the version the page showed.

A change made meanwhile is refused, never silently written over; the form is
shown again with why, in French, and the version now stored. Once stored, the
read models are waited for, so that the next page shows the change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from incidents.application import WriteResult
from incidents.errors import (
    ConcurrentWriteError,
    FollowUpNotScheduledError,
    IncidentClosedError,
    InvalidInputError,
    RuleViolationError,
    StaleVersionError,
)
from web import get_incident_log

VERSION_DIGITS = 18  # Far more than any incident's version.


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


@dataclass(frozen=True)
class Outcome:
    """Say what came of a form: its answer's status, and why it was refused."""

    status: int = 200
    refusal: str | None = None
    stored: bool = False
    # Stored by this request, not found already stored (201, not 200).
    created: bool = False
    version: int | None = None


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
        command(actor=current_user.name, expected_version=form.expected_version())
    except StaleVersionError as error:
        # Shown again with the version now stored: sending it again is a choice.
        current = get_incident_log().get_incident(incident["id"])
        form.version.data = str(current["version"])
        return Outcome(409, refusal_message(error))
    except (RuleViolationError, ConcurrentWriteError) as error:
        return Outcome(409, refusal_message(error))
    except InvalidInputError:
        return Outcome(422, str(NOT_ACCEPTED))
    return Outcome(303, stored=True)


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

"""The forms that change an incident, each made against the version it showed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from incidents import values
from projections.handlers import PARIS
from web.pages.limits import within_calendar
from web.pages.officer.filters import with_all
from web.usecases.labels import choices


class ActionForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    """A form that changes an incident, made against the version it showed.

    The CSRF token is checked for every page post (``init_pages``), so the
    form does not check it a second time.
    """

    class Meta:
        csrf = False

    expected_version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def _reason(text: LazyString) -> TextAreaField:
    return TextAreaField(
        text,
        validators=[
            InputRequired(_l("Dites pourquoi.")),
            Length(max=values.REASON_MAX, message=_l("Texte trop long.")),
        ],
    )


class ReassessForm(ActionForm):
    severity = RadioField(
        _l("Nouvelle gravité"),
        coerce=int,
        validators=[InputRequired(_l("Choisissez une gravité."))],
    )
    reason = _reason(_l("Pourquoi ce changement"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="gravite", **kwargs)
        self.severity.choices = [
            (int(code), text) for code, text in choices("severity")
        ]


class AmendForm(ActionForm):
    category = SelectField(_l("Catégorie"))
    target = SelectField(_l("Visé"))
    trigger = SelectField(_l("Déclencheur"))
    occurred_at = DateTimeLocalField(
        _l("Survenu le (heure de Paris)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        tz=PARIS,
        validators=[InputRequired(_l("Donnez la date et l'heure.")), within_calendar],
        invalid_value_message=_l("Donnez une date et une heure valides."),
    )
    summary = TextAreaField(
        _l("Résumé"),
        validators=[
            InputRequired(_l("Le résumé ne peut pas être vide.")),
            Length(max=values.SUMMARY_MAX, message=_l("Texte trop long.")),
        ],
    )
    reason = _reason(_l("Pourquoi cette rectification"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="rectification", **kwargs)
        self.category.choices = choices("category")
        self.target.choices = choices("target")
        self.trigger.choices = with_all(_("Aucun"), choices("trigger"))

    def validate_occurred_at(self, field: DateTimeLocalField) -> None:
        if field.data is not None and field.data > datetime.now(PARIS):
            raise ValidationError(_("Cette heure est dans le futur."))

    def changes(self, incident: Mapping[str, Any]) -> dict[str, Any]:
        """Return the fields the person changed, as the log takes them."""
        given: dict[str, Any] = {
            "category": self.category.data,
            "target": self.target.data,
            "trigger": self.trigger.data or None,
            "summary": self.summary.data.strip(),
        }
        changed = {
            name: value for name, value in given.items() if value != incident[name]
        }
        shown = to_minute(incident["occurred_at"])
        if (
            self.occurred_at.data is not None
            and to_minute(self.occurred_at.data) != shown
        ):
            changed["occurred_at"] = self.occurred_at.data
        return changed


def to_minute(moment: datetime) -> datetime:
    """Return the minute of an instant in Paris, as the form shows it."""
    return moment.astimezone(PARIS).replace(second=0, microsecond=0)


class NoteForm(ActionForm):
    text = TextAreaField(
        _l("Note"),
        validators=[
            InputRequired(_l("Écrivez la note.")),
            Length(max=values.NOTE_MAX, message=_l("Texte trop long.")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="note", **kwargs)


class CloseForm(ActionForm):
    resolution = RadioField(
        _l("Résolution"), validators=[InputRequired(_l("Choisissez une résolution."))]
    )
    note = TextAreaField(
        _l("Note de clôture (facultative)"),
        validators=[
            Optional(),
            Length(max=values.NOTE_MAX, message=_l("Texte trop long.")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="cloture", **kwargs)
        self.resolution.choices = choices("resolution")


class ReopenForm(ActionForm):
    reason = _reason(_l("Pourquoi rouvrir"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="reouverture", **kwargs)

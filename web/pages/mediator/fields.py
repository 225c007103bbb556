"""Make the fields of the mediator's forms: tiles to tap, texts trimmed of blanks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from incidents import values
from web.usecases.labels import VOCABULARY


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

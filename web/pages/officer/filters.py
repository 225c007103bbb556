"""Read a page's filters from the query string: offices, ranges of days, "as of".

A filter only reads, so its form carries no CSRF token. Auditors can read a
page as it was known at a past time: a day and a time in Paris, or ``as_of``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TimeField
from wtforms.validators import Optional, ValidationError

from projections.handlers import PARIS
from web.pages.limits import in_calendar, outside_calendar, within_calendar

END_OF_DAY = time(23, 59, 59, 999999)


class FilterForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    """A form read from the query string, that changes nothing (no CSRF token)."""

    class Meta:
        csrf = False


def office_choices(offices: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Offer offices by name, each chosen by its code."""
    return [(office["code"], office["name"]) for office in offices]


def valid_range(
    form: Any,
    *,
    first: date | None = None,
    last: date | None = None,
    longest_days: int | None = None,
) -> bool:
    """Validate a filter form, then its range of days, given or by default."""
    if not form.validate():
        return False
    from_, to = form.from_.data or first, form.to.data or last
    problem = None
    if from_ is not None and to is not None:
        if to < from_:
            problem = _("Choisissez une fin de période après son début.")
        elif longest_days is not None and (to - from_).days >= longest_days:
            problem = _("Choisissez une période d'un an au plus.")
    if problem:
        form.to.errors = [*form.to.errors, problem]
        return False
    fill(form.from_, from_)
    fill(form.to, to)
    return True


def day_field(label: LazyString, **kwargs: Any) -> DateField:
    """Ask for a day within the years the log keeps, or none."""
    return DateField(
        label,
        validators=[Optional(), within_calendar],
        invalid_value_message=_l("Donnez une date valide."),
        **kwargs,
    )


class AsOfFields(FilterForm):
    """Ask for an instant in the past: a day and a time in Paris (or ``as_of``)."""

    as_of = StringField(validators=[Optional()])  # ISO 8601, as links carry it.
    as_of_date = day_field(_l("Tel que connu le"))
    as_of_time = TimeField(
        _l("à (heure de Paris)"),
        validators=[Optional()],
        format=["%H:%M:%S", "%H:%M"],
        invalid_value_message=_l("Donnez une heure valide."),
        render_kw={"step": "1"},
    )

    def validate_as_of(self, field: StringField) -> None:
        try:
            moment = _parse_instant(field.data)
        except ValueError:
            raise ValidationError(_("Date et heure illisibles.")) from None
        if not in_calendar(moment):
            raise ValidationError(outside_calendar())

    def validate_as_of_time(self, field: TimeField) -> None:
        if field.data is not None and self.as_of_date.data is None:
            raise ValidationError(_("Donnez aussi la date."))

    def instant(self) -> datetime | None:
        """Return the instant asked for, or ``None`` for now."""
        if self.as_of.data:
            return _parse_instant(self.as_of.data)
        if self.as_of_date.data is not None:
            moment = self.as_of_time.data or END_OF_DAY
            return datetime.combine(self.as_of_date.data, moment, tzinfo=PARIS)
        return None

    def show_instant(self, moment: datetime | None) -> None:
        """Fill the day and time fields with an instant given by a link."""
        if moment is None or not self.as_of.data:
            return
        local = moment.astimezone(PARIS)
        fill(self.as_of_date, local.date())
        fill(self.as_of_time, local.time().replace(microsecond=0))


def _parse_instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def fill(field: Any, value: Any) -> None:
    """Set a field's value as if it had been given, whatever was typed."""
    field.data = value
    field.raw_data = []


def with_all(first: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Put a first, empty choice (every office, every state...) before the others."""
    return [("", first), *pairs]

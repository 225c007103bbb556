"""Write instants, days, rates and durations in the reader's language."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_date, format_datetime, format_decimal, format_percent
from flask_babel import gettext as _


def instant(value: datetime | str | None) -> datetime | None:
    """Return an instant given as stored text or as a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def when(value: datetime | str | None, style: str = "medium") -> str:
    """Write an instant in Paris time, in the reader's language."""
    moment = instant(value)
    return "" if moment is None else str(format_datetime(moment, style))


def day_text(value: date | str | None, style: str = "short") -> str:
    """Write a calendar day in the reader's language."""
    if value is None:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return str(format_date(day, style))


def percent_text(rate: float) -> str:
    """Write a rate between 0 and 1 as a percentage."""
    return str(format_percent(rate))


def hours_text(hours: float | None) -> str:
    """Write a duration given in hours: in hours up to two days, else in days."""
    if hours is None:
        return "—"
    if hours < 48:
        return str(_("%(hours)s h", hours=format_decimal(hours, "#,##0.#")))
    return str(_("%(days)s j", days=format_decimal(hours / 24, "#,##0.#")))

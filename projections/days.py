"""Tell the day in Paris: the calendar every read model counts and filters in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from projections.facts import iso

PARIS = ZoneInfo("Europe/Paris")


def paris_day(instant: str) -> str:
    """Return the calendar day in Paris of a stored instant, as YYYY-MM-DD.

    Paris has been one or two hours ahead of UTC since the 1970s: a UTC instant
    before 22:00 falls on the same date there, read from its text. Only the last
    two hours of a UTC day, and instants in other forms, are converted.
    """
    if instant[11:13] < "22" and instant.endswith("+00:00") and instant >= "1980":
        return instant[:10]
    return datetime.fromisoformat(instant).astimezone(PARIS).date().isoformat()


def paris_today(moment: datetime | None = None) -> date:
    """Return today's date in Paris (or the date of a given instant there)."""
    return (moment or datetime.now(UTC)).astimezone(PARIS).date()


def day_start(day: date) -> str:
    """Return the first instant of a Paris day, as stored text."""
    return iso(datetime.combine(day, time(), tzinfo=PARIS))

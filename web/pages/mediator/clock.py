"""Tell the time as the offices live it: in Paris."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def now() -> datetime:
    """Return the time now, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Return the day it is in Paris."""
    return now().astimezone(PARIS).date()


def as_paris(moment: datetime) -> datetime:
    """Read a time typed on a page as Paris time (the offices are in France)."""
    return moment.replace(tzinfo=PARIS).astimezone(UTC)

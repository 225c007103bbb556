"""Keep what the pages read within what the log and the read models handle.

The limits are those the JSON API keeps too (:mod:`web.usecases.bounds`): a
day in year 1 or 9999, or a page number of thirty digits, would overflow on
its way to the database and answer 500 instead of saying what is wrong.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation

from web.usecases.bounds import FIRST_DAY, LAST_DAY

TOO_LARGE = _l("Ce nombre est trop grand.")


def in_calendar(moment: date | datetime) -> bool:
    """Tell whether a day, or the day of an instant, is within the years kept."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return FIRST_DAY <= day <= LAST_DAY


def outside_calendar() -> str:
    """Say which years a date must fall in."""
    return str(
        _(
            "Donnez une date entre %(first)s et %(last)s.",
            first=FIRST_DAY.year,
            last=LAST_DAY.year,
        )
    )


def within_calendar(_form: Any, field: Any) -> None:
    """Refuse a day, or a day and time, outside the years the log keeps.

    It stops the field's other checks, which could overflow on such a date.
    """
    if field.data is not None and not in_calendar(field.data):
        raise StopValidation(outside_calendar())

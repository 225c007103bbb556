"""Bound what a request may ask for, so the log and the read models can answer it.

A day in year 1 or 9999, or a page number of thirty digits, would overflow on
its way to the database and answer 500 instead of saying what is wrong. The
JSON API's schemas and the pages' forms both refuse what lies outside these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from incidents.errors import InvalidInputError

# Instants and days outside these years are mistakes, and some would overflow
# when converted to UTC or to a Paris day.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
MAX_PAGE = 1_000_000
MAX_POSITION = 2**62


def check_day_range(args: Mapping[str, Any]) -> None:
    """Refuse a range of days (``from_``, ``to``) that ends before it begins."""
    from_, to = args.get("from_"), args.get("to")
    if from_ is not None and to is not None and to < from_:
        raise InvalidInputError.field("to", "Give a day on or after from.")

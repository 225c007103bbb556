"""Gather what the monthly report shows: offices' figures over a period, compared.

A report covers one office or a group of offices over a range of days, as the
log is now or as it was known at a past time (``as_of``). Its figures are the
office summary's for the same range and time (the same query, never a second
way of counting), compared with the period just before and with the same
period a year earlier, plus what the summary does not say: incidents by week
and by hour of the day, the de-escalation techniques, the presence of
mediators and the severe incidents one by one. A visitor's contact is never
read: the severe incidents show their summary only.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from incidents.errors import InvalidInputError
from projections.queries import paris_today
from web import get_incident_log
from web.usecases.read_your_writes import fresh_read_models
from web.usecases.rota import LONGEST_IMPACT_DAYS, presence_impact
from web.usecases.weekly import weekly_counts

LANGUAGES = ("fr", "en")
# A report lists at most this many severe incidents (the newest), and says how
# many it left out: a month of one office rarely has more than a few.
MOST_SEVERE_LISTED = 50
# A report covers a year at most, like the dashboard and the presence figures.
LONGEST_DAYS = LONGEST_IMPACT_DAYS


@dataclass(frozen=True)
class ReportScope:
    """Which offices, which days, as known when, in which language."""

    offices: tuple[str, ...]
    from_: date
    to: date
    as_of: datetime | None = None
    language: str = "fr"

    def parameters(self) -> dict[str, Any]:
        """Return the parameters recorded with a download of the report."""
        return {
            "office": ",".join(self.offices),
            "from": self.from_,
            "to": self.to,
            "as_of": self.as_of,
            "lang": self.language,
        }


def report_scope(
    offices: list[str] | tuple[str, ...],
    *,
    from_: date | None,
    to: date | None,
    as_of: datetime | None,
    language: str,
) -> ReportScope:
    """Check a report's parameters; without a range, last month (in Paris)."""
    if not offices:
        raise InvalidInputError.field("office", "Give at least one office.")
    if language not in LANGUAGES:
        raise InvalidInputError.field("lang", "Give fr or en.")
    if from_ is None and to is None:
        from_, to = last_month(paris_today(as_of))
    elif from_ is None or to is None:
        raise InvalidInputError.field(
            "from" if from_ is None else "to", "Give both from and to, or neither."
        )
    if to < from_:
        raise InvalidInputError.field("to", "Give a day on or after from.")
    if (to - from_).days >= LONGEST_DAYS:
        raise InvalidInputError.field("from", "Give a range of a year at most.")
    unique = tuple(dict.fromkeys(offices))
    return ReportScope(unique, from_, to, as_of, language)


def last_month(today: date) -> tuple[date, date]:
    """Return the first and last days of the month before ``today``'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def previous_period(from_: date, to: date) -> tuple[date, date]:
    """Return the period just before: the month before a whole month, else as long."""
    if _whole_months(from_, to):
        months = (to.year - from_.year) * 12 + to.month - from_.month + 1
        start = from_
        for _ in range(months):
            start = (start - timedelta(days=1)).replace(day=1)
        return start, from_ - timedelta(days=1)
    length = (to - from_).days + 1
    return from_ - timedelta(days=length), from_ - timedelta(days=1)


def year_before(from_: date, to: date) -> tuple[date, date]:
    """Return the same days a year earlier (29 February becomes the 28th)."""
    return _a_year_before(from_), _a_year_before(to)


def report_figures(scope: ReportScope) -> dict[str, Any]:
    """Return every figure of the report, as plain data."""
    read_models = fresh_read_models()
    offices, as_of = list(scope.offices), scope.as_of

    def summary(first: date, last: date) -> dict[str, Any]:
        return read_models.office_summary(offices, from_=first, to=last, as_of=as_of)

    previous = previous_period(scope.from_, scope.to)
    last_year = year_before(scope.from_, scope.to)
    details = read_models.report_details(
        offices, from_=scope.from_, to=scope.to, as_of=as_of
    )
    severe = details.pop("severe")
    return {
        "offices": _offices(offices),
        "from": scope.from_,
        "to": scope.to,
        "as_of": as_of,
        "summary": summary(scope.from_, scope.to),
        "previous": {"from": previous[0], "to": previous[1], **summary(*previous)},
        "last_year": {"from": last_year[0], "to": last_year[1], **summary(*last_year)},
        "weeks": weekly_counts(read_models, offices, scope.from_, scope.to, as_of),
        **details,
        "presence": [
            presence_impact(code, from_=scope.from_, to=scope.to, as_of=as_of)
            for code in offices
        ],
        "severe": [_as_known(item) for item in severe[:MOST_SEVERE_LISTED]],
        "severe_left_out": max(0, len(severe) - MOST_SEVERE_LISTED),
    }


def _offices(codes: list[str]) -> list[dict[str, str]]:
    """Return the offices' codes and names, in the order asked."""
    known = {office["code"]: office for office in get_incident_log().list_offices()}
    return [known.get(code, {"code": code, "name": code}) for code in codes]


def _as_known(item: dict[str, Any]) -> dict[str, Any]:
    """Add a severe incident's summary, as known at the version listed."""
    incident = get_incident_log().get_incident(
        UUID(item["incident_id"]), version=item["version"]
    )
    return {**item, "summary": incident["summary"]}


def _whole_months(from_: date, to: date) -> bool:
    last_day = calendar.monthrange(to.year, to.month)[1]
    return from_.day == 1 and to.day == last_day


def _a_year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return day.replace(year=day.year - 1, day=28)
    return day.replace(year=day.year - 1)

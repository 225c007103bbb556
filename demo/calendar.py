"""Say when the demo's offices are open and busy: hours, weekdays, holidays, paydays."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

# Offices open Monday to Saturday, 9:00-12:00 and 14:00-18:00; Saturday mornings
# only. Tension peaks at opening and reopening (people wait outside).
WEEKDAY_HOURS = {9: 1.5, 10: 1.0, 11: 0.9, 14: 1.3, 15: 0.8, 16: 0.9, 17: 1.1}
SATURDAY_HOURS = {9: 1.4, 10: 1.1, 11: 1.0}
RUSH_HOURS = frozenset({9, 14})
# Incidents per office and open day before the factors below (about 2.5 on average).
BASE_RATE = 2.2
MONDAY_FACTOR = 1.15
SATURDAY_FACTOR = 0.55
# Social benefits (RSA, family and housing allowances, pensions) are paid in the
# first days of the month: queues, withdrawals refused for lack of funds.
PAYDAY_LAST = 10


def payday_factor(day: date) -> float:
    """Return how much busier a day of the month is because benefits are paid."""
    if day.day <= 4:
        return 1.4
    if day.day <= 8:
        return 1.9
    if day.day <= PAYDAY_LAST:
        return 1.5
    return 1.0


def _easter(year: int) -> date:
    # The anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def is_public_holiday(day: date) -> bool:
    """Tell whether a day is a French public holiday (post offices are closed)."""
    fixed = {(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)}
    if (day.month, day.day) in fixed:
        return True
    easter = _easter(day.year)
    return day - easter in {timedelta(days=1), timedelta(days=39), timedelta(days=50)}


def open_days(today: date, weeks: int) -> list[date]:
    """Return the days the offices were open in the ``weeks`` weeks up to ``today``."""
    first = today - timedelta(days=7 * weeks - 1)
    days = (first + timedelta(days=offset) for offset in range(7 * weeks))
    return [day for day in days if day.weekday() != 6 and not is_public_holiday(day)]

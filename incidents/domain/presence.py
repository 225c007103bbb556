"""Tell which mediator was on shift in an office at a moment, from the rota.

A planned shift covers the moments from its start (included) to its end
(excluded), wall-clock in Europe/Paris on its day. Of two planned shifts that
cover the same moment, the earliest-starting one names the mediator (then the
mediator's name, so that the answer never depends on the order of the rota).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from incidents.vocabulary import ShiftStatus

PARIS = ZoneInfo("Europe/Paris")
PLANNED = ShiftStatus.PLANNED.value


def covering_mediator(
    shifts: Iterable[Mapping[str, Any]], office: str, occurred_at: datetime
) -> str | None:
    """Return the mediator whose planned shift covers the moment in the office."""
    local = occurred_at.astimezone(PARIS)
    day, clock = local.date(), local.strftime("%H:%M:%S")
    covering = [
        (shift["start"], shift["mediator"])
        for shift in shifts
        if shift["status"] == PLANNED
        and shift["office"] == office
        and shift["day"] == day
        and shift["start"] + ":00" <= clock < shift["end"] + ":00"
    ]
    return min(covering)[1] if covering else None

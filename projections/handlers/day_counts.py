"""Count a batch's events per Paris day, for each office and for the whole log.

Totals of long lists (an office's timeline, the audit trail) are sums over the
days asked in ``day_counts``, never counts over every row of the history.
"""

from __future__ import annotations

from collections import Counter

from projections.database import Cursor
from projections.tables import Tables


class DayCounts:
    """Count the events of one batch by office and day, then add them up."""

    def __init__(self) -> None:
        # Events recorded each day, by office, and those of no office.
        self.offices: dict[tuple[str, str], int] = {}
        self.others: dict[str, int] = {}

    def count(self, office: str | None, day: str) -> None:
        """Count one event of an office (or of none) recorded on a day."""
        if office is None:
            self.others[day] = self.others.get(day, 0) + 1
        else:
            self.offices[office, day] = self.offices.get((office, day), 0) + 1

    def by_scope(self) -> list[tuple[tuple[str, str], int]]:
        """Count the events by scope and day, and over all days ("")."""
        counts: Counter[tuple[str, str]] = Counter()
        for (office, day), events in self.offices.items():
            counts[office, day] += events
            counts[office, ""] += events
            counts["", day] += events
        for day, events in self.others.items():
            counts["", day] += events
        counts["", ""] = sum(self.offices.values()) + sum(self.others.values())
        return sorted(counts.items())

    def write(self, cursor: Cursor, tables: Tables) -> None:
        """Add the batch's counts to those already written, one statement."""
        days = tables.name("day_counts")
        cursor.executemany(
            f"INSERT INTO {days} (scope, day, events) VALUES (?, ?, ?) "
            f"ON CONFLICT (scope, day) DO UPDATE SET events = {days}.events "
            "+ excluded.events",
            [(scope, day, events) for (scope, day), events in self.by_scope()],
        )

"""Answer the audit trail: every event of the log in order, after a position."""

from __future__ import annotations

from typing import Any

from projections.queries.reading import Reader, one
from projections.tables import COLUMNS

# The columns every event has (the rest are those of an incident's events).
_AUDIT_COLUMNS = COLUMNS["events"][: COLUMNS["events"].index("office")]


class AuditQueries(Reader):
    """Read the global log as the audit trail keeps it."""

    def audit_events(self, *, after: int = 0, limit: int = 100) -> dict[str, Any]:
        """Return the global log in order, after a position."""
        limit = min(max(limit, 1), 1000)
        columns = _AUDIT_COLUMNS
        with self._reading() as (cursor, tables):
            table = tables.name("events")
            cursor.execute(
                "SELECT COALESCE(SUM(events), 0) FROM "
                f"{tables.name('day_counts')} WHERE scope = '' AND day = ''"
            )
            total = int(one(cursor)[0])
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE position > ? "
                "ORDER BY position LIMIT ?",
                (after, limit),
            )
            items = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        return {"items": items, "total": total, "after": after, "limit": limit}

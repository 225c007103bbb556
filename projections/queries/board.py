"""Answer the follow-up board: the follow-ups still scheduled, overdue first."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from projections.days import paris_today
from projections.queries.reading import Reader, scope


class BoardQueries(Reader):
    """Read the follow-ups still scheduled, with their incident's office."""

    def follow_up_board(
        self,
        *,
        offices: Collection[str] | None = None,
        office: str | None = None,
        overdue_only: bool = False,
        today: date | None = None,
    ) -> dict[str, Any]:
        """Return the open follow-ups, overdue first, then by due date."""
        today = today or paris_today()
        conditions, params = scope(offices, column="i.office")
        conditions += ["f.valid_to IS NULL", "f.status = 'scheduled'"]
        if office is not None:
            conditions.append("i.office = ?")
            params.append(office)
        if overdue_only:
            conditions.append("f.due_on < ?")
            params.append(today.isoformat())
        with self._reading() as (cursor, tables):
            cursor.execute(
                "SELECT f.follow_up_id, f.incident_id, i.office, f.kind, f.due_on, "
                "f.assignee, i.category, i.severity "
                f"FROM {tables.name('follow_up_states')} f "
                f"JOIN {tables.name('incidents')} i "
                "ON i.report_position = f.report_position "
                f"WHERE {' AND '.join(conditions)} "
                "ORDER BY f.due_on, f.follow_up_id",
                params,
            )
            rows = cursor.fetchall()
        items = [
            {
                "id": row[0],
                "incident_id": row[1],
                "office": row[2],
                "kind": row[3],
                "due_on": row[4],
                "assignee": row[5],
                "category": row[6],
                "severity": row[7],
                "status": "scheduled",
                "overdue": row[4] < today.isoformat(),
            }
            for row in rows
        ]
        return {"items": items, "total": len(items), "page": 1, "page_size": len(items)}

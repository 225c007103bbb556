"""Answer the timelines: one incident's events, or an office's over days."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from projections.days import day_start
from projections.facts import iso
from projections.queries.reading import Reader

_TIMELINE_COLUMNS = (
    "position",
    "incident_id",
    "version",
    "type",
    "recorded_at",
    "occurred_at",
    "actor",
    "data",
)
# The incident's id is the event's aggregate id.
_TIMELINE_SELECT = ", ".join(_TIMELINE_COLUMNS).replace("incident_id", "aggregate_id")


class TimelineQueries(Reader):
    """Read incidents' events in log order, with both clocks."""

    def incident_timeline(self, incident_id: UUID) -> list[dict[str, Any]]:
        """Return every event of an incident in order, with both clocks."""
        with self._reading() as (cursor, tables):
            cursor.execute(
                f"SELECT {_TIMELINE_SELECT} FROM {tables.name('events')} "
                "WHERE aggregate_id = ? AND office IS NOT NULL ORDER BY position",
                (str(incident_id),),
            )
            return [_timeline_item(row) for row in cursor.fetchall()]

    def office_timeline(
        self,
        office: str,
        *,
        from_: date | None = None,
        to: date | None = None,
        as_of: datetime | None = None,
        page: int = 1,
        page_size: int = 100,
    ) -> dict[str, Any]:
        """Return an office's events in log order, recorded within the range."""
        conditions, days = ["office = ?"], ["scope = ?"]
        params: list[Any] = [office]
        day_params: list[Any] = [office]
        if from_ is None and to is None:
            days.append("day = ''")  # the office's count over all days
        if from_ is not None:
            conditions.append("recorded_at >= ?")
            params.append(day_start(from_))
            days.append("day >= ?")
            day_params.append(from_.isoformat())
        if to is not None:
            conditions.append("recorded_at < ?")
            params.append(day_start(to + timedelta(days=1)))
            days.append("day <= ? AND day <> ''")
            day_params.append(to.isoformat())
        if as_of is not None:
            conditions.append("recorded_at <= ?")
            params.append(iso(as_of))
        where = " AND ".join(conditions)
        collection = self._page(
            "events",
            _TIMELINE_SELECT,
            where,
            params,
            order="position",
            page=page,
            page_size=page_size,
            # As of a time, part of a day counts: count the rows (a range of
            # the office's index that ends at that time).
            days=None if as_of is not None else (" AND ".join(days), day_params),
        )
        collection["items"] = [_timeline_item(row) for row in collection["items"]]
        return collection


def _timeline_item(row: tuple[Any, ...]) -> dict[str, Any]:
    item = dict(zip(_TIMELINE_COLUMNS, row, strict=True))
    item["data"] = json.loads(item["data"])
    item["occurred_at"] = item["occurred_at"] or item["recorded_at"]
    return item

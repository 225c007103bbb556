"""Answer questions about incidents: the list, one of them, a version as of a time."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any
from uuid import UUID

from projections.facts import iso
from projections.queries.reading import Reader, scope

_INCIDENT_ITEM = {
    "incident_id": "id",
    "office": "office",
    "status": "status",
    "occurred_at": "occurred_at",
    "recorded_at": "recorded_at",
    "modified_at": "modified_at",
    "category": "category",
    "severity": "severity",
    "target": "target",
    "trigger_code": "trigger",
    "summary": "summary",
    "reported_by": "reported_by",
    "version": "version",
    "position": "position",
    "resolution": "resolution",
    "scheduled_follow_ups": "scheduled_follow_ups",
}


class IncidentQueries(Reader):
    """Read the incident index, and an incident's versions by recorded time."""

    def list_incidents(
        self,
        *,
        offices: Collection[str] | None = None,
        office: str | None = None,
        status: str | None = None,
        category: str | None = None,
        severity: int | None = None,
        from_: date | None = None,
        to: date | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> dict[str, Any]:
        """List incidents, newest first, within the offices a reader may see."""
        where, params = _filters(offices, office, status, category, severity, from_, to)
        collection = self._page(
            "incidents",
            ", ".join(_INCIDENT_ITEM),
            where,
            params,
            order="occurred_at DESC, incident_id DESC",
            page=page,
            page_size=page_size,
        )
        collection["items"] = [
            dict(zip(_INCIDENT_ITEM.values(), row, strict=True))
            for row in collection["items"]
        ]
        return collection

    def all_incidents(
        self,
        *,
        offices: Collection[str] | None = None,
        office: str | None = None,
        status: str | None = None,
        category: str | None = None,
        severity: int | None = None,
        from_: date | None = None,
        to: date | None = None,
    ) -> list[dict[str, Any]]:
        """Return every incident ``list_incidents`` would list, from one snapshot."""
        where, params = _filters(offices, office, status, category, severity, from_, to)
        with self._reading() as (cursor, tables):
            cursor.execute(
                f"SELECT {', '.join(_INCIDENT_ITEM)} FROM {tables.name('incidents')} "
                f"WHERE {where} ORDER BY occurred_at DESC, incident_id DESC",
                params,
            )
            rows = cursor.fetchall()
        return [dict(zip(_INCIDENT_ITEM.values(), row, strict=True)) for row in rows]

    def get_incident_summary(self, incident_id: UUID) -> dict[str, Any] | None:
        """Return the index row of one incident, or ``None``."""
        with self._reading() as (cursor, tables):
            cursor.execute(
                f"SELECT {', '.join(_INCIDENT_ITEM)} FROM {tables.name('incidents')} "
                "WHERE incident_id = ?",
                (str(incident_id),),
            )
            row = cursor.fetchone()
        return (
            None
            if row is None
            else dict(zip(_INCIDENT_ITEM.values(), row, strict=True))
        )

    def incident_version_as_of(self, incident_id: UUID, as_of: datetime) -> int | None:
        """Return the version of an incident as known at a time, or ``None``."""
        with self._reading() as (cursor, tables):
            cursor.execute(
                f"SELECT MAX(version) FROM {tables.name('events')} "
                "WHERE aggregate_id = ? AND office IS NOT NULL AND recorded_at <= ?",
                (str(incident_id), iso(as_of)),
            )
            row = cursor.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def contacts_closed_before(self, moment: datetime) -> list[UUID]:
        """Return the incidents still holding a contact, closed before a time."""
        with self._reading() as (cursor, tables):
            cursor.execute(
                f"SELECT i.incident_id FROM {tables.name('incidents')} i "
                f"JOIN {tables.name('incident_states')} s "
                "ON s.report_position = i.report_position AND s.valid_to IS NULL "
                "WHERE i.has_contact = 1 AND i.status = 'closed' "
                "AND s.closed_at < ? ORDER BY s.closed_at, i.incident_id",
                (iso(moment),),
            )
            return [UUID(row[0]) for row in cursor.fetchall()]


def _filters(
    offices: Collection[str] | None,
    office: str | None,
    status: str | None,
    category: str | None,
    severity: int | None,
    from_: date | None,
    to: date | None,
) -> tuple[str, list[Any]]:
    """Return the WHERE clause and parameters of the incident list's filters."""
    conditions, params = scope(offices)
    for column, value in (
        ("office", office),
        ("status", status),
        ("category", category),
        ("severity", severity),
    ):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if from_ is not None:
        conditions.append("occurred_on >= ?")
        params.append(from_.isoformat())
    if to is not None:
        conditions.append("occurred_on <= ?")
        params.append(to.isoformat())
    return " AND ".join(conditions) or "1 = 1", params

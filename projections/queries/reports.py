"""Answer what a monthly report shows beyond an office's summary.

The incidents are the summary's (:mod:`.offices`): the states of the offices'
incidents that occurred within the range, valid now or at ``as_of``. On them,
the report also counts incidents by hour of the day (in Paris), the
de-escalation techniques used (the de-escalations of each incident up to the
version valid then, so that the techniques are those of the summary's
attempts), and lists the severe incidents.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from incidents.vocabulary import Severity, Technique
from projections.days import PARIS
from projections.queries.offices import _office_states
from projections.queries.reading import Reader

# Serious and critical: the incidents a report lists one by one.
SEVERE_FROM = Severity.SERIOUS
# The de-escalation events' type in the audit trail (the event's class name).
_DE_ESCALATION = "DeEscalationRecorded"


class ReportQueries(Reader):
    """Count what a report shows of offices' incidents over a range of days."""

    def report_details(
        self,
        offices: Sequence[str],
        *,
        from_: date,
        to: date,
        as_of: datetime | None = None,
    ) -> dict[str, Any]:
        """Return incidents by hour, techniques used, and the severe incidents.

        ``severe`` holds ``{incident_id, version, office, occurred_at,
        severity, category, status}`` of each incident whose severity was
        serious or critical, newest first: the version is the one valid at
        ``as_of``, so the caller can read the incident as it was known then.
        """
        where, params = _office_states(offices, from_, to, as_of)
        with self._reading() as (cursor, tables):
            states = tables.name("incident_states")
            cursor.execute(
                "SELECT s.incident_id, s.version, s.office, s.occurred_at, "
                f"s.severity, s.category, s.status FROM {states} s WHERE {where} "
                "ORDER BY s.occurred_at DESC",
                params,
            )
            rows = cursor.fetchall()
            cursor.execute(
                f"SELECT e.data FROM {states} s "
                f"JOIN {tables.name('events')} e "
                "ON e.aggregate_id = s.incident_id AND e.version <= s.version "
                f"WHERE {where} AND e.type = ?",
                (*params, _DE_ESCALATION),
            )
            attempts = [json.loads(data) for (data,) in cursor.fetchall()]
        hours = Counter(
            datetime.fromisoformat(row[3]).astimezone(PARIS).hour for row in rows
        )
        techniques = Counter(
            technique for attempt in attempts for technique in attempt["techniques"]
        )
        return {
            "by_hour": {str(hour): hours[hour] for hour in range(24)},
            "techniques": {code.value: techniques[code.value] for code in Technique},
            "severe": [
                {
                    "incident_id": row[0],
                    "version": int(row[1]),
                    "office": row[2],
                    "occurred_at": row[3],
                    "severity": int(row[4]),
                    "category": row[5],
                    "status": row[6],
                }
                for row in rows
                if int(row[4]) >= SEVERE_FROM
            ],
        }

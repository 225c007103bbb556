"""Answer the read-side questions: lists, summaries, timelines, board, audit trail.

Every answer is plain data (dicts of str, int, float, bool and None) that the web
layer can serialise as it is. :class:`ReadModels` gathers the questions, one
module each: incidents (:mod:`.incidents`: the list, one incident, its version
as of a time), office summaries now or as of a time (:mod:`.offices`), the
presence of mediators and the incidents (:mod:`.presence_impact`), what a
monthly report adds (:mod:`.reports`),
timelines (:mod:`.timelines`), the follow-up board (:mod:`.board`) and the
audit trail (:mod:`.audit`), all reading one snapshot of the live generation
(:mod:`.reading`).
"""

from __future__ import annotations

from projections.days import day_start, paris_today
from projections.queries.audit import AuditQueries
from projections.queries.board import BoardQueries
from projections.queries.incidents import IncidentQueries
from projections.queries.offices import OfficeQueries
from projections.queries.presence_impact import PresenceImpactQueries
from projections.queries.reading import MAX_PAGE_SIZE
from projections.queries.reports import ReportQueries
from projections.queries.timelines import TimelineQueries

__all__ = ["MAX_PAGE_SIZE", "ReadModels", "day_start", "paris_today"]


class ReadModels(
    IncidentQueries,
    OfficeQueries,
    PresenceImpactQueries,
    ReportQueries,
    TimelineQueries,
    BoardQueries,
    AuditQueries,
):
    """Query the live generation of the read models."""

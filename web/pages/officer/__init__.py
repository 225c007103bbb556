"""Pages of the safety officer: dashboard, timelines, incidents, follow-ups.

Officers review the offices they cover and act on incidents; auditors read
everything, now or as it was known at a past time ("as of"), and act on
nothing; admins and mediators open incidents within their scope. One blueprint
(:mod:`.blueprint`), a module per page: :mod:`.dashboard`, :mod:`.incident_list`,
:mod:`.incident` with its :mod:`.actions` (and their :mod:`.forms`),
:mod:`.timeline`, :mod:`.board` and :mod:`.week_plan` (the rota's grid);
their filters are :mod:`.filters`.
"""

from __future__ import annotations

from web.pages.officer import (
    actions,
    board,
    dashboard,
    incident,
    incident_list,
    timeline,
    week_plan,
)
from web.pages.officer.blueprint import bp

# Each module registers its views on the blueprint as it is imported.
VIEWS = (actions, board, dashboard, incident, incident_list, timeline, week_plan)

__all__ = ["VIEWS", "bp"]

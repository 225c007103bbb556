"""Pages of the mediator: report in under a minute, then log what followed.

One blueprint (:mod:`.blueprint`), a module per page: :mod:`.report` (the
quick report), :mod:`.after_report` (what was recorded, and one tap to each
follow-on action: a de-escalation, an escalation, a follow-up) and
:mod:`.follow_ups` ("Mes suivis", the open follow-ups assigned to the
signed-in person, overdue first) and :mod:`.my_week` ("Ma semaine", their
shifts), and :mod:`.queued` (what the phone's outbox sends, kept while
offline, and the page that follows a report kept on the phone). Their forms
are made of :mod:`.fields`, and sent through :mod:`.submitting`.

These pages never show a visitor's contact: they say only whether one was
recorded (the incident page shows it to those allowed, and records that).
"""

from __future__ import annotations

from web.pages.mediator import after_report, follow_ups, my_week, queued, report
from web.pages.mediator.blueprint import bp

# Each module registers its views on the blueprint as it is imported.
VIEWS = (after_report, follow_ups, my_week, queued, report)

__all__ = ["VIEWS", "bp"]

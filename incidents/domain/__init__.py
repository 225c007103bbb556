"""Model an incident as the sequence of facts recorded about it.

:mod:`~incidents.domain.incident` holds the ``Incident`` aggregate with its
events, :mod:`~incidents.domain.records` the values its state accumulates, and
:mod:`~incidents.domain.report_checks` the checks of a report and an amendment.
The rota is :mod:`~incidents.domain.shift` (``Shift``), with each mediator's
day in :mod:`~incidents.domain.mediator_day` (which keeps their shifts apart) and
the offices' hours in :mod:`~incidents.domain.opening_hours`. The people and the
offices are in :mod:`incidents.access`.
"""

from incidents.domain.incident import Incident
from incidents.domain.mediator_day import MediatorDay
from incidents.domain.opening_hours import OpeningHours
from incidents.domain.report_checks import AMENDABLE_FIELDS
from incidents.domain.shift import Shift

__all__ = ["AMENDABLE_FIELDS", "Incident", "MediatorDay", "OpeningHours", "Shift"]

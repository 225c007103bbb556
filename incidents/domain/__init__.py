"""Model an incident as the sequence of facts recorded about it.

:mod:`~incidents.domain.incident` holds the ``Incident`` aggregate with its
events, :mod:`~incidents.domain.records` the values its state accumulates, and
:mod:`~incidents.domain.report_checks` the checks of a report and an amendment.
The people and the offices are in :mod:`incidents.access`.
"""

from incidents.domain.incident import Incident
from incidents.domain.report_checks import AMENDABLE_FIELDS

__all__ = ["AMENDABLE_FIELDS", "Incident"]

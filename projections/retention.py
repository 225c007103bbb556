"""Erase the contacts that the retention policy says must not be kept any longer."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from incidents.personal_data import RETENTION_ACTOR

if TYPE_CHECKING:
    from incidents.application import IncidentLog
    from projections.queries import ReadModels


def erase_contacts_closed_before(
    log: IncidentLog, read_models: ReadModels, *, cutoff: datetime, reason: str
) -> list[UUID]:
    """Erase every contact of an incident closed before ``cutoff``; return them.

    Idempotent: an erased incident no longer holds a contact, so a second run
    with the same cutoff erases nothing.
    """
    read_models.projector.catch_up()
    due = read_models.contacts_closed_before(cutoff)
    for incident_id in due:
        log.erase_personal_data(incident_id, actor=RETENTION_ACTOR, reason=reason)
    return due

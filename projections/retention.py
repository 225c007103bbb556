"""Erase the contacts that the retention policy says must not be kept any longer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from incidents.personal_data import RETENTION_ACTOR

if TYPE_CHECKING:
    from incidents.application import IncidentLog
    from projections.queries import ReadModels


def contacts_due(read_models: ReadModels, *, cutoff: datetime) -> list[UUID]:
    """Return the incidents closed before ``cutoff`` that still hold a contact."""
    read_models.projector.catch_up()
    return read_models.contacts_closed_before(cutoff)


def erase_contacts_closed_before(
    log: IncidentLog, read_models: ReadModels, *, cutoff: datetime, reason: str
) -> list[UUID]:
    """Erase every contact of an incident closed before ``cutoff``; return them.

    Idempotent: an erased incident no longer holds a contact, so a second run
    with the same cutoff erases nothing.
    """
    return list(erase_contacts(log, contacts_due(read_models, cutoff=cutoff), reason))


def erase_contacts(
    log: IncidentLog, incident_ids: Iterable[UUID], reason: str
) -> Iterator[UUID]:
    """Erase the contact of each incident in turn, yielding each once erased."""
    for incident_id in incident_ids:
        log.erase_personal_data(incident_id, actor=RETENTION_ACTOR, reason=reason)
        yield incident_id

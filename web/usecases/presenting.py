"""Present an incident as a person may see it, and keep its contact's showings.

A visitor's contact is shown only to the office's officers and to the mediator
who reported it (:func:`incidents.permissions.may_see_contact`); every showing
of it is on record (docs/privacy.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incidents.application import WriteResult
from incidents.permissions import may_see_contact
from web import get_incident_log

_SHOWN = (
    "id",
    "version",
    "office",
    "status",
    "occurred_at",
    "recorded_at",
    "category",
    "severity",
    "target",
    "trigger",
    "summary",
    "parties",
    "contact_recorded",
    "contact_erased",
    "de_escalations",
    "escalations",
    "follow_ups",
    "resolution",
)


def present(
    user: dict[str, Any],
    incident: dict[str, Any],
    position: int,
    *,
    as_of: datetime | None = None,
    written: bool = False,
) -> dict[str, Any]:
    """Return the incident in the contract's shape, as this person may see it.

    ``as_of``: the incident is as known at that time, and so is the rota that
    says which mediator was on shift. ``written``: ``position`` is a write just
    committed, so the rota as the log stood there is the rota now.
    """
    return {
        **{name: incident[name] for name in _SHOWN},
        "position": position,
        "contact": incident["contact"] if may_see_contact(user, incident) else None,
        "mediator_on_shift": get_incident_log().mediator_on_shift(
            incident["office"],
            incident["occurred_at"],
            as_of=as_of,
            reached=position if written else None,
        ),
    }


def show(
    user: dict[str, Any],
    incident: dict[str, Any],
    position: int,
    *,
    channel: str,
    shown: bool = True,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """Present the incident to a person, recording any showing of its contact.

    ``shown=False`` is for an answer that carries nothing (a HEAD request).
    """
    presented = present(user, incident, position, as_of=as_of)
    if presented["contact"] is not None and shown:
        get_incident_log().record_disclosure(
            incident["id"], viewer=user["name"], channel=channel
        )
    return presented


def written(
    user: dict[str, Any], result: WriteResult, warnings: list[dict[str, Any]]
) -> dict[str, Any]:
    """Present the incident written (the next read waits for the read models)."""
    body = present(user, result.incident, result.position, written=True)
    body["warnings"] = warnings
    return body

"""Say who may see which incident and which offices: the rest is as if unknown.

Outside a person's offices an incident or an office is not found (404), never
forbidden, so nobody learns what exists elsewhere. The role's rights are
:mod:`incidents.permissions`; these functions apply them to what is asked.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from incidents.errors import (
    IncidentNotFoundError,
    InvalidInputError,
    OfficeNotFoundError,
)
from incidents.permissions import covers, visible_offices
from web import get_incident_log


def readable_offices(user: dict[str, Any], office: str | None) -> list[str] | None:
    """Check an ``office`` filter against the person's scope; return that scope.

    ``None`` means every office (auditors, admins, people covering all).
    """
    if office is not None:
        check_office_field(user, "office", office)
    offices = visible_offices(user)
    return None if offices is None else sorted(offices)


def check_office_field(user: dict[str, Any], field: str, office: str) -> None:
    """Refuse an office outside the person's scope as if it did not exist."""
    offices = visible_offices(user)
    known = (
        offices
        if offices is not None
        else {office["code"] for office in get_incident_log().list_offices()}
    )
    if office not in known:
        raise InvalidInputError.unknown_code(field, office, sorted(known))


def visible_incident(user: dict[str, Any], incident_id: UUID) -> dict[str, Any]:
    """Return the incident, or raise not found when it is outside the scope."""
    incident = get_incident_log().get_incident(incident_id)
    if not covers(user, incident["office"]):
        raise IncidentNotFoundError(incident_id)
    return incident


def visible_office(user: dict[str, Any], code: str) -> dict[str, str]:
    """Return the office, or raise not found when it is outside the scope."""
    office = get_incident_log().get_office(code)
    if not covers(user, code):
        raise OfficeNotFoundError(code)
    return office

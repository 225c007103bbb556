"""Say which role may do what, and which offices a person may see.

Two questions, answered in this order by every entry point:

1. May the person's *role* ever do this? If not, :func:`check_allowed` raises
   :class:`~incidents.errors.PermissionDeniedError` (403), whatever the target.
2. Is the target within the offices the person covers? If not, the caller must
   answer exactly as for something that does not exist (404), so that nobody
   learns what happens in offices they do not cover: :func:`covers` tells.

A person is the plain dict that :meth:`IncidentLog.authenticate_token` returns:
``role`` and ``offices`` (``None`` for every office) are all this module reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from incidents.access import ROLES_WITH_EVERY_OFFICE
from incidents.errors import PermissionDeniedError
from incidents.vocabulary import Role


class Action(StrEnum):
    """Name a kind of thing a person may do, as the permission table groups them."""

    READ = "read incidents, timelines, summaries and follow-ups"
    RECORD = "report incidents or record events on them"
    CLOSE = "close or reopen incidents"
    ERASE = "erase personal data"
    AUDIT = "read the audit trail"
    ADMINISTER = "manage people and tokens"
    PLAN = "plan, change or cancel the mediators' shifts"
    SET_HOURS = "change the offices' opening hours"
    READ_OTHERS_SHIFTS = "read other mediators' shifts"


ALLOWED_ROLES: Mapping[Action, frozenset[str]] = MappingProxyType(
    {
        Action.READ: frozenset(role.value for role in Role),
        Action.RECORD: frozenset({Role.MEDIATOR.value, Role.OFFICER.value}),
        Action.CLOSE: frozenset({Role.OFFICER.value}),
        Action.ERASE: frozenset({Role.ADMIN.value}),
        Action.AUDIT: frozenset({Role.AUDITOR.value}),
        Action.ADMINISTER: frozenset({Role.ADMIN.value}),
        Action.PLAN: frozenset({Role.OFFICER.value, Role.ADMIN.value}),
        Action.SET_HOURS: frozenset({Role.ADMIN.value}),
        Action.READ_OTHERS_SHIFTS: frozenset(
            {Role.OFFICER.value, Role.AUDITOR.value, Role.ADMIN.value}
        ),
    }
)


def is_allowed(user: Mapping[str, Any], action: Action) -> bool:
    """Tell whether the person's role may ever do the action."""
    return user.get("role") in ALLOWED_ROLES[action]


def check_allowed(user: Mapping[str, Any], action: Action) -> None:
    """Refuse the action when the person's role may never do it."""
    if not is_allowed(user, action):
        raise PermissionDeniedError(str(user.get("role")), action.value)


def visible_offices(user: Mapping[str, Any]) -> frozenset[str] | None:
    """Return the codes of the offices the person covers, or ``None`` for all."""
    offices = user.get("offices")
    if user.get("role") in ROLES_WITH_EVERY_OFFICE or offices is None:
        return None
    return frozenset(offices)


def covers(user: Mapping[str, Any], office: str) -> bool:
    """Tell whether the person may see what happens in the office."""
    offices = visible_offices(user)
    return offices is None or office in offices


def may_see_contact(user: Mapping[str, Any], incident: Mapping[str, Any]) -> bool:
    """Tell whether the person may read the visitor's contact on an incident.

    Only the officers who cover the office, and the mediator who reported the
    incident, need to reach the visitor; everyone else learns only that a
    contact was recorded.
    """
    role = user.get("role")
    if role == Role.OFFICER.value:
        return covers(user, str(incident["office"]))
    if role == Role.MEDIATOR.value:
        return bool(incident.get("reported_by") == user.get("name")) and covers(
            user, str(incident["office"])
        )
    return False

"""Say who receives a notification, and by which channel.

The officers whose offices include the incident's office, and for an overdue
follow-up its assignee too; each only if active and if their preferences keep
that kind. By mail when a mail server is configured and the person has an
address, under the bell otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from incidents.access import ROLES_WITH_EVERY_OFFICE
from incidents.vocabulary import Role


@dataclass(frozen=True)
class Recipient:
    """Name a person to notify, and the channel to reach them by."""

    name: str
    channel: str


def recipients(
    people: Iterable[dict[str, Any]],
    *,
    kind: str,
    office: str,
    assignee: str | None = None,
    mail_enabled: bool,
) -> list[Recipient]:
    """Return who receives a notification of this kind about this office."""
    chosen = []
    for person in people:
        if not person["is_active"]:
            continue
        if not person["notification_preferences"].get(kind, False):
            continue
        officer = person["role"] == Role.OFFICER.value and _covers(person, office)
        if not officer and not (
            kind == "follow_up_overdue" and person["name"] == assignee
        ):
            continue
        channel = "mail" if mail_enabled and person["email"] else "bell"
        chosen.append(Recipient(person["name"], channel))
    return sorted(chosen, key=lambda recipient: recipient.name)


def _covers(person: dict[str, Any], office: str) -> bool:
    offices = person["offices"]
    return (
        person["role"] in ROLES_WITH_EVERY_OFFICE
        or offices is None
        or office in offices
    )

"""Change a person's address, language and notification preferences.

Setting what is already set is not an error here: a PUT or a form sent twice
answers the same as the first time, with nothing new recorded.
"""

from __future__ import annotations

from typing import Any

from incidents.application import IncidentLog
from incidents.errors import NothingToChangeError

KEEP: Any = ...


def change_mail_settings(
    log: IncidentLog,
    name: str,
    *,
    actor: str,
    email: object = KEEP,
    language: object = KEEP,
) -> dict[str, Any]:
    """Change a person's e-mail address or language; return the person."""
    try:
        return log.change_mail_settings(
            name, actor=actor, email=email, language=language
        )
    except NothingToChangeError:
        return log.get_user(name)


def change_preferences(
    log: IncidentLog, name: str, *, actor: str, changes: dict[str, object]
) -> dict[str, Any]:
    """Change which notifications a person receives; return their preferences."""
    try:
        user = log.change_notification_preferences(name, actor=actor, changes=changes)
    except NothingToChangeError:
        user = log.get_user(name)
    preferences: dict[str, Any] = user["notification_preferences"]
    return preferences

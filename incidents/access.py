"""Model people: their roles, office scopes, addresses and notification choices.

Changes of access are events like any other, so an auditor can tell who could do
what on any date. Secrets (password hashes) are not events: they live in the
credential store beside the event log.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from incidents import values
from incidents.errors import (
    InvalidInputError,
    NothingToChangeError,
    UserDeactivatedError,
)
from incidents.vocabulary import Role

LANGUAGES = ("fr", "en")
EMAIL_MAX = 254
DIGEST_CHOICES = ("daily", "weekly", "monthly", "off")
# What a person receives when they never chose: every alert, no digest.
DEFAULT_PREFERENCES: dict[str, bool | str] = {
    "severe_incident": True,
    "escalation": True,
    "follow_up_overdue": True,
    "digest": "off",
}
ALERT_KINDS = ("severe_incident", "escalation", "follow_up_overdue")

# Auditors and admins see every office whatever their scope says.
ROLES_WITH_EVERY_OFFICE = frozenset({Role.AUDITOR.value, Role.ADMIN.value})
NAME_PATTERN = "lower-case letters, digits, dots, dashes or underscores"


def user_id(name: str) -> UUID:
    """Return the id of the user with this name (names are unique)."""
    return uuid5(NAMESPACE_URL, f"/users/{name}")


def check_email(email: object) -> str | None:
    """Return a plausible e-mail address, or None for none; refuse anything else.

    Only the shape is checked (one ``@``, a dotted domain, no spaces or line
    breaks, which could forge a mail header): the mail server says the rest.
    """
    if email is None or email == "":
        return None
    if not isinstance(email, str):
        raise InvalidInputError.field("email", "Give an e-mail address as text.")
    local, at, domain = email.partition("@")
    if (
        len(email) > EMAIL_MAX
        or not at
        or not local
        or "@" in domain
        or "." not in domain.strip(".")
        or any(char.isspace() or ord(char) < 32 for char in email)
    ):
        raise InvalidInputError.field(
            "email", "This is not an e-mail address such as name@example.fr."
        )
    return email


def check_language(language: object) -> str:
    """Return ``fr`` or ``en``; refuse any other language."""
    if language not in LANGUAGES:
        raise InvalidInputError.field(
            "language", f"Write one of {', '.join(LANGUAGES)}, not {language!r}."
        )
    return str(language)


def check_preferences(
    current: dict[str, bool | str], changes: dict[str, object]
) -> dict[str, bool | str]:
    """Return the preferences with the changes applied; refuse unknown or bad ones."""
    errors: dict[str, list[str]] = {}
    checked = dict(current)
    for key, value in changes.items():
        if key in ALERT_KINDS:
            if not isinstance(value, bool):
                errors[key] = ["Write true or false."]
                continue
        elif key == "digest":
            if value not in DIGEST_CHOICES:
                errors[key] = [f"Write one of {', '.join(DIGEST_CHOICES)}."]
                continue
        else:
            errors[key] = ["Unknown preference."]
            continue
        checked[key] = value
    if errors:
        raise InvalidInputError(errors)
    return checked


def check_user_name(name: object) -> str:
    """Return a valid user name: 2 to 64 of lower-case letters, digits, . - _."""
    if not isinstance(name, str):
        raise InvalidInputError.field("name", "Give a user name.")
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789.-_")
    if not 2 <= len(name) <= 64 or not set(name) <= allowed:
        raise InvalidInputError.field(
            "name", f"{name!r} is not valid: use 2 to 64 {NAME_PATTERN}."
        )
    return name


class User(Aggregate):
    """Hold a person's role, the offices they cover, and whether they are active."""

    TOPIC = "incidents:User"

    class Event(Aggregate.Event):
        TOPIC = "incidents:User.Event"

    # Declared so that the library does not derive one from Event, topic and all.
    class Created(Aggregate.Created):
        TOPIC = "incidents:User.Created"

    class Registered(Aggregate.Created):
        TOPIC = "incidents:User.Registered"
        name: str
        display_name: str
        role: str
        offices: list[str] | None
        actor: str

    class RoleChanged(Event):
        TOPIC = "incidents:User.RoleChanged"
        role: str
        actor: str

    class OfficesChanged(Event):
        TOPIC = "incidents:User.OfficesChanged"
        offices: list[str] | None
        actor: str

    class Deactivated(Event):
        TOPIC = "incidents:User.Deactivated"
        reason: str
        actor: str

    class Reactivated(Event):
        TOPIC = "incidents:User.Reactivated"
        actor: str

    class MailSettingsChanged(Event):
        TOPIC = "incidents:User.MailSettingsChanged"
        email: str | None
        language: str
        actor: str

    class NotificationPreferencesChanged(Event):
        TOPIC = "incidents:User.NotificationPreferencesChanged"
        severe_incident: bool
        escalation: bool
        follow_up_overdue: bool
        digest: str
        actor: str

    class TokenIssued(Event):
        TOPIC = "incidents:User.TokenIssued"
        token_id: UUID
        label: str
        actor: str

    class TokenRevoked(Event):
        TOPIC = "incidents:User.TokenRevoked"
        token_id: UUID
        reason: str
        actor: str

    @classmethod
    def register(
        cls,
        *,
        actor: str,
        name: object,
        role: object,
        offices: list[str] | None,
        display_name: object = None,
    ) -> User:
        """Register a person; ``offices=None`` means every office."""
        checked_name = check_user_name(name)
        return cls._create(
            cls.Registered,
            id=user_id(checked_name),
            name=checked_name,
            display_name=values.optional_text(
                "display_name", display_name, max_length=values.SHORT_TEXT_MAX
            )
            or checked_name,
            role=values.code("role", role, Role),
            offices=None if offices is None else sorted(set(offices)),
            actor=actor,
        )

    @event(Registered)
    def __init__(
        self,
        *,
        name: str,
        display_name: str,
        role: str,
        offices: list[str] | None,
        actor: str,
    ) -> None:
        self.name = name
        self.display_name = display_name
        self.role = role
        self.offices = offices
        self.is_active = True
        self.tokens: dict[UUID, str] = {}
        self.email: str | None = None
        self.language = "fr"
        self.preferences: dict[str, bool | str] = dict(DEFAULT_PREFERENCES)

    def change_mail_settings(
        self, *, actor: str, email: object = ..., language: object = ...
    ) -> None:
        """Change where and in which language the person is written to.

        A value left out (``...``) is kept; ``email=None`` removes the address.
        """
        checked_email = self.email if email is ... else check_email(email)
        checked_language = (
            self.language if language is ... else check_language(language)
        )
        if (checked_email, checked_language) == (self.email, self.language):
            raise NothingToChangeError(f"{self.name}'s mail settings are unchanged.")
        self._change_mail_settings(
            email=checked_email, language=checked_language, actor=actor
        )

    @event(MailSettingsChanged)
    def _change_mail_settings(
        self, *, email: str | None, language: str, actor: str
    ) -> None:
        self.email = email
        self.language = language

    def change_preferences(self, *, actor: str, changes: dict[str, object]) -> None:
        """Change which notifications the person receives, and how often a digest."""
        checked = check_preferences(self.preferences, changes)
        if checked == self.preferences:
            raise NothingToChangeError(f"{self.name}'s preferences are unchanged.")
        self._change_preferences(
            severe_incident=bool(checked["severe_incident"]),
            escalation=bool(checked["escalation"]),
            follow_up_overdue=bool(checked["follow_up_overdue"]),
            digest=str(checked["digest"]),
            actor=actor,
        )

    @event(NotificationPreferencesChanged)
    def _change_preferences(
        self,
        *,
        severe_incident: bool,
        escalation: bool,
        follow_up_overdue: bool,
        digest: str,
        actor: str,
    ) -> None:
        self.preferences = {
            "severe_incident": severe_incident,
            "escalation": escalation,
            "follow_up_overdue": follow_up_overdue,
            "digest": digest,
        }

    def change_role(self, *, actor: str, role: object) -> None:
        """Give the person another role."""
        checked = values.code("role", role, Role)
        if checked == self.role:
            raise NothingToChangeError(f"{self.name} is already {checked}.")
        self._change_role(role=checked, actor=actor)

    @event(RoleChanged)
    def _change_role(self, *, role: str, actor: str) -> None:
        self.role = role

    def change_offices(self, *, actor: str, offices: list[str] | None) -> None:
        """Change the offices the person covers; ``None`` means every office."""
        checked = None if offices is None else sorted(set(offices))
        if checked == self.offices:
            raise NothingToChangeError(f"{self.name} already covers these offices.")
        self._change_offices(offices=checked, actor=actor)

    @event(OfficesChanged)
    def _change_offices(self, *, offices: list[str] | None, actor: str) -> None:
        self.offices = offices

    def deactivate(self, *, actor: str, reason: object) -> None:
        """Withdraw every right of the person, keeping their history."""
        if not self.is_active:
            raise NothingToChangeError(f"{self.name} is already deactivated.")
        self._deactivate(
            reason=values.text("reason", reason, max_length=values.REASON_MAX),
            actor=actor,
        )

    @event(Deactivated)
    def _deactivate(self, *, reason: str, actor: str) -> None:
        self.is_active = False

    def reactivate(self, *, actor: str) -> None:
        """Give a deactivated person their rights back."""
        if self.is_active:
            raise NothingToChangeError(f"{self.name} is already active.")
        self._reactivate(actor=actor)

    @event(Reactivated)
    def _reactivate(self, *, actor: str) -> None:
        self.is_active = True

    def issue_token(self, *, actor: str, token_id: UUID, label: object) -> None:
        """Record that an API token was issued (its secret is never an event)."""
        if not self.is_active:
            raise UserDeactivatedError(self.name)
        self._issue_token(
            token_id=token_id,
            label=values.optional_text("label", label, max_length=values.SHORT_TEXT_MAX)
            or "",
            actor=actor,
        )

    @event(TokenIssued)
    def _issue_token(self, *, token_id: UUID, label: str, actor: str) -> None:
        self.tokens[token_id] = label

    def revoke_token(self, *, actor: str, token_id: UUID, reason: object) -> None:
        """Record that an API token no longer opens anything."""
        if token_id not in self.tokens:
            raise NothingToChangeError(f"{self.name} has no active token {token_id}.")
        self._revoke_token(
            token_id=token_id,
            reason=values.text("reason", reason, max_length=values.REASON_MAX),
            actor=actor,
        )

    @event(TokenRevoked)
    def _revoke_token(self, *, token_id: UUID, reason: str, actor: str) -> None:
        del self.tokens[token_id]

    def covers(self, office: str) -> bool:
        """Tell whether the person may see the given office."""
        return (
            self.role in ROLES_WITH_EVERY_OFFICE
            or self.offices is None
            or office in self.offices
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the person as plain data."""
        return {
            "id": self.id,
            "name": self.name,
            "display_name": self.display_name,
            "role": self.role,
            "offices": None if self.offices is None else list(self.offices),
            "is_active": self.is_active,
            "email": self.email,
            "language": self.language,
            "notification_preferences": dict(self.preferences),
            "tokens": [
                {"id": token_id, "label": label}
                for token_id, label in self.tokens.items()
            ],
            "version": self.version,
        }

"""Check and normalise the values that commands carry, before any event exists.

Each function takes what a client sent and returns the primitive that events store
(codes as ``str``, severities as ``int``, instants as aware UTC ``datetime``), or
raises :class:`~incidents.errors.InvalidInputError` naming the field.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

from incidents.errors import InvalidInputError
from incidents.vocabulary import PartyRole, Severity

E = TypeVar("E", bound=Enum)

SUMMARY_MAX = 4000
NOTE_MAX = 4000
REASON_MAX = 1000
SHORT_TEXT_MAX = 200
CLIENT_REF_MAX = 64
MAX_PARTIES = 20
MAX_PARTY_COUNT = 500

# A phone's clock may run a little ahead of the server's; beyond this, "occurred
# at" is a mistake rather than skew.
CLOCK_SKEW = timedelta(minutes=5)

# The control characters (Unicode category Cc: U+0000 to U+001F, U+007F to
# U+009F) but the newline and the tab: one scan in C instead of a lookup per
# character.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PHONE = re.compile(r"^\+?[0-9 ().-]{6,25}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def has_control_characters(text: str) -> bool:
    """Say whether a text holds control characters other than newlines and tabs."""
    return _CONTROL.search(text) is not None


def code(field: str, value: object, vocabulary: type[E]) -> str:
    """Return the code of ``value`` in ``vocabulary``, or refuse it, listing codes."""
    if isinstance(value, vocabulary):
        return str(value.value)
    if isinstance(value, str) and value in _codes_of(vocabulary):
        return value
    raise InvalidInputError.unknown_code(
        field, value, [member.value for member in vocabulary]
    )


@functools.cache
def _codes_of(vocabulary: type[Enum]) -> frozenset[object]:
    # Vocabularies are fixed enums: their codes are gathered once.
    return frozenset(member.value for member in vocabulary)


def optional_code(field: str, value: object, vocabulary: type[E]) -> str | None:
    """Return the code like :func:`code`, or ``None`` when no value was given."""
    if value is None:
        return None
    return code(field, value, vocabulary)


def codes(field: str, values: object, vocabulary: type[E]) -> list[str]:
    """Return a non-empty list of distinct codes, keeping the order given."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInputError.field(field, "Give a list of codes.")
    result: list[str] = []
    for value in values:
        checked = code(field, value, vocabulary)
        if checked in result:
            raise InvalidInputError.field(field, f"{checked!r} is given twice.")
        result.append(checked)
    if not result:
        raise InvalidInputError.field(field, "Give at least one code.")
    return result


def severity(value: object, field: str = "severity") -> int:
    """Return a severity from 0 to 4."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError.field(field, "Give an integer from 0 to 4.")
    if value not in {member.value for member in Severity}:
        raise InvalidInputError.field(
            field, f"{value} is out of range: give an integer from 0 to 4."
        )
    return int(value)


def text(field: str, value: object, *, max_length: int) -> str:
    """Return trimmed, non-empty text without control characters."""
    cleaned = optional_text(field, value, max_length=max_length)
    if cleaned is None:
        raise InvalidInputError.field(field, "This text is required.")
    return cleaned


def optional_text(field: str, value: object, *, max_length: int) -> str | None:
    """Return trimmed text, or ``None`` when nothing (or only blanks) was given."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError.field(field, "Give a text.")
    cleaned = value.strip()
    if not cleaned:
        return None
    if has_control_characters(cleaned):
        raise InvalidInputError.field(field, "Control characters are not allowed.")
    if len(cleaned) > max_length:
        raise InvalidInputError.field(
            field, f"Too long: {len(cleaned)} characters, at most {max_length}."
        )
    return cleaned


def instant(field: str, value: object) -> datetime:
    """Return an aware datetime in UTC; refuse one without a time zone."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInputError.field(
                field, "Give an ISO 8601 date and time, e.g. 2026-03-02T09:15:00+01:00."
            ) from None
    if not isinstance(value, datetime):
        raise InvalidInputError.field(field, "Give a date and time.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError.field(
            field,
            "Give a time zone, e.g. +01:00 or Z: a time without one is ambiguous.",
        )
    return value.astimezone(UTC)


def past_instant(field: str, value: object, *, now: datetime) -> datetime:
    """Return an instant that is not in the future (allowing for clock skew)."""
    result = instant(field, value)
    if result > now + CLOCK_SKEW:
        raise InvalidInputError.field(
            field, f"{result.isoformat()} is in the future: give when it happened."
        )
    return result


def day(field: str, value: object) -> date:
    """Return a calendar date."""
    if isinstance(value, datetime):
        raise InvalidInputError.field(field, "Give a date without a time.")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInputError.field(field, "Give a date as YYYY-MM-DD.")


@dataclass(frozen=True)
class Party:
    """Describe someone involved, by role and number, never by name."""

    role: str
    count: int = 1
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parties(value: object) -> list[dict[str, Any]]:
    """Return the parties as plain dicts, checked."""
    if value is None:
        return []
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise InvalidInputError.field("parties", "Give a list of parties.")
    result = []
    for index, item in enumerate(value):
        field = f"parties.{index}"
        if isinstance(item, Party):
            item = item.to_dict()
        if not isinstance(item, Mapping):
            raise InvalidInputError.field(field, "Give role, count and description.")
        unknown = set(item) - {"role", "count", "description"}
        if unknown:
            raise InvalidInputError.field(
                field, f"Unknown field(s): {', '.join(sorted(unknown))}."
            )
        count = item.get("count", 1)
        if (
            isinstance(count, bool)
            or not isinstance(count, int)
            or not 1 <= count <= MAX_PARTY_COUNT
        ):
            raise InvalidInputError.field(
                f"{field}.count", f"Give an integer from 1 to {MAX_PARTY_COUNT}."
            )
        party = Party(
            role=code(f"{field}.role", item.get("role"), PartyRole),
            count=count,
            description=optional_text(
                f"{field}.description",
                item.get("description"),
                max_length=SHORT_TEXT_MAX,
            ),
        )
        result.append(party.to_dict())
    if len(result) > MAX_PARTIES:
        raise InvalidInputError.field("parties", f"At most {MAX_PARTIES} parties.")
    return result


@dataclass(frozen=True)
class Contact:
    """Hold a visitor's personal contact details, which can be erased."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


def contact(value: object) -> dict[str, str | None] | None:
    """Return the contact as a plain dict, or ``None`` when it holds nothing."""
    if value is None:
        return None
    if isinstance(value, Contact):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        raise InvalidInputError.field("contact", "Give name, phone and/or email.")
    unknown = set(value) - {"name", "phone", "email"}
    if unknown:
        raise InvalidInputError.field(
            "contact", f"Unknown field(s): {', '.join(sorted(unknown))}."
        )
    name = optional_text("contact.name", value.get("name"), max_length=SHORT_TEXT_MAX)
    phone = optional_text("contact.phone", value.get("phone"), max_length=32)
    email = optional_text("contact.email", value.get("email"), max_length=254)
    if phone is not None and not _PHONE.match(phone):
        raise InvalidInputError.field(
            "contact.phone", "Give digits, spaces, dots or dashes, with an optional +."
        )
    if email is not None and not _EMAIL.match(email):
        raise InvalidInputError.field("contact.email", "Give an address like a@b.fr.")
    if name is None and phone is None and email is None:
        return None
    return Contact(name=name, phone=phone, email=email).to_dict()

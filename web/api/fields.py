"""Read what clients send: trimmed, bounded texts, strict numbers, aware instants.

These fields check shape and type only. Whether a code belongs to the
vocabulary, or a value obeys a rule, is the domain's to say (``incidents``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from marshmallow import ValidationError, fields, validate

from incidents.values import has_control_characters
from web.usecases.bounds import FIRST_DAY, LAST_DAY

CODE_MAX = 64

NO_ZONE = "Give a time zone, e.g. +01:00 or Z: a time without one is ambiguous."


def refuse_control_characters(value: str) -> None:
    """Refuse text holding control characters other than newlines and tabs."""
    if has_control_characters(value):
        raise ValidationError("Control characters are not allowed.")


class Text(fields.String):
    """Read a text, trimmed, at most ``max_length`` characters, no control codes."""

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(
            validate=[validate.Length(max=max_length), refuse_control_characters],
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Code(Text):
    """Read a code of the vocabulary (the domain checks it is one)."""

    def __init__(self, vocabulary: type[Enum] | None = None, **kwargs: Any) -> None:
        metadata = dict(kwargs.pop("metadata", {}))
        if vocabulary is not None:
            metadata.setdefault("enum", [member.value for member in vocabulary])
        super().__init__(max_length=CODE_MAX, metadata=metadata, **kwargs)


class WholeNumber(fields.Integer):
    """Read a JSON integer: no strings, fractions or booleans."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """Read a JSON true or false: no strings or numbers."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Instant(fields.AwareDateTime):
    """Read an ISO 8601 date and time with a zone, returned in UTC."""

    default_error_messages = {"invalid_awareness": NO_ZONE}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_DAY.year <= moment.year <= LAST_DAY.year:
            raise ValidationError(
                f"Give a year from {FIRST_DAY.year} to {LAST_DAY.year}."
            )
        return moment.astimezone(UTC)


class Day(fields.Date):
    """Read a calendar day as YYYY-MM-DD."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationError(
                f"Give a day from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}."
            )
        return day

"""Check the values of a report and of an amendment before an event records them.

Every field is checked, and every error is reported at once, keyed by its field
(``changes.<field>`` for an amendment).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from incidents import values
from incidents.errors import InvalidInputError
from incidents.vocabulary import Category, Target, Trigger

AMENDABLE_FIELDS = (
    "category",
    "target",
    "trigger",
    "summary",
    "parties",
    "occurred_at",
)


def report_fields(
    *,
    office: str,
    occurred_at: object,
    category: object,
    severity: object,
    target: object,
    summary: object,
    now: datetime,
    trigger: object = None,
    parties: object = None,
    contact: object = None,
    client_ref: object = None,
) -> dict[str, Any]:
    """Check the values of a report and return them as the event will store them."""
    checks: dict[str, Callable[[], Any]] = {
        "occurred_at": lambda: values.past_instant("occurred_at", occurred_at, now=now),
        "category": lambda: values.code("category", category, Category),
        "severity": lambda: values.severity(severity),
        "target": lambda: values.code("target", target, Target),
        "trigger": lambda: values.optional_code("trigger", trigger, Trigger),
        "summary": lambda: values.text(
            "summary", summary, max_length=values.SUMMARY_MAX
        ),
        "parties": lambda: values.parties(parties),
        "contact": lambda: values.contact(contact),
        "client_ref": lambda: values.optional_text(
            "client_ref", client_ref, max_length=values.CLIENT_REF_MAX
        ),
    }
    fields: dict[str, Any] = {"office": office}
    errors: dict[str, list[str]] = {}
    for name, check in checks.items():
        try:
            fields[name] = check()
        except InvalidInputError as error:
            for key, messages in error.errors.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise InvalidInputError(errors)
    return fields


def amendment_changes(changes: object, *, now: datetime) -> dict[str, Any]:
    """Check the fields of an amendment and return their normalised values."""
    if not isinstance(changes, dict) or not changes:
        raise InvalidInputError.field(
            "changes", f"Give at least one of: {', '.join(AMENDABLE_FIELDS)}."
        )
    unknown = sorted(set(changes) - set(AMENDABLE_FIELDS))
    if unknown:
        raise InvalidInputError.field(
            "changes",
            f"Cannot amend {', '.join(unknown)}: only "
            f"{', '.join(AMENDABLE_FIELDS)} can be amended.",
        )
    checkers: dict[str, Callable[[Any], Any]] = {
        "category": lambda v: values.code("changes.category", v, Category),
        "target": lambda v: values.code("changes.target", v, Target),
        "trigger": lambda v: values.optional_code("changes.trigger", v, Trigger),
        "summary": lambda v: values.text(
            "changes.summary", v, max_length=values.SUMMARY_MAX
        ),
        "parties": _amended_parties,
        "occurred_at": lambda v: values.past_instant("changes.occurred_at", v, now=now),
    }
    return {name: checkers[name](value) for name, value in changes.items()}


def _amended_parties(value: object) -> list[dict[str, Any]]:
    try:
        return values.parties(value)
    except InvalidInputError as error:
        raise InvalidInputError(
            {f"changes.{field}": messages for field, messages in error.errors.items()}
        ) from None

"""Name the free texts that seem to hold a visitor's phone number or e-mail.

Such details belong in the visitor's contact, which is encrypted and can be
erased (docs/privacy.md); a narrative cannot be. The API answers a write with
these warnings, the pages turn them into hints; the text is stored all the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incidents.personal_data import contact_details_in

_FREE_TEXT = ("summary", "text", "note", "reason", "description")
KIND_NAMES = {"phone": "a phone number", "email": "an e-mail address"}


def text_warnings(fields: Mapping[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Name the free-text fields that seem to hold a phone number or an e-mail."""
    warnings: list[dict[str, Any]] = []
    for name, value in fields.items():
        path = f"{prefix}{name}"
        if isinstance(value, Mapping) and name != "contact":
            warnings += text_warnings(value, f"{path}.")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    warnings += text_warnings(item, f"{path}.{index}.")
        elif name in _FREE_TEXT and isinstance(value, str):
            kinds = contact_details_in(value)
            if kinds:
                warnings.append(
                    {
                        "field": path,
                        "kinds": kinds,
                        "message": "This text seems to hold "
                        + " and ".join(KIND_NAMES[kind] for kind in kinds)
                        + ": move it into the contact, where it can be erased.",
                    }
                )
    return warnings

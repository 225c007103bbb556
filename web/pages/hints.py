"""Hint that a free text seems to hold a visitor's phone number or e-mail.

Such details belong in the visitor's contact, which is encrypted and can be
erased (docs/privacy.md); a narrative cannot be. The text is stored all the
same: the hint only asks the person to move the details.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.usecases.text_warnings import text_warnings

TEXT_NAMES: Mapping[str, LazyString] = {
    "summary": _l("Le résumé"),
    "note": _l("La note"),
    "text": _l("La note"),
    "reason": _l("Le motif"),
    "description": _l("La description d'une personne impliquée"),
}
DETAILS: Mapping[tuple[str, ...], LazyString] = {
    ("phone",): _l("un numéro de téléphone"),
    ("email",): _l("une adresse e-mail"),
    ("phone", "email"): _l("un numéro de téléphone et une adresse e-mail"),
}


def contact_hints(texts: Mapping[str, Any]) -> list[str]:
    """Say which free texts seem to hold a phone number or an e-mail address."""
    hints = []
    for warning in text_warnings(texts):
        name = str(warning["field"]).rsplit(".", 1)[-1]
        hints.append(
            _(
                "%(text)s semble contenir %(details)s. Ces coordonnées ont leur "
                "place dans « Coordonnées du visiteur », où elles sont chiffrées "
                "et peuvent être effacées.",
                text=TEXT_NAMES.get(name, TEXT_NAMES["summary"]),
                details=DETAILS[tuple(warning["kinds"])],
            )
        )
    return hints


def flash_contact_hints(texts: Mapping[str, Any]) -> None:
    for hint in contact_hints(texts):
        flash(hint, "warning")

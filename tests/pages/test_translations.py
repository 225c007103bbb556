"""Every French string of the pages has an English translation, none fuzzy.

The strings are extracted from the code and templates as ``make translations``
does, so a string added without its translation fails here, not in front of
an English-speaking user.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from web.usecases import labels

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _source_strings() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "web", METHODS, keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            found.add(message[0])  # A plural entry is found by its singular.
        elif message:
            found.add(message)
    return found


def _catalog():
    return read_po(io.BytesIO(CATALOG.read_bytes()), locale="en")


def test_every_string_of_the_pages_is_in_the_english_catalog():
    catalog = _catalog()
    missing = sorted(text for text in _source_strings() if text not in catalog)

    assert missing == [], f"run `make translations`, then translate: {missing}"


def test_every_english_entry_is_translated_and_not_fuzzy():
    catalog = _catalog()
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and not (
            message.string if isinstance(message.string, str) else all(message.string)
        )
    ]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]

    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_their_placeholders():
    for message in _catalog():
        if message.id and isinstance(message.id, str):
            assert set(PLACEHOLDER.findall(message.id)) == set(
                PLACEHOLDER.findall(str(message.string))
            ), message.id


def test_every_code_of_the_vocabulary_has_a_label():
    from incidents import vocabulary as v

    kinds = {
        "category": v.Category,
        "severity": v.Severity,
        "target": v.Target,
        "trigger": v.Trigger,
        "party_role": v.PartyRole,
        "technique": v.Technique,
        "outcome": v.Outcome,
        "escalation_target": v.EscalationTarget,
        "follow_up_kind": v.FollowUpKind,
        "follow_up_status": v.FollowUpStatus,
        "resolution": v.Resolution,
        "status": v.Status,
        "role": v.Role,
    }
    for kind, codes in kinds.items():
        assert {str(code.value) for code in codes} == set(labels.VOCABULARY[kind]), kind

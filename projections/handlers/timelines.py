"""Make the audit trail's row of every event, with what an incident's timelines show.

An incident's event also keeps its office, when it occurred, and its data as
JSON; other events (people, offices) are only in the audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from incidents.domain import Incident
from projections.facts import Fact, Unreadable

# What the timeline shows apart from an event's data.
_NOT_DATA = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}
)


def event_row(fact: Fact, office: str | None) -> tuple[Any, ...]:
    """Return an event's row; an incident's event (of an office) has its data too."""
    occurred_at = data = None
    if office is not None:
        state = fact.state.copy()
        for name in _NOT_DATA:
            state.pop(name, None)
        if "contact" in state and state["contact"] is None:
            # Read models never hold a visitor's contact details: only whether
            # there were some (facts already hold {"recorded": true} for them).
            state["contact"] = {"recorded": False}
        occurred = state.get("occurred_at")
        occurred_at = occurred if isinstance(occurred, str) else None
        data = _encode(state)
    kind = fact.kind
    return (
        fact.position,
        fact.originator_id,
        fact.version,
        kind.name,
        kind.topic,
        fact.get("actor"),
        fact.recorded_at,
        office,
        occurred_at,
        data,
    )


def _on_note(batch: object, fact: Fact) -> None:
    """Notes change no row but their timeline row, which every event gets."""


# Events that only the timelines show.
HANDLERS = {Incident.NoteAdded.TOPIC: _on_note}


def _unreadable(value: object) -> str:
    name = value.transcoding if isinstance(value, Unreadable) else type(value).__name__
    raise TypeError(f"Cannot store {name} in a timeline")


def _encoder() -> Callable[[Any], str]:
    """Return a function writing JSON as ``json.dumps(sort_keys=True)`` would.

    CPython's C encoder, made once, writes a small object in half the time that
    ``JSONEncoder.encode`` takes, which makes it afresh every call.
    """
    options = json.JSONEncoder(default=_unreadable, sort_keys=True, ensure_ascii=False)
    if c_make_encoder is None:  # pragma: no cover - CPython has it
        return options.encode
    encode = c_make_encoder(
        None,
        _unreadable,
        encode_basestring,
        None,
        options.key_separator,
        options.item_separator,
        True,
        False,
        True,
    )
    return lambda value: "".join(encode(value, 0))


_encode = _encoder()

"""Read stored events as plain facts, straight from the JSON they are stored as.

The read models keep an event's values as text and numbers, much as they are
stored. Decoding each one into the aggregates' event objects (and a visitor's
contact out of its ciphertext, which reads its key) only to turn the values back
into text is work a rebuild pays for every event and needs none of. So a fact is
read from the stored JSON with its named transcodings turned into the text the
read models keep: instants as fixed-width UTC text, UUIDs in their usual
hyphenated form, dates as ``YYYY-MM-DD``, and a visitor's contact as
``{"recorded": true}`` (never its details).

Only events of a class at its first ``class_version`` are read that way: a class
that has been upcast since is decoded by the application's mapper, which runs its
upcasters, and its values are turned into the same text.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.utils import get_topic, resolve_topic

from incidents.personal_data import PersonalContact

if TYPE_CHECKING:
    from eventsourcing.persistence import Mapper, Notification


def iso(moment: datetime) -> str:
    """Return a fixed-width, sortable UTC text for an instant."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def instant_text(text: str) -> str:
    """Return the stored text of an instant as :func:`iso` writes it.

    The library writes instants in UTC, as ``isoformat`` does: with
    microseconds, or without them when they are zero (a time of occurrence
    given to the minute). Both are turned into the fixed-width text without
    parsing them; an instant stored with another offset is converted.
    """
    if text.endswith("+00:00"):
        if len(text) == 32 and text[19] == ".":
            return text
        if len(text) == 25 and text[10] == "T":
            return f"{text[:19]}.000000+00:00"
    return iso(datetime.fromisoformat(text))


def _hyphenated(hex_: str) -> str:
    """Return a UUID's text as ``str(UUID(hex_))`` does, without making the UUID."""
    if len(hex_) == 32 and hex_.islower():
        return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"
    return str(UUID(hex_))


@dataclasses.dataclass(frozen=True)
class Unreadable:
    """Stand for a value whose transcoding the read models do not know."""

    transcoding: str


@dataclasses.dataclass(frozen=True, slots=True)
class Kind:
    """Say what the read models need to know about one event class."""

    name: str
    topic: str | None
    defaults: dict[str, Any]
    upcast: bool


@dataclasses.dataclass(slots=True)
class Fact:
    """Hold one stored event as plain values, at its log position."""

    position: int
    originator_id: str
    version: int
    kind: Kind
    recorded_at: str
    state: dict[str, Any]

    def get(self, name: str) -> Any:
        """Return a value, or the class's default for a field stored later."""
        try:
            return self.state[name]
        except KeyError:
            return self.kind.defaults.get(name)


@cache
def kind_of(topic: str) -> Kind:
    """Return what is needed of the event class a stored topic names."""
    cls = resolve_topic(topic)
    defaults: dict[str, Any] = {}
    if dataclasses.is_dataclass(cls):
        for field in dataclasses.fields(cls):
            if field.default is not dataclasses.MISSING:
                defaults[field.name] = _plain(field.default)
            elif field.default_factory is not dataclasses.MISSING:
                defaults[field.name] = _plain(field.default_factory())
    return Kind(
        name=cls.__name__,
        topic=getattr(cls, "TOPIC", None),
        defaults=defaults,
        upcast=getattr(cls, "class_version", 1) > 1,
    )


def read_facts(
    mapper: Mapper[Any], notifications: Sequence[Notification]
) -> list[Fact]:
    """Read notifications of the log as facts, in order."""
    cipher, compressor, decode = mapper.cipher, mapper.compressor, _DECODER.raw_decode
    facts = []
    for notification in notifications:
        kind = kind_of(notification.topic)
        if kind.upcast:
            event = mapper.to_domain_event(notification)
            facts.append(fact_of_event(notification.id, event, kind))
            continue
        stored = notification.state
        if cipher:
            stored = cipher.decrypt(stored)
        if compressor:
            stored = compressor.decompress(stored)
        state: dict[str, Any] = decode(stored.decode("utf-8"))[0]
        facts.append(
            Fact(
                notification.id,
                str(notification.originator_id),
                notification.originator_version,
                kind,
                state["timestamp"],
                state,
            )
        )
    return facts


def read_fact(mapper: Mapper[Any], notification: Notification) -> Fact:
    """Read one notification as a fact."""
    return read_facts(mapper, [notification])[0]


def fact_of_event(position: int, event: Any, kind: Kind | None = None) -> Fact:
    """Turn a decoded domain event into the fact its stored JSON reads as."""
    values = vars(event)
    state = {
        name: _plain(value)
        for name, value in values.items()
        if name not in {"originator_id", "originator_version"}
    }
    return Fact(
        position=position,
        originator_id=str(event.originator_id),
        version=event.originator_version,
        kind=kind or kind_of(get_topic(type(event))),
        recorded_at=state["timestamp"],
        state=state,
    )


def _transcoded(value: dict[str, Any]) -> Any:
    """Turn a ``{"_type_", "_data_"}`` object of the stored JSON into plain text."""
    if len(value) != 2 or "_type_" not in value or "_data_" not in value:
        return value
    name, data = value["_type_"], value["_data_"]
    if name == "datetime_iso":
        return instant_text(data)
    if name == "uuid_hex":
        return _hyphenated(data)
    if name == "date_iso":
        return data
    if name == "contact_aesgcm":
        return {"recorded": True}
    return Unreadable(name)


_DECODER = json.JSONDecoder(object_hook=_transcoded)


def _plain(value: Any) -> Any:
    """Turn a decoded value into what :func:`_transcoded` makes of its JSON."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, PersonalContact):
        return {"recorded": True}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return Unreadable(type(value).__name__)

"""Hash each stored event into a leaf, and the leaves into a chain, in log order.

The encoding is fixed (ADR 0008); ``bundle_verifier.py`` re-implements it on its
own so that an auditor's copy needs nothing from this package::

    content = SHA-256( u32(len(id)) || id || u64(version)
                       || u32(len(topic)) || topic || SHA-256(state) )
    leaf_p  = SHA-256( u64(p) || content_p )
    chain_0 = 32 zero bytes;  chain_p = SHA-256( chain_(p-1) || leaf_p )

``id`` and ``topic`` are UTF-8 text (the aggregate id in its canonical form), the
integers are unsigned big-endian, and ``state`` is the event's bytes exactly as
stored: erasing personal data destroys a key, not these bytes, so it never
changes a hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.persistence import Notification

GENESIS = bytes(32)
HASH_SIZE = 32
_U64 = 8
_U32 = 4


@dataclass(frozen=True)
class Link:
    """Hold what one event adds to the chain: its content hash, leaf and chain."""

    position: int
    content: bytes
    leaf: bytes
    chain: bytes


def content_hash(
    originator_id: UUID | str, originator_version: int, topic: str, state: bytes
) -> bytes:
    """Return the SHA-256 of an event's canonical encoding (hashing its state)."""
    aggregate = str(originator_id).encode("utf-8")
    name = topic.encode("utf-8")
    return hashlib.sha256(
        b"".join(
            (
                len(aggregate).to_bytes(_U32, "big"),
                aggregate,
                originator_version.to_bytes(_U64, "big"),
                len(name).to_bytes(_U32, "big"),
                name,
                hashlib.sha256(state).digest(),
            )
        )
    ).digest()


def leaf_hash(position: int, content: bytes) -> bytes:
    """Return the leaf of an event: its content hash bound to its log position."""
    return hashlib.sha256(position.to_bytes(_U64, "big") + content).digest()


def next_chain(previous: bytes, leaf: bytes) -> bytes:
    """Return the chain value after one more leaf."""
    return hashlib.sha256(previous + leaf).digest()


def notification_content(notification: Notification) -> bytes:
    """Return the content hash of a notification read from the event store."""
    return content_hash(
        notification.originator_id,
        notification.originator_version,
        notification.topic,
        notification.state,
    )


def link(previous: bytes, position: int, content: bytes) -> Link:
    """Return what an event at ``position`` adds to the chain after ``previous``."""
    leaf = leaf_hash(position, content)
    return Link(position, content, leaf, next_chain(previous, leaf))

"""The leaf and chain hashes: fixed by hand, and the same in the offline verifier."""

from __future__ import annotations

import hashlib
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from incidents.evidence import bundle_verifier, hashing

AGGREGATE = UUID("12345678-1234-5678-1234-567812345678")
TOPIC = "incidents.domain:Incident.Reported"
STATE = b'{"summary":"Attente"}'


def test_the_content_hash_follows_the_documented_encoding():
    expected = hashlib.sha256(
        (36).to_bytes(4, "big")
        + b"12345678-1234-5678-1234-567812345678"
        + (3).to_bytes(8, "big")
        + len(TOPIC).to_bytes(4, "big")
        + TOPIC.encode()
        + hashlib.sha256(STATE).digest()
    ).digest()

    assert hashing.content_hash(AGGREGATE, 3, TOPIC, STATE) == expected


def test_the_leaf_binds_the_position_and_the_chain_starts_from_zeros():
    content = hashing.content_hash(AGGREGATE, 1, TOPIC, STATE)

    first = hashing.link(hashing.GENESIS, 1, content)

    assert first.leaf == hashlib.sha256((1).to_bytes(8, "big") + content).digest()
    assert first.chain == hashlib.sha256(bytes(32) + first.leaf).digest()
    assert hashing.leaf_hash(2, content) != first.leaf


def test_every_field_and_every_byte_of_the_state_counts():
    reference = hashing.content_hash(AGGREGATE, 1, TOPIC, STATE)

    variants = [
        hashing.content_hash(UUID(int=AGGREGATE.int + 1), 1, TOPIC, STATE),
        hashing.content_hash(AGGREGATE, 2, TOPIC, STATE),
        hashing.content_hash(AGGREGATE, 1, TOPIC + "x", STATE),
        hashing.content_hash(AGGREGATE, 1, TOPIC, STATE[:-1] + b"]"),
    ]

    assert len({reference, *variants}) == 5


def test_fields_cannot_be_shifted_into_each_other():
    # Length prefixes: moving bytes from the id to the topic changes the hash.
    assert hashing.content_hash("ab", 1, "c", b"") != hashing.content_hash(
        "a", 1, "bc", b""
    )


@given(
    aggregate=st.text(max_size=40),
    version=st.integers(min_value=0, max_value=2**63),
    topic=st.text(max_size=60),
    state=st.binary(max_size=200),
    position=st.integers(min_value=1, max_value=2**62),
)
def test_the_offline_verifier_hashes_exactly_as_the_service(
    aggregate, version, topic, state, position
):
    ours = hashing.content_hash(aggregate, version, topic, state)

    assert bundle_verifier.content_hash(aggregate, version, topic, state) == ours
    assert bundle_verifier.leaf_hash(position, ours) == hashing.leaf_hash(
        position, ours
    )

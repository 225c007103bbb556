"""RFC 6962 trees and proofs: against the RFC's recursion, its vectors, and tampering.

Both implementations are checked everywhere: ``merkle`` (the service's) and the
one written again in ``bundle_verifier`` (the auditor's).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.evidence import bundle_verifier, merkle

VERIFIERS = [merkle, bundle_verifier]
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaves_of(count: int, salt: int = 0) -> list[bytes]:
    return [sha256(f"{salt}:{number}".encode()) for number in range(count)]


# RFC 6962 section 2.1, written as the RFC states it (recursion over lists).


def largest_power_below(count: int) -> int:
    power = 1
    while power * 2 < count:
        power *= 2
    return power


def naive_root(data: Sequence[bytes]) -> bytes:
    if not data:
        return sha256(b"")
    if len(data) == 1:
        return sha256(b"\x00" + data[0])
    k = largest_power_below(len(data))
    return sha256(b"\x01" + naive_root(data[:k]) + naive_root(data[k:]))


def naive_path(index: int, data: Sequence[bytes]) -> list[bytes]:
    if len(data) <= 1:
        return []
    k = largest_power_below(len(data))
    if index < k:
        return [*naive_path(index, data[:k]), naive_root(data[k:])]
    return [*naive_path(index - k, data[k:]), naive_root(data[:k])]


def naive_subproof(old: int, data: Sequence[bytes], whole: bool) -> list[bytes]:
    if old == len(data):
        return [] if whole else [naive_root(data)]
    k = largest_power_below(len(data))
    if old <= k:
        return [*naive_subproof(old, data[:k], whole), naive_root(data[k:])]
    return [*naive_subproof(old - k, data[k:], False), naive_root(data[:k])]


def naive_consistency(old: int, data: Sequence[bytes]) -> list[bytes]:
    return naive_subproof(old, data, True) if 0 < old < len(data) else []


# How the RFC's recursion rebuilds the roots from a proof, as expressions over
# the proof's hashes: a verifier that computes anything else is wrong, and
# two claims with the same expressions cannot be told apart by any verifier.


def inclusion_shape(index: int, size: int) -> tuple[Any, int]:
    if size == 1:
        return "leaf", 0
    k = largest_power_below(size)
    if index < k:
        below, used = inclusion_shape(index, k)
        return ("node", below, used), used + 1
    below, used = inclusion_shape(index - k, size - k)
    return ("node", used, below), used + 1


def consistency_shape(old: int, size: int, whole: bool = True) -> tuple[Any, Any, int]:
    if old == size:
        return ("old_root", "old_root", 0) if whole else (0, 0, 1)
    k = largest_power_below(size)
    if old <= k:
        old_root, new_root, used = consistency_shape(old, k, whole)
        return old_root, ("node", new_root, used), used + 1
    old_root, new_root, used = consistency_shape(old - k, size - k, False)
    return ("node", used, old_root), ("node", used, new_root), used + 1


def flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def proof_edits(proof: list[bytes], filler: bytes) -> list[list[bytes]]:
    """Return the proof with one hash dropped, added, or two swapped."""
    edits = [[*proof[:at], *proof[at + 1 :]] for at in range(len(proof))]
    edits += [[*proof[:at], filler, *proof[at:]] for at in range(len(proof) + 1)]
    for first, second in itertools.combinations(range(len(proof)), 2):
        swapped = list(proof)
        swapped[first], swapped[second] = swapped[second], swapped[first]
        if swapped != proof:
            edits.append(swapped)
    return edits


# Known vectors: Certificate Transparency's reference tests (the C++ log of
# RFC 6962's authors), over 8 leaves of arbitrary data.

CT_LEAVES = [
    bytes.fromhex(text)
    for text in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [  # (leaf index, tree size, audit path)
    (0, 8, ["96a296d2", "5f083f0a", "6b47aaf2"]),
    (5, 8, ["bc1a0643", "ca854ea1", "d37ee418"]),
    (2, 3, ["fac54203"]),
    (1, 5, ["6e340b9c", "5f083f0a", "bc1a0643"]),
]
CT_CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a296d2", "5f083f0a", "6b47aaf2"]),
    (6, 8, ["0ebc5d34", "ca854ea1", "d37ee418"]),
    (2, 5, ["5f083f0a", "bc1a0643"]),
]


def test_the_empty_tree_hashes_to_the_sha256_of_nothing():
    assert merkle.EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert merkle.root([]) == merkle.Frontier().root() == sha256(b"")
    assert bundle_verifier.EMPTY_TREE_ROOT == merkle.EMPTY_ROOT


def test_roots_and_proofs_match_the_reference_vectors():
    hasher = merkle.SubtreeHasher.over(CT_LEAVES)
    frontier = merkle.Frontier()
    for size, expected in enumerate(CT_ROOTS):
        assert merkle.root(CT_LEAVES[:size]).hex() == expected
        assert frontier.root().hex() == expected
        if size < len(CT_LEAVES):
            frontier.append(CT_LEAVES[size])
    for index, size, path in CT_INCLUSION:
        proof = merkle.inclusion_proof(index, size, hasher)
        assert [node.hex()[:8] for node in proof] == path
        root = bytes.fromhex(CT_ROOTS[size])
        for verifier in VERIFIERS:
            assert verifier.verify_inclusion(CT_LEAVES[index], index, size, proof, root)
    for old, new, path in CT_CONSISTENCY:
        proof = merkle.consistency_proof(old, new, hasher)
        assert [node.hex()[:8] for node in proof] == path
        roots = bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new])
        for verifier in VERIFIERS:
            assert verifier.verify_consistency(old, new, *roots, proof)


@settings(SETTINGS, max_examples=10)
@given(size=st.integers(1, 300), salt=st.integers(0, 2**32))
def test_every_proof_is_the_rfcs_and_verifies(size, salt):
    data = leaves_of(size, salt)
    hasher = merkle.SubtreeHasher.over(data, merkle.NodeCache(min_level=0))
    root = naive_root(data)
    assert merkle.root(data) == root
    for index in range(size):
        proof = merkle.inclusion_proof(index, size, hasher)
        assert proof == naive_path(index, data)
        for verifier in VERIFIERS:
            assert verifier.verify_inclusion(data[index], index, size, proof, root)
    for old in range(size + 1):
        proof = merkle.consistency_proof(old, size, hasher)
        assert proof == naive_consistency(old, data)
        old_root = naive_root(data[:old])
        for verifier in VERIFIERS:
            assert verifier.verify_consistency(old, size, old_root, root, proof)


def test_every_consistency_proof_between_any_two_sizes_up_to_64_verifies():
    data = leaves_of(64)
    hasher = merkle.SubtreeHasher.over(data, merkle.NodeCache(min_level=0))
    roots = [naive_root(data[:size]) for size in range(65)]
    for old, new in itertools.combinations_with_replacement(range(65), 2):
        proof = merkle.consistency_proof(old, new, hasher)
        assert proof == naive_consistency(old, data[:new]), (old, new)
        for verifier in VERIFIERS:
            assert verifier.verify_consistency(old, new, roots[old], roots[new], proof)


INCLUSION_CASES = [(0, 1), (0, 2), (5, 13), (12, 13), (8, 16), (299, 300), (170, 300)]
CONSISTENCY_CASES = [(1, 2), (3, 13), (4, 13), (7, 8), (8, 9), (13, 300), (256, 300)]


@pytest.mark.parametrize("verifier", VERIFIERS, ids=["merkle", "bundle_verifier"])
@pytest.mark.parametrize(("index", "size"), INCLUSION_CASES)
def test_changing_any_byte_of_an_inclusion_claim_fails(verifier, index, size):
    data = leaves_of(size)
    proof = merkle.inclusion_proof(index, size, merkle.SubtreeHasher.over(data))
    leaf, root = data[index], naive_root(data)
    assert verifier.verify_inclusion(leaf, index, size, proof, root)

    for at in range(merkle.HASH_SIZE):
        assert not verifier.verify_inclusion(
            flipped(leaf, at), index, size, proof, root
        )
        assert not verifier.verify_inclusion(
            leaf, index, size, proof, flipped(root, at)
        )
        for number, node in enumerate(proof):
            changed = [*proof[:number], flipped(node, at), *proof[number + 1 :]]
            assert not verifier.verify_inclusion(leaf, index, size, changed, root)
    for changed in proof_edits(proof, filler=data[0]):
        assert not verifier.verify_inclusion(leaf, index, size, changed, root)


@pytest.mark.parametrize("verifier", VERIFIERS, ids=["merkle", "bundle_verifier"])
@pytest.mark.parametrize(("index", "size"), INCLUSION_CASES)
def test_an_inclusion_proof_holds_for_no_other_index_and_only_same_shaped_sizes(
    verifier, index, size
):
    # The path does not encode the tree's size: a size whose path has the same
    # shape passes too (RFC 6962 leaves that to the signed size of the root).
    data = leaves_of(size)
    proof = merkle.inclusion_proof(index, size, merkle.SubtreeHasher.over(data))
    leaf, root, shape = data[index], naive_root(data), inclusion_shape(index, size)
    for other_size in range(1, size + 40):
        for other_index in range(-1, other_size + 1):
            claim = (other_index, other_size)
            accepted = verifier.verify_inclusion(leaf, *claim, proof, root)
            same_shape = 0 <= other_index < other_size and (
                inclusion_shape(*claim) == shape
            )
            assert accepted == same_shape, claim
            if other_size == size:
                assert accepted == (other_index == index)


@pytest.mark.parametrize("verifier", VERIFIERS, ids=["merkle", "bundle_verifier"])
@pytest.mark.parametrize(("old", "new"), CONSISTENCY_CASES)
def test_changing_any_byte_of_a_consistency_claim_fails(verifier, old, new):
    data = leaves_of(new)
    proof = merkle.consistency_proof(old, new, merkle.SubtreeHasher.over(data))
    old_root, new_root = naive_root(data[:old]), naive_root(data)
    assert verifier.verify_consistency(old, new, old_root, new_root, proof)

    for at in range(merkle.HASH_SIZE):
        for roots in [
            (flipped(old_root, at), new_root),
            (old_root, flipped(new_root, at)),
        ]:
            assert not verifier.verify_consistency(old, new, *roots, proof)
        for number, node in enumerate(proof):
            changed = [*proof[:number], flipped(node, at), *proof[number + 1 :]]
            assert not verifier.verify_consistency(
                old, new, old_root, new_root, changed
            )
    for changed in proof_edits(proof, filler=old_root):
        assert not verifier.verify_consistency(old, new, old_root, new_root, changed)


@pytest.mark.parametrize("verifier", VERIFIERS, ids=["merkle", "bundle_verifier"])
@pytest.mark.parametrize(("old", "new"), CONSISTENCY_CASES)
def test_a_consistency_proof_holds_only_for_sizes_of_the_same_shape(verifier, old, new):
    data = leaves_of(new)
    proof = merkle.consistency_proof(old, new, merkle.SubtreeHasher.over(data))
    old_root, new_root = naive_root(data[:old]), naive_root(data)
    shape = consistency_shape(old, new)
    for claim in itertools.product(range(-1, new + 20), range(-1, new + 20)):
        accepted = verifier.verify_consistency(*claim, old_root, new_root, proof)
        same_shape = 0 < claim[0] < claim[1] and consistency_shape(*claim) == shape
        assert accepted == same_shape, claim


def test_any_tree_extends_the_empty_one_and_at_its_own_size_only_itself():
    root = naive_root(leaves_of(5))
    for verifier in VERIFIERS:
        assert verifier.verify_consistency(0, 5, merkle.EMPTY_ROOT, root, [])
        assert not verifier.verify_consistency(0, 5, root, root, [])
        assert not verifier.verify_consistency(0, 5, merkle.EMPTY_ROOT, root, [root])
        assert verifier.verify_consistency(5, 5, root, root, [])
        assert not verifier.verify_consistency(5, 5, root, flipped(root, 0), [])
        assert not verifier.verify_consistency(5, 5, root, root, [root])
        assert not verifier.verify_consistency(6, 5, root, root, [])
        assert not verifier.verify_inclusion(b"", 0, 0, [], merkle.EMPTY_ROOT)


EDITS = ["none", "leaf", "old_root", "root", "proof", "index", "size", "old_size"]
EDITED_CLAIMS = {
    "size": st.integers(1, 64),
    "pick": st.integers(0, 2**16),
    "edit": st.sampled_from(EDITS),
    "byte": st.integers(0, 31),
    "number": st.integers(-2, 70),
}


@SETTINGS
@given(**EDITED_CLAIMS)
def test_the_offline_verifier_decides_inclusion_as_the_service(
    size, pick, edit, byte, number
):
    data = leaves_of(size, pick)
    index = pick % size
    claim: dict[str, Any] = {
        "leaf": data[index],
        "index": index,
        "size": size,
        "proof": merkle.inclusion_proof(index, size, merkle.SubtreeHasher.over(data)),
        "root": naive_root(data),
    }
    _edit(claim, edit, byte, number)

    decided = merkle.verify_inclusion(**claim)

    assert bundle_verifier.verify_inclusion(**claim) == decided
    assert decided or edit != "none"


@SETTINGS
@given(**EDITED_CLAIMS)
def test_the_offline_verifier_decides_consistency_as_the_service(
    size, pick, edit, byte, number
):
    data = leaves_of(size, pick)
    old = pick % (size + 1)
    claim: dict[str, Any] = {
        "old_size": old,
        "new_size": size,
        "old_root": naive_root(data[:old]),
        "new_root": naive_root(data),
        "proof": merkle.consistency_proof(old, size, merkle.SubtreeHasher.over(data)),
    }
    _edit(claim, {"root": "new_root", "size": "new_size"}.get(edit, edit), byte, number)

    decided = merkle.verify_consistency(**claim)

    assert bundle_verifier.verify_consistency(**claim) == decided
    assert decided or edit != "none"


def _edit(claim: dict[str, Any], field: str, byte: int, number: int) -> None:
    if field == "proof" and claim["proof"]:
        claim["proof"] = [flipped(claim["proof"][0], byte), *claim["proof"][1:]]
    elif isinstance(claim.get(field), bytes):
        claim[field] = flipped(claim[field], byte)
    elif isinstance(claim.get(field), int):
        claim[field] = number


@SETTINGS
@given(
    leaf=st.binary(max_size=40),
    index=st.integers(-2, 2**20),
    sizes=st.tuples(st.integers(-2, 2**20), st.integers(-2, 2**20)),
    proof=st.lists(st.binary(min_size=32, max_size=32), max_size=24),
    roots=st.tuples(st.binary(max_size=32), st.binary(max_size=32)),
)
def test_both_verifiers_agree_on_any_input(leaf, index, sizes, proof, roots):
    for verifier in VERIFIERS[1:]:
        assert verifier.verify_inclusion(
            leaf, index, sizes[1], proof, roots[1]
        ) == merkle.verify_inclusion(leaf, index, sizes[1], proof, roots[1])
        assert verifier.verify_consistency(
            *sizes, *roots, proof
        ) == merkle.verify_consistency(*sizes, *roots, proof)


# The frontier.


@SETTINGS
@given(size=st.integers(0, 300), cut=st.integers(0, 300))
def test_a_frontier_saved_and_resumed_gives_the_roots_of_one_computed_straight(
    size, cut
):
    data, cut = leaves_of(size), min(cut, size)
    first = merkle.Frontier()
    first.extend(data[:cut])
    saved = first.to_hex()
    assert len(saved) == cut.bit_count()

    resumed = merkle.Frontier.from_hex(cut, saved)
    for number, leaf in enumerate(data[cut:], start=cut):
        assert resumed.root() == naive_root(data[:number])
        resumed.append(leaf)

    assert resumed.size == size
    assert resumed.root() == merkle.root(data) == naive_root(data)
    assert resumed.peaks == merkle.Frontier.from_hex(size, resumed.to_hex()).peaks


def test_a_frontier_refuses_nodes_that_cannot_be_its_own():
    two = [bytes(32).hex(), bytes(32).hex()]
    for size, nodes in [(2, two), (3, two[:1]), (-1, []), (1, ["00" * 31])]:
        with pytest.raises(ValueError, match="frontier"):
            merkle.Frontier.from_hex(size, nodes)


def test_each_append_returns_the_peak_that_ends_at_its_leaf():
    data, frontier = leaves_of(100), merkle.Frontier()
    for size, leaf in enumerate(data, start=1):
        peak = frontier.append(leaf)
        ends = merkle.peak_sizes(size)
        starts = [0, *ends[:-1]]
        assert ends[-1] == size
        assert frontier.peaks == tuple(
            naive_root(data[start:end]) for start, end in zip(starts, ends, strict=True)
        )
        assert peak == frontier.peaks[-1]


def test_a_frontier_puts_every_complete_subtree_into_its_store():
    data, store = leaves_of(37), merkle.NodeCache(min_level=0)
    merkle.Frontier(store=store).extend(data)

    expected = {
        (level, index): naive_root(data[index << level : (index + 1) << level])
        for level in range(6)
        for index in range(37 >> level)
    }
    assert len(store) == len(expected)
    assert all(store.get(*key) == node for key, node in expected.items())


# Subtrees from stored leaves and nodes.


class CountingReader:
    """Hand out leaves [start, end) like a table would, counting what it reads."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.leaves_read = 0

    def __call__(self, start: int, end: int) -> list[bytes]:
        end = min(end, self.count)
        self.leaves_read += max(end - start, 0)
        return [number.to_bytes(32, "big") for number in range(start, end)]


def test_the_first_proof_reads_each_leaf_once_and_later_ones_few():
    reader = CountingReader(5000)
    hasher = merkle.SubtreeHasher(reader, batch_level=6)
    size = 5000

    merkle.inclusion_proof(0, size, hasher)
    assert reader.leaves_read <= size
    before = reader.leaves_read
    for index in range(0, size, 97):
        merkle.inclusion_proof(index, size, hasher)
        merkle.consistency_proof(index + 1, size, hasher)
    per_proof = (reader.leaves_read - before) / (2 * len(range(0, size, 97)))
    assert per_proof <= 2 * 2**8  # below the cache's level only


def test_a_store_filled_while_appending_spares_reading_above_its_levels():
    size, store = 5000, merkle.NodeCache(min_level=4)
    merkle.Frontier(store=store).extend(CountingReader(size)(0, size))
    reader = CountingReader(size)
    hasher = merkle.SubtreeHasher(reader, store, batch_level=4)

    for index in range(0, size, 97):
        data_root = hasher(0, size)
        proof = merkle.inclusion_proof(index, size, hasher)
        leaf = index.to_bytes(32, "big")
        assert merkle.verify_inclusion(leaf, index, size, proof, data_root)

    assert reader.leaves_read <= len(range(0, size, 97)) * 2 * 2**4


def test_nodes_are_found_among_the_peaks_kept_per_size():
    size, peaks, asked = 5000, {}, []
    frontier = merkle.Frontier()
    for leaf in CountingReader(size)(0, size):
        peak = frontier.append(leaf)
        peaks[frontier.size] = peak

    def kept(sizes):
        asked.extend(sizes)
        return {end: peaks[end] for end in sizes if end in peaks}

    reader = CountingReader(size)
    hasher = merkle.SubtreeHasher(reader, merkle.PeakNodes(kept), batch_level=4)
    for index in range(0, size, 97):
        proof = merkle.inclusion_proof(index, size, hasher)
        leaf = index.to_bytes(32, "big")
        assert merkle.verify_inclusion(leaf, index, size, proof, frontier.root())
        old_root = hasher(0, index + 1)
        proof = merkle.consistency_proof(index + 1, size, hasher)
        assert merkle.verify_consistency(
            index + 1, size, old_root, frontier.root(), proof
        )

    # Per index (a path, a root, a consistency proof): a few small subtrees'
    # leaves and O(log n) peaks, instead of all 5,000 leaves.
    indexes = len(range(0, size, 97))
    assert reader.leaves_read <= indexes * 8 * 2**4
    assert len(asked) <= indexes * 3 * size.bit_length()
    assert all(0 < end <= size for end in asked)


def test_any_range_hashes_as_its_own_tree_and_missing_leaves_are_an_error():
    data = leaves_of(20)
    hasher = merkle.SubtreeHasher.over(data)
    for start, end in itertools.combinations(range(21), 2):
        assert hasher(start, end) == naive_root(data[start:end])
    with pytest.raises(ValueError, match="smaller than the proof"):
        merkle.inclusion_proof(3, 30, hasher)
    for bad in [(-1, 3), (4, 4)]:
        with pytest.raises(ValueError, match="no subtree"):
            hasher(*bad)
    with pytest.raises(ValueError, match="no leaf"):
        merkle.inclusion_proof(20, 20, hasher)
    with pytest.raises(ValueError, match="no consistency"):
        merkle.consistency_proof(21, 20, hasher)


@pytest.mark.slow
def test_a_million_leaves_stream_through_a_frontier_and_prove_from_a_reader():
    size = 1_000_000
    frontier = merkle.Frontier()
    frontier.extend(number.to_bytes(32, "big") for number in range(size))
    assert len(frontier.peaks) == size.bit_count()  # 7 hashes in memory
    root = frontier.root()

    cache = merkle.NodeCache()
    hasher = merkle.SubtreeHasher(CountingReader(size), cache)
    for index in (0, 524_287, 524_288, size - 1):
        leaf = index.to_bytes(32, "big")
        proof = merkle.inclusion_proof(index, size, hasher)
        assert merkle.verify_inclusion(leaf, index, size, proof, root)
        assert bundle_verifier.verify_inclusion(leaf, index, size, proof, root)
    old = merkle.Frontier.from_hex(size, frontier.to_hex())
    old_size = 999_999
    old_root = hasher(0, old_size)
    proof = merkle.consistency_proof(old_size, size, hasher)
    assert len(proof) <= 2 * 20
    assert merkle.verify_consistency(old_size, size, old_root, old.root(), proof)
    assert len(cache) <= 2 * size // 2**cache.min_level

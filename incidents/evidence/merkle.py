"""Hash the ledger's leaves into an RFC 6962 Merkle tree; prove and check proofs.

The tree is RFC 6962's (section 2.1, the same in RFC 9162), whose leaf data is
the 32-byte leaf hash of each event as :mod:`~incidents.evidence.hashing`
computes it, in ledger order (leaf ``i`` is the ``i+1``-th event sealed)::

    MTH({})   = SHA-256("")
    MTH({d})  = SHA-256(0x00 || d)
    MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])),
                k the largest power of two smaller than n

Standard library only, and no storage: proofs read subtree hashes through a
callable, which :class:`SubtreeHasher` builds from stored leaves and a
:class:`NodeStore`. ``bundle_verifier.py`` checks the same proofs on its own
(ADR 0012).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol, Self

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Subtree = Callable[[int, int], bytes]
"""Return MTH(D[start:end]) for ``subtree(start, end)``."""
LeafReader = Callable[[int, int], Sequence[bytes]]
"""Return the leaves [start, end) for ``read(start, end)``, in order."""


def leaf_node(leaf: bytes) -> bytes:
    """Return the tree's node for one leaf: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def interior_node(left: bytes, right: bytes) -> bytes:
    """Return the node above two subtrees: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(count: int) -> int:
    """Return the largest power of two strictly smaller than ``count`` (>= 2)."""
    return 1 << ((count - 1).bit_length() - 1)


class NodeStore(Protocol):
    """Keep the hashes of complete, aligned subtrees.

    Node ``(level, index)`` is the root of leaves [index * 2**level,
    (index + 1) * 2**level); level 0 holds the leaf nodes. A store may keep only
    some levels: ``get`` answers ``None`` for what it does not hold.
    """

    def get(self, level: int, index: int) -> bytes | None:
        """Return the node's hash, or ``None`` if it is not kept."""

    def put(self, level: int, index: int, node: bytes) -> None:
        """Keep the node's hash (or ignore it)."""


class NodeCache:
    """Keep nodes from ``min_level`` up in memory: n / 2**(min_level - 1) at most."""

    def __init__(self, min_level: int = 8) -> None:
        self.min_level = min_level
        self._nodes: dict[tuple[int, int], bytes] = {}

    def __len__(self) -> int:
        return len(self._nodes)

    def get(self, level: int, index: int) -> bytes | None:
        """Return the node's hash, or ``None`` if it is not kept."""
        return self._nodes.get((level, index))

    def put(self, level: int, index: int, node: bytes) -> None:
        """Keep the node's hash if its level is ``min_level`` or above."""
        if level >= self.min_level:
            self._nodes[(level, index)] = node


class PeakNodes:
    """Find nodes among the peaks a ledger keeps, one per tree size, via a cache.

    The peak that ends at size ``s`` is node (t, s / 2**t - 1), t the trailing
    zeros of ``s``: node (level, index) is one when ``index`` is even, the peak
    at size (index + 1) * 2**level. The others are computed and cached.
    """

    def __init__(
        self,
        peaks: Callable[[Sequence[int]], Mapping[int, bytes]],
        cache: NodeStore | None = None,
    ) -> None:
        self.peaks = peaks
        self.cache: NodeStore = NodeCache() if cache is None else cache

    def get(self, level: int, index: int) -> bytes | None:
        """Return the node from the cache, or the peak it is, or ``None``."""
        node = self.cache.get(level, index)
        if node is None and index % 2 == 0:
            size = (index + 1) << level
            node = self.peaks([size]).get(size)
        return node

    def put(self, level: int, index: int, node: bytes) -> None:
        """Keep a computed node in the cache."""
        self.cache.put(level, index, node)


class Frontier:
    """Hold the peaks of a tree: the roots of the perfect subtrees covering it.

    A tree of ``size`` leaves has one peak per bit set in ``size``, largest
    first (7 for a million leaves, never more than 64). Appending a leaf merges
    peaks of one height like a binary counter's carries; the root folds them
    from the right. Give a ``store`` to keep each node as it completes.
    """

    __slots__ = ("_peaks", "_size", "store")

    def __init__(
        self,
        size: int = 0,
        peaks: Sequence[bytes] = (),
        store: NodeStore | None = None,
    ) -> None:
        if size < 0 or len(peaks) != size.bit_count():
            raise ValueError(
                f"a frontier of {size} leaves has {size.bit_count()} peaks"
            )
        if any(len(peak) != HASH_SIZE for peak in peaks):
            raise ValueError(f"a frontier's peaks are {HASH_SIZE}-byte hashes")
        self._size, self._peaks, self.store = size, list(peaks), store

    @classmethod
    def from_hex(
        cls, size: int, peaks: Sequence[str], store: NodeStore | None = None
    ) -> Frontier:
        """Resume at ``size`` leaves from what :meth:`to_hex` gave."""
        return cls(size, [bytes.fromhex(peak) for peak in peaks], store)

    @property
    def size(self) -> int:
        """Return how many leaves the tree has."""
        return self._size

    @property
    def peaks(self) -> tuple[bytes, ...]:
        """Return the peaks, the leftmost (largest) first."""
        return tuple(self._peaks)

    def to_hex(self) -> list[str]:
        """Return the peaks as hex, for a ledger row or a checkpoint."""
        return [peak.hex() for peak in self._peaks]

    def append(self, leaf: bytes) -> bytes:
        """Add the next leaf (an event's leaf hash); return the peak ending at it."""
        node, index, level = leaf_node(leaf), self._size, 0
        if self.store is not None:
            self.store.put(level, index, node)
        while index & 1:
            node = interior_node(self._peaks.pop(), node)
            index, level = index >> 1, level + 1
            if self.store is not None:
                self.store.put(level, index, node)
        self._peaks.append(node)
        self._size += 1
        return node

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Add several leaves in order."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """Return the tree's root (MTH) over the leaves appended so far."""
        if not self._peaks:
            return EMPTY_ROOT
        root = self._peaks[-1]
        for peak in reversed(self._peaks[:-1]):
            root = interior_node(peak, root)
        return root


def peak_sizes(size: int) -> list[int]:
    """Return the tree sizes at which the peaks of a ``size``-leaf tree end."""
    ends, end = [], 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            end += 1 << level
            ends.append(end)
    return ends


def root(leaves: Iterable[bytes]) -> bytes:
    """Return MTH of the leaves, streamed: memory stays O(log n)."""
    frontier = Frontier()
    frontier.extend(leaves)
    return frontier.root()


class SubtreeHasher:
    """Answer ``subtree(start, end)`` for proofs, from stored leaves and nodes.

    A complete aligned subtree comes from the store when it holds it; else from
    its two halves, down to ``2**batch_level`` leaves read at once. Computed
    nodes go back into the store (an in-memory :class:`NodeCache` by default),
    so the first proof at n leaves hashes them once, O(n), and later ones, or
    any with a store filled as leaves were appended, cost O(log n) nodes and at
    most ``2**batch_level`` leaves.
    """

    def __init__(
        self,
        read_leaves: LeafReader,
        store: NodeStore | None = None,
        *,
        batch_level: int = 10,
    ) -> None:
        self.read_leaves = read_leaves
        self.store: NodeStore = NodeCache() if store is None else store
        self.batch_level = batch_level

    @classmethod
    def over(cls, leaves: Sequence[bytes], store: NodeStore | None = None) -> Self:
        """Return a hasher over leaves held in a sequence."""
        return cls(lambda start, end: leaves[start:end], store)

    def __call__(self, start: int, end: int) -> bytes:
        """Return MTH(D[start:end])."""
        count = end - start
        if start < 0 or count < 1:
            raise ValueError(f"no subtree of leaves [{start}, {end})")
        if count & (count - 1) == 0 and start % count == 0:
            return self.node(count.bit_length() - 1, start // count)
        middle = start + split_point(count)
        return interior_node(self(start, middle), self(middle, end))

    def node(self, level: int, index: int) -> bytes:
        """Return the root of the complete subtree ``(level, index)``."""
        node = self.store.get(level, index)
        if node is not None:
            return node
        if level <= self.batch_level:
            return self._hash_leaves(level, index)
        left = self.node(level - 1, 2 * index)
        node = interior_node(left, self.node(level - 1, 2 * index + 1))
        self.store.put(level, index, node)
        return node

    def _hash_leaves(self, level: int, index: int) -> bytes:
        """Hash a subtree level by level from its leaves, storing every node."""
        start, count = index << level, 1 << level
        leaves = self.read_leaves(start, start + count)
        if len(leaves) != count:
            raise ValueError(
                f"read {len(leaves)} leaves from {start}, not {count}: "
                "the tree is smaller than the proof asked for"
            )
        nodes = [leaf_node(leaf) for leaf in leaves]
        for height in range(level + 1):
            if height:
                pairs = range(0, len(nodes), 2)
                nodes = [interior_node(nodes[at], nodes[at + 1]) for at in pairs]
            first = index << (level - height)
            for offset, node in enumerate(nodes):
                self.store.put(height, first + offset, node)
        return nodes[0]


def inclusion_proof(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """Return the audit path of leaf ``index`` in the first ``size`` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"no leaf {index} in a tree of {size}")
    path, start, end = [], 0, size
    while end - start > 1:
        middle = start + split_point(end - start)
        if index < middle:
            path.append(subtree(middle, end))
            end = middle
        else:
            path.append(subtree(start, middle))
            start = middle
    path.reverse()  # RFC 6962 lists the sibling nearest the leaf first.
    return path


def consistency_proof(old_size: int, new_size: int, subtree: Subtree) -> list[bytes]:
    """Return the proof that the first ``new_size`` leaves extend ``old_size``."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency from {old_size} to {new_size} leaves")
    if old_size in (0, new_size):
        return []
    # RFC 6962 SUBPROOF, unrolled: the old tree's last leaf is in [start, end).
    proof, start, end, whole = [], 0, new_size, True
    while old_size != end:
        middle = start + split_point(end - start)
        if old_size <= middle:
            proof.append(subtree(middle, end))
            end = middle
        else:
            proof.append(subtree(start, middle))
            start, whole = middle, False
    if not whole:
        proof.append(subtree(start, end))
    proof.reverse()
    return proof


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Tell whether ``proof`` puts ``leaf`` at ``index`` of the tree ``root``."""
    if not 0 <= index < size:
        return False
    inner, border = _path_shape(index, size)
    if len(proof) != inner + border:
        return False
    node = _fold(leaf_node(leaf), proof[:inner], index, both_sides=True)
    return _fold_left(node, proof[inner:]) == root


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Tell whether ``proof`` shows the tree ``new_root`` extends ``old_root``."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    # The complete subtree of 2**level leaves that ends the old tree is in both
    # trees: the proof is its path to the new root, from that level up.
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size - 1) >> level
    inner, border = _path_shape(index, ((new_size - 1) >> level) + 1)
    if not proof:
        return False
    seed, rest = (old_root, proof) if index == 0 else (proof[0], proof[1:])
    if len(rest) != inner + border:
        return False
    old = _fold(seed, rest[:inner], index, both_sides=False)
    new = _fold(seed, rest[:inner], index, both_sides=True)
    return (
        _fold_left(old, rest[inner:]) == old_root
        and _fold_left(new, rest[inner:]) == new_root
    )


def _path_shape(index: int, size: int) -> tuple[int, int]:
    """Return how many siblings of ``index`` lie below and on the right border."""
    inner = (index ^ (size - 1)).bit_length()
    return inner, (index >> inner).bit_count()


def _fold(
    node: bytes, siblings: Sequence[bytes], index: int, both_sides: bool
) -> bytes:
    for level, sibling in enumerate(siblings):
        if index >> level & 1:
            node = interior_node(sibling, node)
        elif both_sides:
            node = interior_node(node, sibling)
    return node


def _fold_left(node: bytes, siblings: Sequence[bytes]) -> bytes:
    for sibling in siblings:
        node = interior_node(sibling, node)
    return node

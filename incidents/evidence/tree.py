"""Hash the ledger's leaves into an RFC 6962 Merkle tree, one leaf at a time.

RFC 6962 section 2.1, with our 32-byte leaf hash as the leaf's data::

    leaf node   = SHA-256( 0x00 || leaf )
    interior    = SHA-256( 0x01 || left || right )
    MTH({})     = SHA-256( "" )
    MTH(D[n])   = interior( MTH(D[0:k]), MTH(D[k:n]) ),  k the largest power
                  of two smaller than n

A tree of ``n`` leaves is a row of perfect subtrees, one per bit set in ``n``,
largest first (its *peaks*); its root folds them from the right. Each ledger
row stores the peak that ends at its leaf, so the peaks of any size are a few
rows away and a writer appends in O(log n) without reading the leaves again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_node(leaf: bytes) -> bytes:
    """Return the tree's hash of one leaf."""
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def interior_node(left: bytes, right: bytes) -> bytes:
    """Return the tree's hash of two adjacent subtrees."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def peak_sizes(size: int) -> list[int]:
    """Return the tree sizes at which the peaks of a ``size``-leaf tree end."""
    ends: list[int] = []
    end = 0
    for bit in reversed(range(size.bit_length())):
        if size >> bit & 1:
            end += 1 << bit
            ends.append(end)
    return ends


class Frontier:
    """Hold the peaks of a tree and append leaves to it."""

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        if len(peaks) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} peaks")
        self.size = size
        self.peaks = list(peaks)

    def append(self, leaf: bytes) -> bytes:
        """Add a leaf; return the peak that now ends at it."""
        node = leaf_node(leaf)
        self.size += 1
        # As in a binary counter, each trailing zero of the new size is a carry:
        # two perfect subtrees of one height become one of the next.
        for _ in range((self.size & -self.size).bit_length() - 1):
            node = interior_node(self.peaks.pop(), node)
        self.peaks.append(node)
        return node

    def root(self) -> bytes:
        """Return the RFC 6962 root of the leaves appended so far."""
        if not self.peaks:
            return EMPTY_ROOT
        root = self.peaks[-1]
        for peak in reversed(self.peaks[:-1]):
            root = interior_node(peak, root)
        return root

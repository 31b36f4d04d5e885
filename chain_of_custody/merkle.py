"""The Merkle tree over entry hashes, as in Certificate Transparency (RFC 6962 / RFC 9162 §2.1).

Leaf i (0-based, entry seq i+1) is SHA-256(0x00 ‖ entry_hash_bytes); an inner node is SHA-256(0x01 ‖ left ‖
right); a tree of n > 1 leaves splits at k, the largest power of two smaller than n. The empty tree's
root is SHA-256 of nothing.

Only *complete* subtrees are stored: node (level, index) covers leaves [index·2^level, (index+1)·2^level).
Every hash the RFC's recursion asks for is either such a node or is assembled from at most log2(n) of
them, so roots and proofs cost O(log n) (root) to O(log² n) (proof) reads, never a pass over the leaves.
The proof functions below take any :class:`NodeSource`: the ledger's table, or an in-memory tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32


def leaf_hash(entry_hash: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry_hash).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class NodeSource(Protocol):
    def node(self, level: int, index: int) -> bytes:
        """The stored hash of the complete subtree (level, index); KeyError when it is not there."""
        ...


class MemoryTree:
    """All complete-subtree hashes of a leaf list, level by level; used by verify and by tests."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaves)]
        sha256 = hashlib.sha256
        while len(self.levels[-1]) >= 2:
            below = self.levels[-1]
            pairs = zip(below[0::2], below[1::2], strict=False)  # an odd last node waits for its sibling
            self.levels.append([sha256(b"\x01" + left + right).digest() for left, right in pairs])

    @classmethod
    def from_entry_hashes(cls, entry_hashes: Sequence[bytes]) -> MemoryTree:
        sha256 = hashlib.sha256
        return cls([sha256(b"\x00" + h).digest() for h in entry_hashes])

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def node(self, level: int, index: int) -> bytes:
        if level >= len(self.levels) or not 0 <= index < len(self.levels[level]):
            raise KeyError((level, index))
        return self.levels[level][index]


def subtree_hash(source: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range the RFC recursion produces (start aligned to its split)."""
    n = end - start
    if n <= 0:
        if n == 0 and start == 0:
            return EMPTY_ROOT
        raise ValueError(f"empty or inverted range {start}:{end}")
    if n & (n - 1) == 0 and start % n == 0:
        return source.node(n.bit_length() - 1, start // n)
    k = split_point(n)
    return node_hash(subtree_hash(source, start, start + k), subtree_hash(source, start + k, end))


def root_hash(source: NodeSource, size: int) -> bytes:
    return subtree_hash(source, 0, size)


def inclusion_path(source: NodeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, nearest sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    # Walk down from the root, collecting siblings; the RFC lists them leaf-upwards, so reverse at the end.
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append(subtree_hash(source, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(source, start, start + k))
            start = start + k
    path.reverse()
    return path


def consistency_path(source: NodeSource, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1 (empty when the sizes are equal or old is 0)."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    path: list[bytes] = []
    m, start, end, complete = old_size, 0, new_size, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            path.append(subtree_hash(source, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(source, start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        path.append(subtree_hash(source, start, end))
    path.reverse()
    return path


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root that ``path`` proves for ``leaf`` at ``index``, or None if malformed."""
    if not 0 <= index < size:
        return None
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if len(p) != HASH_SIZE or sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def check_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, plus the trivial cases (equal sizes, empty old tree)."""
    if not 0 <= old_size <= new_size or any(len(p) != HASH_SIZE for p in path):
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if old_size == 0:
        return not path and old_root == EMPTY_ROOT
    if not path:
        return False
    nodes = list(path)
    if old_size & (old_size - 1) == 0:
        nodes.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def new_nodes_for_leaf(source: NodeSource, index: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """The nodes that appending leaf ``index`` completes: the leaf, then each parent it closes."""
    rows = [(0, index, leaf)]
    level, position, current = 0, index, leaf
    while position & 1:
        current = node_hash(source.node(level, position - 1), current)
        level += 1
        position >>= 1
        rows.append((level, position, current))
    return rows

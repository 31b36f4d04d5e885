"""The Merkle tree and its proofs against a plain recursive RFC 6962 implementation written here."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain_of_custody import (
    Checkpoint,
    ConsistencyProof,
    InclusionProof,
    Ledger,
    ProofFormatError,
    verify_consistency,
    verify_inclusion,
)
from chain_of_custody.merkle import (
    MemoryTree,
    consistency_path,
    inclusion_path,
    leaf_hash,
    root_hash,
    split_point,
)

# ---------------------------------------------------------------- an independent RFC 6962 §2.1 implementation


def k_of(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(data: Sequence[bytes]) -> bytes:
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = k_of(len(data))
    return hashlib.sha256(b"\x01" + mth(data[:k]) + mth(data[k:])).digest()


def path_of(m: int, data: Sequence[bytes]) -> list[bytes]:
    if len(data) == 1:
        return []
    k = k_of(len(data))
    if m < k:
        return [*path_of(m, data[:k]), mth(data[k:])]
    return [*path_of(m - k, data[k:]), mth(data[:k])]


def subproof(m: int, data: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if complete else [mth(data)]
    k = k_of(n)
    if m <= k:
        return [*subproof(m, data[:k], complete), mth(data[k:])]
    return [*subproof(m - k, data[k:], False), mth(data[:k])]


# ---------------------------------------------------------------- fixtures


@lru_cache(maxsize=8)
def entries(n: int, seed: int = 0) -> tuple[bytes, ...]:
    rng = random.Random(n * 7919 + seed)
    return tuple(rng.randbytes(32) for _ in range(n))


@lru_cache(maxsize=8)
def tree_of(n: int) -> MemoryTree:
    return MemoryTree([leaf_hash(e) for e in entries(n)])


def inclusion(n: int, m: int) -> InclusionProof:
    tree = tree_of(n)
    return InclusionProof(
        seq=m + 1,
        leaf_index=m,
        tree_size=n,
        entry_hash=entries(n)[m].hex(),
        path=[h.hex() for h in inclusion_path(tree, m, n)],
        root_hash=root_hash(tree, n).hex(),
    )


def consistency(m: int, n: int) -> ConsistencyProof:
    tree = tree_of(n)
    return ConsistencyProof(
        old_size=m,
        new_size=n,
        old_root=root_hash(tree, m).hex(),
        new_root=root_hash(tree, n).hex(),
        path=[h.hex() for h in consistency_path(tree, m, n)],
    )


def flip(hex_hash: str, rng: random.Random) -> str:
    raw = bytearray(bytes.fromhex(hex_hash))
    raw[rng.randrange(32)] ^= 1 << rng.randrange(8)
    return raw.hex()


SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257]
SIZES += [1000, 1023, 1024, 1025, 1999, 2000]


# ---------------------------------------------------------------- tests


def test_split_point() -> None:
    assert [split_point(n) for n in (2, 3, 4, 5, 8, 9, 1000)] == [1, 2, 2, 4, 4, 8, 512]


@pytest.mark.parametrize("n", SIZES)
def test_roots_and_stored_nodes_match_the_rfc(n: int) -> None:
    data = entries(n)
    tree = tree_of(n)
    assert root_hash(tree, n) == mth(data)
    for size in {1, n // 2 or 1, n - 1 or 1, n}:
        assert root_hash(tree, size) == mth(data[:size])
    for level, nodes in enumerate(tree.levels):  # every stored node is the MTH of its complete subtree
        width = 1 << level
        assert len(nodes) == n // width
        for index in {0, len(nodes) // 2, len(nodes) - 1}:
            assert nodes[index] == mth(data[index * width : (index + 1) * width])


@pytest.mark.parametrize("n", SIZES)
def test_every_inclusion_proof_verifies_and_any_change_fails(n: int) -> None:
    rng = random.Random(n)
    data = entries(n)
    for m in range(n):
        proof = inclusion(n, m)
        if n <= 257 or m % 97 == 0:
            assert [bytes.fromhex(h) for h in proof.path] == path_of(m, data)
        assert verify_inclusion(proof), (n, m)
        assert verify_inclusion(proof, Checkpoint(n, proof.root_hash))
        if m % max(1, n // 20) != 0:
            continue
        assert not verify_inclusion(proof, Checkpoint(n, flip(proof.root_hash, rng)))
        assert not verify_inclusion(replace(proof, root_hash=flip(proof.root_hash, rng)))
        assert not verify_inclusion(replace(proof, entry_hash=flip(proof.entry_hash, rng)))
        for i in range(len(proof.path)):
            altered = list(proof.path)
            altered[i] = flip(altered[i], rng)
            assert not verify_inclusion(replace(proof, path=altered))
        if proof.path:
            assert not verify_inclusion(replace(proof, path=proof.path[:-1]))
            assert not verify_inclusion(replace(proof, path=[*proof.path, proof.path[0]]))
        if n > 1:
            other = (m + 1) % n
            assert not verify_inclusion(replace(proof, seq=other + 1, leaf_index=other))
            # The path alone does not always fix the size (leaf 0 of 31 and of 32 have alike paths): the
            # trusted checkpoint binds size and root together.
            assert not verify_inclusion(replace(proof, tree_size=n + 1), Checkpoint(n, proof.root_hash))
        assert not verify_inclusion(replace(proof, leaf_index=m + 1))  # index and seq disagree


@pytest.mark.parametrize("n", SIZES)
def test_consistency_proofs_verify_and_any_change_fails(n: int) -> None:
    rng = random.Random(-n)
    data = entries(n)
    olds = range(0, n + 1) if n <= 65 else sorted({0, 1, 2, n - 1, n, *rng.sample(range(1, n), 40)})
    for m in olds:
        proof = consistency(m, n)
        if 0 < m < n and (n <= 257 or m % 13 == 0):
            assert [bytes.fromhex(h) for h in proof.path] == subproof(m, data, True)
        assert proof.old_root == mth(data[:m]).hex()
        assert verify_consistency(proof), (m, n)
        assert verify_consistency(proof, old=Checkpoint(m, proof.old_root), new=Checkpoint(n, proof.new_root))
        if m == 0:
            continue
        assert not verify_consistency(replace(proof, old_root=flip(proof.old_root, rng)))
        assert not verify_consistency(replace(proof, new_root=flip(proof.new_root, rng)))
        for i in range(len(proof.path)):
            altered = list(proof.path)
            altered[i] = flip(altered[i], rng)
            assert not verify_consistency(replace(proof, path=altered))
        if m < n:
            assert not verify_consistency(replace(proof, path=[]))
            assert not verify_consistency(replace(proof, old_size=m + 1 if m + 1 < n else m - 1 or 2))
            # a different history of the same length: the old tree's last entry changed
            changed = [*data[: m - 1], bytes(32), *data[m:]]
            assert not verify_consistency(replace(proof, old_root=mth(changed[:m]).hex()))
        assert not verify_consistency(replace(proof, old_size=n + 1))


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=2000), st.data())
def test_random_sizes_and_positions(n: int, data: st.DataObject) -> None:
    leaves = [hashlib.sha256(n.to_bytes(4, "big") + i.to_bytes(4, "big")).digest() for i in range(n)]
    tree = MemoryTree([leaf_hash(e) for e in leaves])
    m = data.draw(st.integers(min_value=0, max_value=n - 1))
    old = data.draw(st.integers(min_value=0, max_value=n))
    root = root_hash(tree, n)
    assert root == mth(leaves)
    path = inclusion_path(tree, m, n)
    proof = InclusionProof(m + 1, m, n, leaves[m].hex(), [h.hex() for h in path], root.hex())
    assert verify_inclusion(proof)
    cons = ConsistencyProof(
        old, n, root_hash(tree, old).hex(), root.hex(), [h.hex() for h in consistency_path(tree, old, n)]
    )
    assert verify_consistency(cons)


def test_ledger_tree_matches_the_rfc(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(70)
    with Ledger.open(path, readonly=True) as ledger:
        hashes = [bytes.fromhex(e.entry_hash) for e in ledger.entries()]
        assert ledger.checkpoint().root_hash == mth(hashes).hex()
        assert ledger.checkpoint(33).root_hash == mth(hashes[:33]).hex()
        assert [bytes.fromhex(h) for h in ledger.inclusion_proof(45).path] == path_of(44, hashes)
        assert [bytes.fromhex(h) for h in ledger.consistency_proof(33).path] == subproof(33, hashes, True)


def test_proof_serialisation_round_trips() -> None:
    proof = inclusion(1000, 321)
    assert InclusionProof.from_dict(json.loads(json.dumps(proof.to_dict()))) == proof
    assert InclusionProof.from_bytes(proof.to_bytes()) == proof
    cons = consistency(300, 1000)
    assert ConsistencyProof.from_dict(json.loads(json.dumps(cons.to_dict()))) == cons
    assert ConsistencyProof.from_bytes(cons.to_bytes()) == cons
    with pytest.raises(ProofFormatError, match="not a consistency proof"):
        ConsistencyProof.from_bytes(proof.to_bytes())
    with pytest.raises(ProofFormatError, match="announces"):
        InclusionProof.from_bytes(proof.to_bytes()[:-1])
    with pytest.raises(ProofFormatError, match="64 lowercase hex"):
        InclusionProof.from_dict({**proof.to_dict(), "root_hash": "zz"})
    with pytest.raises(ProofFormatError, match="needs"):
        ConsistencyProof.from_dict({"old_size": 1})


def test_inclusion_proof_for_entry_1_of_a_million_is_small() -> None:
    """A million-leaf tree's node store is emulated: only the ~20 nodes the proof reads are computed."""

    class Emulated:
        reads = 0

        def node(self, level: int, index: int) -> bytes:
            Emulated.reads += 1
            return hashlib.sha256(f"{level}/{index}".encode()).digest()

    source = Emulated()
    n = 1_000_000
    path = inclusion_path(source, 0, n)
    proof = InclusionProof(1, 0, n, "ab" * 32, [h.hex() for h in path], root_hash(source, n).hex())
    assert len(proof.path) == 20
    assert len(proof.to_bytes()) < 1024
    assert Emulated.reads < 60  # O(log n) reads, not a pass over a million leaves


def test_checkpoint_text_forms() -> None:
    full = Checkpoint(1234, "ab12cd34ef56ab78" + "0" * 48)
    assert str(full) == "1234:ab12cd34ef56ab78" + "0" * 48
    assert Checkpoint.parse(str(full)) == full
    assert full.short() == "1234:ab12cd34ef56ab78"
    label = Checkpoint.parse(" 1234:AB12CD34EF56AB78 ")
    assert label.is_prefix and not full.is_prefix
    assert label.matches(full.root_hash)
    assert not label.matches("ab12cd34ef56ab79" + "0" * 48)
    assert not label.matches("ab12")  # only a full root can match
    for bad in (
        "1234",
        "x:ab12cd34ef56ab78",
        "1234:ab12cd34",
        "1234:" + "g" * 64,
        "-1:" + "a" * 64,
        "1:" + "a" * 65,
    ):
        with pytest.raises(ProofFormatError):
            Checkpoint.parse(bad)
    assert Checkpoint.from_dict(full.to_dict()) == full


def replace(proof: InclusionProof | ConsistencyProof, **changes: object) -> Any:
    import dataclasses

    return dataclasses.replace(proof, **changes)  # type: ignore[arg-type]

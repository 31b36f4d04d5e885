"""Checkpoints and proofs: small, self-contained objects that can leave the ledger.

A :class:`Checkpoint` (tree size + root hash) is what an officer writes on a bag label or reads out on the
phone; later, a :class:`ConsistencyProof` shows that the ledger as it is now still begins with exactly the
entries that checkpoint covered, and an :class:`InclusionProof` shows that one entry is among them, both
without handing over the ledger. The verify functions here are pure: they recompute hashes and need
nothing but the proof (and the checkpoint the verifier trusts).

JSON forms (``to_dict``) use lowercase hex for every hash. The binary forms (``to_bytes``) are for QR codes
and bag labels: an inclusion proof for entry 1 of 1,000,000 is 726 bytes (968 characters in base64),
where its JSON is about 1.6 KB.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .canonical import canonical_json
from .errors import LedgerError
from .keys import key_id_for, verify_ed25519
from .merkle import HASH_SIZE, check_consistency, leaf_hash, root_from_inclusion

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX_PREFIX = re.compile(r"[0-9a-f]{16,64}")
CHECKPOINT_SIGNATURE_TYPE = "chain_of_custody.checkpoint"
_INCLUSION_MAGIC = b"CCIP"
_CONSISTENCY_MAGIC = b"CCCP"
_BINARY_VERSION = 1
_HEADER = struct.Struct(">4sBQQ32s32sB")


class ProofFormatError(LedgerError, ValueError):
    """A checkpoint, proof or signed checkpoint given as text, dict or bytes is malformed."""


def _hex_bytes(text: str, what: str) -> bytes:
    if not isinstance(text, str) or not _HEX64.fullmatch(text):
        raise ProofFormatError(f"{what} must be 64 lowercase hex digits, got {text!r:.80}")
    return bytes.fromhex(text)


def _require_int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofFormatError(f"{what} must be a whole number ≥ 0, got {value!r:.40}")
    return value


@dataclass(frozen=True)
class Checkpoint:
    """A ledger state: its number of entries and the Merkle root over them.

    ``root_hash`` is normally 64 hex digits. :meth:`parse` also accepts a prefix of at least 16 hex digits
    (what :meth:`short` prints for a label); such a checkpoint is compared as a prefix: it matches any
    root that starts with those digits. 16 digits are 64 bits: forging a different history with the same
    prefix would take about 2**63 attempts at SHA-256, but a full root is stronger still, so keep the full
    form wherever there is room.
    """

    tree_size: int
    root_hash: str

    def __post_init__(self) -> None:
        _require_int(self.tree_size, "tree size")
        if not isinstance(self.root_hash, str) or not _HEX_PREFIX.fullmatch(self.root_hash):
            raise ProofFormatError(
                f"a checkpoint root must be 64 lowercase hex digits (or a prefix of at least 16), "
                f"got {self.root_hash!r:.80}"
            )

    def __str__(self) -> str:
        return f"{self.tree_size}:{self.root_hash}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read ``"SIZE:ROOTHEX"`` (full root) or ``"SIZE:PREFIX"`` (≥ 16 hex digits, checked as a prefix)."""
        size_text, sep, root = text.strip().partition(":")
        if not sep or not size_text.isdigit() or not size_text.isascii():
            raise ProofFormatError(
                f"{text!r:.80} is not a checkpoint",
                hint='write it as SIZE:ROOT, e.g. "52:9f2c…" (≥ 16 hex digits)',
            )
        root = root.strip().lower()
        if not _HEX_PREFIX.fullmatch(root):
            raise ProofFormatError(
                f"{text!r:.80}: the root must be hex, at least 16 and at most 64 digits",
                hint="copy the checkpoint exactly as printed",
            )
        return cls(int(size_text), root)

    @property
    def is_prefix(self) -> bool:
        """True when only a prefix of the root is known (parsed from a short form)."""
        return len(self.root_hash) < 64

    def matches(self, root_hex: str) -> bool:
        """Whether a full root equals this checkpoint's root (or starts with its prefix)."""
        return isinstance(root_hex, str) and len(root_hex) == 64 and root_hex.startswith(self.root_hash)

    def short(self) -> str:
        """``"SIZE:" + first 16 hex digits``: short enough for a bag label, still 64 bits of the root."""
        return f"{self.tree_size}:{self.root_hash[:16]}"

    def to_dict(self) -> dict[str, Any]:
        return {"tree_size": self.tree_size, "root_hash": self.root_hash}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        try:
            return cls(data["tree_size"], data["root_hash"])
        except KeyError as exc:
            raise ProofFormatError(f"a checkpoint needs {exc.args[0]!r}") from exc


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint signed (Ed25519) with a key registered in the ledger, with the case id and the time.

    The signed bytes are the UTF-8 canonical JSON of ``{"case_id", "key_id", "root_hash", "timestamp",
    "tree_size", "type": "chain_of_custody.checkpoint", "v": 1}``; ``signature`` is 128 hex digits.
    """

    checkpoint: Checkpoint
    case_id: str
    timestamp: str
    key_id: str
    signature: str

    def signed_message(self) -> bytes:
        return signed_checkpoint_message(self.checkpoint, self.case_id, self.timestamp, self.key_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tree_size": self.checkpoint.tree_size,
            "root_hash": self.checkpoint.root_hash,
            "case_id": self.case_id,
            "timestamp": self.timestamp,
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedCheckpoint:
        try:
            checkpoint = Checkpoint(data["tree_size"], data["root_hash"])
            fields = {name: data[name] for name in ("case_id", "timestamp", "key_id", "signature")}
        except KeyError as exc:
            raise ProofFormatError(f"a signed checkpoint needs {exc.args[0]!r}") from exc
        for name, value in fields.items():
            if not isinstance(value, str):
                raise ProofFormatError(f"a signed checkpoint's {name} must be text, got {value!r:.40}")
        return cls(checkpoint, **fields)


def signed_checkpoint_message(checkpoint: Checkpoint, case_id: str, timestamp: str, key_id: str) -> bytes:
    return canonical_json(
        {
            "case_id": case_id,
            "key_id": key_id,
            "root_hash": checkpoint.root_hash,
            "timestamp": timestamp,
            "tree_size": checkpoint.tree_size,
            "type": CHECKPOINT_SIGNATURE_TYPE,
            "v": 1,
        }
    ).encode("utf-8")


def verify_checkpoint_signature(sc: SignedCheckpoint, public_key_hex: str) -> bool:
    """True when ``sc`` was signed by the key ``public_key_hex`` (raw 32 bytes as hex) and names that key."""
    try:
        public_key = bytes.fromhex(public_key_hex)
        signature = bytes.fromhex(sc.signature)
    except (ValueError, TypeError):
        return False
    if sc.checkpoint.is_prefix or len(public_key) != 32 or key_id_for(public_key) != sc.key_id:
        return False
    return verify_ed25519(public_key, signature, sc.signed_message())


@dataclass(frozen=True)
class InclusionProof:
    """Entry ``seq`` (leaf ``seq - 1``) is in the tree of ``tree_size`` entries whose root is ``root_hash``.

    ``path`` is the RFC 9162 inclusion path, nearest sibling first, each hash as hex.
    """

    seq: int
    leaf_index: int
    tree_size: int
    entry_hash: str
    path: list[str] = field(default_factory=list)
    root_hash: str = ""

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.tree_size, self.root_hash)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "entry_hash": self.entry_hash,
            "path": list(self.path),
            "root_hash": self.root_hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InclusionProof:
        try:
            proof = cls(
                seq=_require_int(data["seq"], "seq"),
                leaf_index=_require_int(data["leaf_index"], "leaf_index"),
                tree_size=_require_int(data["tree_size"], "tree_size"),
                entry_hash=data["entry_hash"],
                path=list(data["path"]),
                root_hash=data["root_hash"],
            )
        except (KeyError, TypeError) as exc:
            raise ProofFormatError(
                f"an inclusion proof needs seq, leaf_index, tree_size, entry_hash, path, root_hash ({exc})"
            ) from exc
        for h in (proof.entry_hash, proof.root_hash, *proof.path):
            _hex_bytes(h, "every hash in an inclusion proof")
        return proof

    def to_bytes(self) -> bytes:
        """Compact form: "CCIP", version 1, seq and tree size (u64, big-endian), entry hash, root,
        number of path hashes (u8), path."""
        path = [_hex_bytes(h, "path hash") for h in self.path]
        header = _HEADER.pack(
            _INCLUSION_MAGIC,
            _BINARY_VERSION,
            self.seq,
            self.tree_size,
            _hex_bytes(self.entry_hash, "entry hash"),
            _hex_bytes(self.root_hash, "root hash"),
            len(path),
        )
        return header + b"".join(path)

    @classmethod
    def from_bytes(cls, data: bytes) -> InclusionProof:
        seq, tree_size, first, second, path = _unpack(data, _INCLUSION_MAGIC, "inclusion proof")
        if seq < 1:
            raise ProofFormatError("an inclusion proof's entry number must be 1 or more")
        return cls(seq, seq - 1, tree_size, first.hex(), [p.hex() for p in path], second.hex())


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of ``new_size`` entries (``new_root``) begins with the tree of ``old_size`` (``old_root``)."""

    old_size: int
    new_size: int
    old_root: str
    new_root: str
    path: list[str] = field(default_factory=list)

    @property
    def old_checkpoint(self) -> Checkpoint:
        return Checkpoint(self.old_size, self.old_root)

    @property
    def new_checkpoint(self) -> Checkpoint:
        return Checkpoint(self.new_size, self.new_root)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": self.old_root,
            "new_root": self.new_root,
            "path": list(self.path),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConsistencyProof:
        try:
            proof = cls(
                old_size=_require_int(data["old_size"], "old_size"),
                new_size=_require_int(data["new_size"], "new_size"),
                old_root=data["old_root"],
                new_root=data["new_root"],
                path=list(data["path"]),
            )
        except (KeyError, TypeError) as exc:
            raise ProofFormatError(
                f"a consistency proof needs old_size, new_size, old_root, new_root, path ({exc})"
            ) from exc
        for h in (proof.old_root, proof.new_root, *proof.path):
            _hex_bytes(h, "every hash in a consistency proof")
        return proof

    def to_bytes(self) -> bytes:
        """Compact form: "CCCP", version 1, old and new size (u64, big-endian), old root, new root,
        number of path hashes (u8), path."""
        path = [_hex_bytes(h, "path hash") for h in self.path]
        header = _HEADER.pack(
            _CONSISTENCY_MAGIC,
            _BINARY_VERSION,
            self.old_size,
            self.new_size,
            _hex_bytes(self.old_root, "old root"),
            _hex_bytes(self.new_root, "new root"),
            len(path),
        )
        return header + b"".join(path)

    @classmethod
    def from_bytes(cls, data: bytes) -> ConsistencyProof:
        old_size, new_size, first, second, path = _unpack(data, _CONSISTENCY_MAGIC, "consistency proof")
        return cls(old_size, new_size, first.hex(), second.hex(), [p.hex() for p in path])


def _unpack(data: bytes, magic: bytes, what: str) -> tuple[int, int, bytes, bytes, list[bytes]]:
    if len(data) < _HEADER.size:
        raise ProofFormatError(f"this {what} is too short ({len(data)} bytes)")
    got_magic, version, a, b, first, second, count = _HEADER.unpack_from(data)
    if got_magic != magic:
        raise ProofFormatError(f"these bytes are not a {what} (they start with {got_magic!r})")
    if version != _BINARY_VERSION:
        raise ProofFormatError(f"this {what} uses format version {version}; this software reads version 1")
    body = data[_HEADER.size :]
    if len(body) != count * HASH_SIZE:
        raise ProofFormatError(f"this {what} announces {count} hashes but carries {len(body)} bytes of them")
    return a, b, first, second, [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)]


def verify_inclusion(proof: InclusionProof, checkpoint: Checkpoint | None = None) -> bool:
    """Recompute the root from the entry hash and the path (RFC 9162 §2.1.3.2) and compare.

    With ``checkpoint`` (one the verifier trusts, e.g. signed or written on a label), the proof must also
    be for that tree size and root (a prefix checkpoint is compared as a prefix).
    """
    try:
        entry_hash = _hex_bytes(proof.entry_hash, "entry hash")
        root = _hex_bytes(proof.root_hash, "root hash")
        path = [_hex_bytes(h, "path hash") for h in proof.path]
    except ProofFormatError:
        return False
    if proof.leaf_index != proof.seq - 1:
        return False
    if checkpoint is not None and (
        checkpoint.tree_size != proof.tree_size or not checkpoint.matches(proof.root_hash)
    ):
        return False
    computed = root_from_inclusion(proof.leaf_index, proof.tree_size, leaf_hash(entry_hash), path)
    return computed is not None and computed == root


def verify_consistency(
    proof: ConsistencyProof, *, old: Checkpoint | None = None, new: Checkpoint | None = None
) -> bool:
    """RFC 9162 §2.1.4.2: does the proof show ``old_root`` (size ``old_size``) is a prefix of ``new_root``?

    Pass the checkpoints the verifier trusts as ``old``/``new`` to also tie the proof to them.
    """
    try:
        old_root = _hex_bytes(proof.old_root, "old root")
        new_root = _hex_bytes(proof.new_root, "new root")
        path = [_hex_bytes(h, "path hash") for h in proof.path]
    except ProofFormatError:
        return False
    if old is not None and (old.tree_size != proof.old_size or not old.matches(proof.old_root)):
        return False
    if new is not None and (new.tree_size != proof.new_size or not new.matches(proof.new_root)):
        return False
    return check_consistency(proof.old_size, proof.new_size, old_root, new_root, path)

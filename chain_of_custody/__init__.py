"""A tamper-evident chain-of-custody ledger: one SQLite file per case, usable on its own.

Each entry is hash-chained to the one before it (SHA-256 over RFC 8785 canonical JSON), may be signed
(Ed25519) with a key registered in the ledger itself, and is a leaf of a Merkle tree in the manner of
Certificate Transparency, so that a checkpoint (size and root) handed out today can later be proven to be a
prefix of the ledger, and one entry to be in it, without handing over the whole ledger. See docs/ledger.md.

    from chain_of_custody import Ledger
    with Ledger.create(path, case_id=case_id) as ledger:
        ledger.append("case_created", actor="Pol.Lt. Somchai", software="evidence-intake 0.1.0")
        report = ledger.verify()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .actions import ACTION_MEANINGS, ACTIONS, KEY_PURPOSES
from .canonical import canonical_json
from .entry import GENESIS_HASH, HASHED_FIELDS, Entry, compute_entry_hash
from .errors import (
    CanonicalEncodingError,
    KeyAlreadyRegisteredError,
    KeyFileError,
    KeyNotRegisteredError,
    LedgerBusyError,
    LedgerError,
    LedgerExistsError,
    LedgerFullError,
    LedgerNotFoundError,
    LedgerReadOnlyError,
    NotALedgerError,
    UnknownActionError,
)
from .keys import KeyRecord, KeyStore, Signer, key_id_for
from .ledger import Ledger

# Proofs and verification are loaded on first use (``chain_of_custody.InclusionProof`` works as
# before): appending an entry, which every command does, needs neither.
_LAZY = {
    "Checkpoint": "proofs",
    "ConsistencyProof": "proofs",
    "InclusionProof": "proofs",
    "ProofFormatError": "proofs",
    "SignedCheckpoint": "proofs",
    "verify_checkpoint_signature": "proofs",
    "verify_consistency": "proofs",
    "verify_inclusion": "proofs",
    "Problem": "verify",
    "VerificationReport": "verify",
}

if TYPE_CHECKING:
    from .proofs import (
        Checkpoint,
        ConsistencyProof,
        InclusionProof,
        ProofFormatError,
        SignedCheckpoint,
        verify_checkpoint_signature,
        verify_consistency,
        verify_inclusion,
    )
    from .verify import Problem, VerificationReport


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ACTIONS",
    "ACTION_MEANINGS",
    "GENESIS_HASH",
    "HASHED_FIELDS",
    "KEY_PURPOSES",
    "CanonicalEncodingError",
    "Checkpoint",
    "ConsistencyProof",
    "Entry",
    "InclusionProof",
    "KeyAlreadyRegisteredError",
    "KeyFileError",
    "KeyNotRegisteredError",
    "KeyRecord",
    "KeyStore",
    "Ledger",
    "LedgerBusyError",
    "LedgerError",
    "LedgerExistsError",
    "LedgerFullError",
    "LedgerNotFoundError",
    "LedgerReadOnlyError",
    "NotALedgerError",
    "Problem",
    "ProofFormatError",
    "SignedCheckpoint",
    "Signer",
    "UnknownActionError",
    "VerificationReport",
    "canonical_json",
    "compute_entry_hash",
    "key_id_for",
    "verify_checkpoint_signature",
    "verify_consistency",
    "verify_inclusion",
]

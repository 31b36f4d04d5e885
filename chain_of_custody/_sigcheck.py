"""Signature checks that can run in worker processes (the module is small so workers start quickly).

Ed25519 verification costs about 140 µs on the target machines and holds the GIL, so a signed ledger of
100,000 entries spends most of its verify time here; verify hands chunks to a process pool.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SignatureTask = tuple[int, bytes, bytes, bytes]  # (seq, raw public key, signed message, signature)


def failed_signatures(tasks: list[SignatureTask]) -> list[int]:
    """The sequence numbers whose signature does not verify."""
    keys: dict[bytes, Ed25519PublicKey] = {}
    bad: list[int] = []
    for seq, public_key, message, signature in tasks:
        key = keys.get(public_key)
        if key is None:
            key = keys[public_key] = Ed25519PublicKey.from_public_bytes(public_key)
        try:
            key.verify(signature, message)
        except InvalidSignature:
            bad.append(seq)
    return bad

"""Decryption of encrypted iTunes/Finder backups of iPhones, with the backup password, read-only.

When "Encrypt local backup" is on, every stored file and Manifest.db itself are encrypted
(AES-256-CBC) with keys of their own, each wrapped (AES key wrap, RFC 3394) by one of the keys of
the backup's keybag, whose class keys are in turn wrapped by a key derived from the password:
PBKDF2-HMAC-SHA256 over the password with the keybag's DPSL salt and DPIC rounds (iOS 10.2 and
later), then PBKDF2-HMAC-SHA1 with SALT and ITER. Manifest.plist holds the keybag
(``BackupKeyBag``) and Manifest.db's own wrapped key (``ManifestKey``, its protection class in the
first four bytes, little-endian); each file's wrapped key is the ``EncryptionKey`` of its MBFile
record in Manifest.db, prefixed the same way.

Nothing is written beside the evidence: Manifest.db is decrypted into scratch space, and stored
files are decrypted as they are read, block by block (CBC allows reading from any offset: the
previous ciphertext block is the IV). The password and the keys live only in memory for the life
of the tree: never stored, logged or put into an error message. A wrong password is told apart
from damage by the key wrap's own integrity check.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

from evidence_intake.errors import EvidenceError
from evidence_intake.evidence.streams import OffsetStream

BLOCK = 16
_WRAP_PASSCODE = 2
_INTEGER_TAGS = frozenset({"VERS", "TYPE", "WRAP", "ITER", "DPWT", "DPIC", "CLAS", "KTYP"})
_MAX_ROUNDS = 100_000_000  # iOS uses 10 million; more is damage, not a key to spend hours on


class WrongPassword(Exception):
    """The password does not unwrap the keybag's class keys."""


@dataclass(slots=True)
class Keybag:
    """The keybag of a backup: its attributes and its wrapped class keys by protection class."""

    attributes: dict[str, bytes | int] = field(default_factory=dict)
    wrapped: dict[int, tuple[int, bytes]] = field(default_factory=dict)  # class -> (WRAP flags, WPKY)

    @classmethod
    def parse(cls, data: bytes) -> Keybag:
        """Read the tag-length-value records; ValueError when they do not form a keybag."""
        bag = cls()
        current: dict[str, bytes | int] | None = None
        at = 0
        while at < len(data):
            if at + 8 > len(data):
                raise ValueError(f"a record is cut off at byte {at}")
            tag = data[at : at + 4].decode("ascii", "replace")
            (length,) = struct.unpack_from(">I", data, at + 4)
            value = data[at + 8 : at + 8 + length]
            if len(value) != length:
                raise ValueError(f"record {tag!r} at byte {at} runs past the end")
            at += 8 + length
            item: bytes | int = value
            if tag in _INTEGER_TAGS:
                item = int.from_bytes(value, "big")
            if tag == "UUID" and "UUID" in bag.attributes:  # every later UUID opens a class key record
                if current is not None:
                    bag._add(current)
                current = {}
            target = bag.attributes if current is None else current
            target[tag] = item
        if current is not None:
            bag._add(current)
        for needed in ("SALT", "ITER"):
            if needed not in bag.attributes:
                raise ValueError(f"the keybag has no {needed}")
        if not bag.wrapped:
            raise ValueError("the keybag holds no class keys")
        return bag

    def _add(self, record: dict[str, bytes | int]) -> None:
        clas, wrap, key = record.get("CLAS"), record.get("WRAP"), record.get("WPKY")
        if isinstance(clas, int) and isinstance(wrap, int) and isinstance(key, bytes):
            self.wrapped[clas] = (wrap, key)

    def unlock(self, password: str) -> dict[int, bytes]:
        """The class keys, unwrapped with the key the password gives; WrongPassword if it does not."""
        secret = password.encode("utf-8")
        salt, rounds = self.attributes["SALT"], self.attributes["ITER"]
        dpsl, dpic = self.attributes.get("DPSL"), self.attributes.get("DPIC")
        if not isinstance(salt, bytes) or not isinstance(rounds, int) or not 0 < rounds <= _MAX_ROUNDS:
            raise ValueError("the keybag's SALT or ITER is damaged")
        if isinstance(dpsl, bytes) and isinstance(dpic, int):  # iOS 10.2 and later: two rounds of PBKDF2
            if not 0 < dpic <= _MAX_ROUNDS:
                raise ValueError("the keybag's DPIC is damaged")
            secret = hashlib.pbkdf2_hmac("sha256", secret, dpsl, dpic, 32)
        key = hashlib.pbkdf2_hmac("sha1", secret, salt, rounds, 32)
        keys: dict[int, bytes] = {}
        for clas, (wrap, wrapped) in self.wrapped.items():
            if not wrap & _WRAP_PASSCODE:
                continue  # wrapped by the device's own key: not in a backup, never used for its files
            try:
                keys[clas] = aes_key_unwrap(key, wrapped)
            except InvalidUnwrap as exc:
                raise WrongPassword from exc
            except ValueError as exc:
                raise ValueError(f"the wrapped key of class {clas} is damaged: {exc}") from exc
        if not keys:
            raise ValueError("no class key of the keybag is wrapped by the password")
        return keys


class BackupKeys:
    """The unlocked class keys of one backup: unwrap Manifest.db's key and each file's."""

    def __init__(self, keybag: bytes, password: str) -> None:
        self._keys = Keybag.parse(keybag).unlock(password)

    def unwrap(self, wrapped: bytes, what: str) -> bytes:
        """A file key from its stored form: protection class (4 bytes, little-endian) + wrapped key."""
        if len(wrapped) < 4 + 24:
            raise EvidenceError(f"the key of {what} is too short to be a wrapped key")
        (clas,) = struct.unpack_from("<I", wrapped)
        key = self._keys.get(clas)
        if key is None:
            raise EvidenceError(
                f"the key of {what} is wrapped by class {clas}, which the keybag does not hold"
            )
        try:
            return aes_key_unwrap(key, wrapped[4:])
        except (InvalidUnwrap, ValueError) as exc:
            raise EvidenceError(f"the key of {what} does not unwrap: the backup is damaged") from exc


def decrypt_file(source: Path, target: Path, key: bytes) -> None:
    """Decrypt a whole stored file (Manifest.db) into ``target``; EvidenceError when the key is wrong."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(BLOCK))).decryptor()
    size = source.stat().st_size
    if size == 0 or size % BLOCK:
        raise EvidenceError(f"{source} is {size} bytes, not whole AES blocks: it is not an encrypted file")
    with source.open("rb") as encrypted, target.open("xb") as plain:
        last = b""
        while block := encrypted.read(1 << 20):
            data = last + decryptor.update(block)
            last, data = data[-BLOCK:], data[:-BLOCK]
            plain.write(data)
        last += decryptor.finalize()
        plain.write(_unpad(last, source))


def _unpad(block: bytes, source: Path) -> bytes:
    pad = block[-1] if block else 0
    if not 1 <= pad <= BLOCK or block[-pad:] != bytes([pad]) * pad:
        raise EvidenceError(f"{source} does not decrypt with the backup's key (its padding is wrong)")
    return block[:-pad]


class CbcStream(OffsetStream):
    """A stored file decrypted as it is read: any offset, ``size`` plaintext bytes (padding left out)."""

    def __init__(self, handle: BinaryIO, key: bytes, size: int, where: str) -> None:
        super().__init__(size)
        self._handle = handle
        self._key = key
        self._where = where

    def _read_at(self, offset: int, size: int) -> bytes:
        first = offset - offset % BLOCK
        start = max(first - BLOCK, 0)
        end = offset + size
        end += -end % BLOCK
        self._handle.seek(start)
        data = self._handle.read(end - start)
        iv = data[:BLOCK] if first else bytes(BLOCK)
        body = data[BLOCK:] if first else data
        body = body[: len(body) - len(body) % BLOCK]
        if not body:
            return b""
        plain = Cipher(algorithms.AES(self._key), modes.CBC(iv)).decryptor().update(body)
        return plain[offset - first : offset - first + size]

    def close(self) -> None:
        self._handle.close()
        super().close()

"""Ed25519 signing keys: the workstation's and each officer's.

A private key lives in a PEM file (PKCS#8, unencrypted: the protection is the file mode and the
machine's disk encryption) readable by its owner only (0600) in a folder only its owner can enter (0700);
loading a key that others can read is refused, as ssh does. The ledger never holds private keys: it
holds the public half in a key_registered entry, and ``key_id`` (the first 16 hex digits of SHA-256 of
the raw 32-byte public key) names it in every entry it signs.

The key store is a folder outside any case (the caller chooses it)::

    <root>/workstation.key           this machine's key (signs checkpoints)
    <root>/officers/<digest>.key     one per officer; <digest> from the name, so any script works
    <root>/officers/index.json       name → file and key id, for people reading the folder
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import KeyFileError, LedgerError
from .timestamps import format_timestamp, utc_now

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# cryptography is imported by the functions that sign or check (about 25 ms at start otherwise): most
# commands append unsigned entries and never touch a key.


def key_id_for(public_key: bytes) -> str:
    """First 16 hex digits of SHA-256 of the raw 32-byte public key."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key`` (raw bytes)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_is_valid(public_key: bytes) -> bool:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError:
        return False
    return True


class Signer:
    """An Ed25519 private key. ``repr`` and ``str`` show the key id only, never key material."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        from cryptography.hazmat.primitives import serialization

        self._private_key = private_key
        self.public_key: bytes = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_key_hex: str = self.public_key.hex()
        self.key_id: str = key_id_for(self.public_key)

    def __repr__(self) -> str:
        return f"Signer(key_id={self.key_id!r})"

    @classmethod
    def generate(cls) -> Signer:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path) -> Signer:
        """Read a key saved by :meth:`save`; KeyFileError if missing, readable by others, or not Ed25519."""
        path = Path(path)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError as exc:
            raise KeyFileError(f"{path}: no key file there", path=path) from exc
        except OSError as exc:
            raise KeyFileError(f"{path}: cannot open the key file ({exc.strerror})", path=path) from exc
        with os.fdopen(fd, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise KeyFileError(f"{path}: not a regular file", path=path)
            if mode & 0o077:
                raise KeyFileError(
                    f"{path}: this private key file can be read by other users "
                    f"(mode {stat.S_IMODE(mode):04o})",
                    path=path,
                    hint=f"make it private with: chmod 600 '{path}' (and consider the key exposed)",
                )
            data = handle.read()
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyFileError(f"{path}: not a readable private key file", path=path) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"{path}: holds a {type(key).__name__}, not an Ed25519 key", path=path)
        return cls(key)

    def save(self, path: Path) -> None:
        """Write the key as PEM, mode 0600, its folder created 0700; never overwrites an existing file."""
        from cryptography.hazmat.primitives import serialization

        path = Path(path)
        _make_private_dir(path.parent)
        data = self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError as exc:
            raise KeyFileError(
                f"{path}: a key file is already there; it was not overwritten",
                path=path,
                hint="choose another file name, or move the old key away first if it is really unwanted",
            ) from exc
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, data)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        os.close(fd)

    def sign(self, data: bytes) -> bytes:
        return self._private_key.sign(data)


@dataclass
class KeyRecord:
    """A public key as registered in a ledger (by the key_registered entry ``registered_seq``)."""

    key_id: str
    public_key_hex: str
    owner: str
    purpose: str
    registered_seq: int

    @property
    def public_key(self) -> bytes:
        return bytes.fromhex(self.public_key_hex)


def _make_private_dir(folder: Path) -> None:
    if folder.is_dir():
        return
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def normalise_officer_name(name: str) -> str:
    """NFC and trimmed, so that the same Thai or Chinese name typed on two keyboards finds the same key."""
    if not isinstance(name, str):
        raise LedgerError(f"an officer name must be text, got {type(name).__name__}")
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned or any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        raise LedgerError(
            f"{name!r} is not a usable officer name", hint="give the officer's name as printed on the ID"
        )
    return cleaned


class KeyStore:
    """A folder of private keys outside any case; created (0700) on first write."""

    WORKSTATION_FILE = "workstation.key"
    OFFICERS_DIR = "officers"
    INDEX_FILE = "index.json"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def workstation_path(self) -> Path:
        return self.root / self.WORKSTATION_FILE

    def officer_path(self, name: str) -> Path:
        digest = hashlib.sha256(normalise_officer_name(name).encode("utf-8")).hexdigest()[:32]
        return self.root / self.OFFICERS_DIR / f"{digest}.key"

    def workstation(self, *, create: bool = False) -> Signer | None:
        """This machine's key; with ``create``, made on first use (two processes racing get the same key)."""
        path = self.workstation_path
        if path.exists():
            return Signer.load(path)
        if not create:
            return None
        _make_private_dir(self.root)
        signer = Signer.generate()
        try:
            signer.save(path)
        except KeyFileError:
            if path.exists():  # another process created it first: use theirs
                return Signer.load(path)
            raise
        return signer

    def officer(self, name: str) -> Signer | None:
        path = self.officer_path(name)
        return Signer.load(path) if path.exists() else None

    def create_officer(self, name: str) -> Signer:
        """A new key for the officer; LedgerError if they already have one (keys are never replaced here)."""
        clean = normalise_officer_name(name)
        path = self.officer_path(clean)
        if path.exists():
            raise KeyFileError(
                f"officer {clean!r} already has a key ({path})",
                path=path,
                hint="use the existing key; to replace a lost or exposed key, move the old file away first",
            )
        _make_private_dir(self.root)
        _make_private_dir(path.parent)
        signer = Signer.generate()
        signer.save(path)
        with self._index_lock():
            index = self._read_index()
            index[clean] = {
                "file": path.name,
                "key_id": signer.key_id,
                "created": format_timestamp(utc_now()),
            }
            self._write_index(index)
        return signer

    def officers(self) -> dict[str, str]:
        """Officer name → key id, from the index."""
        return {name: str(info.get("key_id", "")) for name, info in self._read_index().items()}

    @property
    def _index_path(self) -> Path:
        return self.root / self.OFFICERS_DIR / self.INDEX_FILE

    @contextlib.contextmanager
    def _index_lock(self) -> Iterator[None]:
        lock_path = self.root / self.OFFICERS_DIR / ".index.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _read_index(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self._index_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise KeyFileError(
                f"{self._index_path}: the officer key index is unreadable ({exc})",
                path=self._index_path,
                hint="the keys themselves are intact; restore index.json from a backup",
            ) from exc
        return data if isinstance(data, dict) else {}

    def _write_index(self, index: dict[str, dict[str, str]]) -> None:
        temp = self._index_path.with_name(f".{self.INDEX_FILE}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(index, handle, ensure_ascii=False, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self._index_path)


def key_record_from_details(seq: int, details: object) -> KeyRecord:
    """The key a key_registered entry's details describe; ValueError saying what is wrong otherwise."""
    if not isinstance(details, dict):
        raise ValueError("its details are not a JSON object")
    missing = [
        name
        for name in ("key_id", "public_key", "owner", "purpose")
        if not isinstance(details.get(name), str)
    ]
    if missing:
        raise ValueError(f"it lacks {', '.join(missing)}")
    try:
        public_key = bytes.fromhex(details["public_key"])
    except ValueError as exc:
        raise ValueError("its public key is not hex") from exc
    if len(public_key) != 32 or not public_key_is_valid(public_key):
        raise ValueError("its public key is not a 32-byte Ed25519 key")
    if key_id_for(public_key) != details["key_id"]:
        raise ValueError(
            f"it names key {details['key_id']} but that public key's id is {key_id_for(public_key)}"
        )
    return KeyRecord(
        key_id=details["key_id"],
        public_key_hex=public_key.hex(),
        owner=details["owner"],
        purpose=details["purpose"],
        registered_seq=seq,
    )

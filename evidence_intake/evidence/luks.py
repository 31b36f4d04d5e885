"""LUKS1 and LUKS2 volumes (Linux full-disk encryption) opened with a passphrase, read-only.

A LUKS volume keeps its data encrypted with a volume key that is stored only in keyslots, each
encrypted with a key derived from a passphrase (PBKDF2, or Argon2 on LUKS2) and spread over thousands
of "anti-forensic" stripes. Opening one means: derive the slot key, decrypt the slot's area, merge the
stripes back into a candidate volume key, and check it against the header's digest. The data is then
decrypted sector by sector as it is read, as dm-crypt does: the IV of a sector is its number counted
in 512-byte units from the start of the data segment (plus LUKS2's iv_tweak), also when LUKS2 encrypts
in 4096-byte sectors (LUKS never uses dm-crypt's iv_large_sectors).

Ciphers: AES in XTS with plain64 IVs (cryptsetup's default since 2013) and AES-CBC with ESSIV
(older LUKS1 volumes); anything else is reported as such. Key derivation: PBKDF2 with any of the
usual hashes, Argon2id and Argon2i (argon2-cffi). The passphrase and the keys live only in memory,
are never stored or logged, and never appear in a message. Nothing is written and nothing activated.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from evidence_intake.evidence.model import ImageReader

LUKS_MAGIC = b"LUKS\xba\xbe"
_SECONDARY_MAGIC = b"SKUL\xba\xbe"  # LUKS2's second copy of its header
SECTOR = 512
_SLOT_ENABLED = 0x00AC71F3
_HASHES = {"sha1", "sha256", "sha512", "ripemd160", "sha224", "sha384"}
_MAX_JSON = 4 << 20
_MAX_STRIPES = 65536
_MAX_KEY_AREA = 64 << 20
# cryptsetup benchmarks PBKDF2 to take about two seconds, a few million rounds on today's CPUs
_MAX_PBKDF2 = 50_000_000


class LuksError(Exception):
    """The volume cannot be opened: its header, or a cipher or key derivation not supported here."""


class WrongPassphrase(Exception):
    """No keyslot opens with the passphrase given."""


@dataclass(frozen=True, slots=True)
class _Keyslot:
    kdf: dict[str, Any]  # type, hash, iterations, time, memory, cpus, salt (bytes)
    key_size: int  # of the volume key
    area_key_size: int  # of the key that encrypts the slot's area (derived from the passphrase)
    area_offset: int
    area_size: int
    encryption: str  # "aes-xts-plain64"…
    stripes: int
    af_hash: str
    digest: dict[str, Any] | None  # LUKS2: the digest that checks this slot's key


@dataclass(frozen=True, slots=True)
class _Segment:
    offset: int
    size: int | None  # None: to the end of the volume
    encryption: str
    sector_size: int
    iv_tweak: int


class LuksVolume:
    """A LUKS volume at ``offset`` of ``reader``, ``size`` bytes long; ``unlock`` gives its plaintext."""

    def __init__(self, reader: ImageReader, offset: int, size: int) -> None:
        self._reader = reader
        self._offset = offset
        self._size = size
        head = self._read(0, 4096)
        if head[:6] != LUKS_MAGIC:
            raise LuksError("no LUKS header")
        self.version = int.from_bytes(head[6:8], "big")
        self._digest1: tuple[bytes, bytes, int, str] | None = None
        if self.version == 1:
            self._slots, self._segment, self._digest1 = self._luks1(head)
        elif self.version == 2:
            self._slots, self._segment = self._luks2(head)
        else:
            raise LuksError(f"LUKS version {self.version} is not one this reader knows")
        if not self._slots:
            raise LuksError("the header holds no active keyslot")

    def _read(self, offset: int, size: int) -> bytes:
        if offset < 0 or offset + size > self._size:
            raise LuksError(f"the header points to bytes {offset}-{offset + size}, past the volume's end")
        data = self._reader.read_at(self._offset + offset, size)
        if len(data) != size:
            raise LuksError(f"bytes {offset}-{offset + size} of the volume cannot be read")
        return data

    # -- headers ---------------------------------------------------------------------------------

    def _luks1(self, head: bytes) -> tuple[list[_Keyslot], _Segment, tuple[bytes, bytes, int, str]]:
        def text(start: int, length: int) -> str:
            return head[start : start + length].split(b"\0", 1)[0].decode("ascii", "replace")

        cipher, mode, hash_name = text(8, 32), text(40, 32), text(72, 32).lower()
        payload, key_bytes = struct.unpack_from(">II", head, 104)
        digest, digest_salt = head[112:132], head[132:164]
        (digest_iterations,) = struct.unpack_from(">I", head, 164)
        encryption = f"{cipher}-{mode}".lower()
        slots = []
        for index in range(8):
            active, iterations = struct.unpack_from(">II", head, 208 + 48 * index)
            salt = head[216 + 48 * index : 248 + 48 * index]
            material, stripes = struct.unpack_from(">II", head, 248 + 48 * index)
            if active != _SLOT_ENABLED:
                continue
            slots.append(
                _Keyslot(
                    kdf={"type": "pbkdf2", "hash": hash_name, "iterations": iterations, "salt": salt},
                    key_size=key_bytes,
                    area_key_size=key_bytes,
                    area_offset=material * SECTOR,
                    area_size=_round_up(key_bytes * stripes, SECTOR),
                    encryption=encryption,
                    stripes=stripes,
                    af_hash=hash_name,
                    digest=None,
                )
            )
        segment = _Segment(payload * SECTOR, None, encryption, SECTOR, 0)
        return slots, segment, (digest, digest_salt, digest_iterations, hash_name)

    def _luks2(self, head: bytes) -> tuple[list[_Keyslot], _Segment]:
        try:
            metadata = self._luks2_json(0)
        except LuksError:
            (header_size,) = struct.unpack_from(">Q", head, 8)
            metadata = self._luks2_json(header_size)  # the secondary copy, when the first is damaged
        try:
            digests = metadata["digests"]
            slots = []
            for key, slot in sorted(metadata["keyslots"].items(), key=lambda item: int(item[0])):
                if slot.get("type") != "luks2":
                    continue
                digest = next((d for d in digests.values() if key in d.get("keyslots", [])), None)
                kdf = dict(slot["kdf"])
                kdf["salt"] = base64.b64decode(kdf["salt"])
                slots.append(
                    _Keyslot(
                        kdf=kdf,
                        key_size=int(slot["key_size"]),
                        area_key_size=int(slot["area"]["key_size"]),
                        area_offset=int(slot["area"]["offset"]),
                        area_size=int(slot["area"]["size"]),
                        encryption=str(slot["area"]["encryption"]).lower(),
                        stripes=int(slot["af"]["stripes"]),
                        af_hash=str(slot["af"]["hash"]).lower(),
                        digest=digest,
                    )
                )
            crypt = [s for s in metadata["segments"].values() if s.get("type") == "crypt"]
            if len(crypt) != 1:
                raise LuksError(f"{len(crypt)} encrypted data segments (a re-encryption in progress?)")
            raw = crypt[0]
            segment = _Segment(
                offset=int(raw["offset"]),
                size=None if raw["size"] == "dynamic" else int(raw["size"]),
                encryption=str(raw["encryption"]).lower(),
                sector_size=int(raw.get("sector_size", SECTOR)),
                iv_tweak=int(raw.get("iv_tweak", 0)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise LuksError(f"the LUKS2 metadata is damaged or unexpected ({exc!r})") from exc
        if segment.sector_size not in (512, 1024, 2048, 4096) or segment.offset % SECTOR:
            raise LuksError(f"a data segment of sector size {segment.sector_size} at {segment.offset}")
        return slots, segment

    def _luks2_json(self, at: int) -> dict[str, Any]:
        header = self._read(at, 4096)
        if header[:6] != (LUKS_MAGIC if at == 0 else _SECONDARY_MAGIC):
            raise LuksError(f"no LUKS2 header at byte {at}")
        (header_size,) = struct.unpack_from(">Q", header, 8)
        algorithm = header[72:104].split(b"\0", 1)[0].decode("ascii", "replace")
        if not 4096 < header_size <= 4096 + _MAX_JSON or algorithm != "sha256":
            raise LuksError(f"a LUKS2 header at byte {at} of size {header_size} with checksum {algorithm!r}")
        area = self._read(at + 4096, header_size - 4096)
        check = hashlib.sha256(header[:448] + bytes(64) + header[512:] + area).digest()
        if check != header[448:480]:
            raise LuksError(f"the LUKS2 header at byte {at} fails its checksum")
        try:
            metadata = json.loads(area.split(b"\0", 1)[0])
        except ValueError as exc:
            raise LuksError(f"the LUKS2 metadata at byte {at} is not JSON") from exc
        if not isinstance(metadata, dict):
            raise LuksError(f"the LUKS2 metadata at byte {at} is not an object")
        return metadata

    # -- opening ----------------------------------------------------------------------------------

    def unlock(self, passphrase: str) -> ImageReader:
        """The decrypted volume; WrongPassphrase when no slot opens, LuksError when one cannot be tried."""
        secret = passphrase.encode("utf-8")
        unsupported: list[str] = []
        for slot in self._slots:
            try:
                key = self._slot_key(slot, secret)
            except LuksError as exc:
                unsupported.append(str(exc))
                continue
            except (ValueError, TypeError, KeyError, OverflowError) as exc:  # a damaged or crafted slot
                unsupported.append(f"a keyslot that cannot be used ({type(exc).__name__})")
                continue
            if key is not None:
                return _LuksReader(self, _Sectors(self._segment.encryption, key), self._segment)
        if unsupported and len(unsupported) == len(self._slots):
            raise LuksError("; ".join(dict.fromkeys(unsupported)))
        raise WrongPassphrase

    def _slot_key(self, slot: _Keyslot, secret: bytes) -> bytes | None:
        if not 0 < slot.stripes <= _MAX_STRIPES or not 16 <= slot.key_size <= 128:
            raise LuksError("a keyslot with impossible stripes or key size")
        length = slot.key_size * slot.stripes
        if length > slot.area_size or slot.area_size > _MAX_KEY_AREA:
            raise LuksError("a keyslot whose area cannot hold its key material")
        af_hash = _hash_name(slot.af_hash)
        derived = _derive(slot.kdf, secret, slot.area_key_size)
        area = _Sectors(slot.encryption, derived).decrypt(
            self._read(slot.area_offset, _round_up(length, SECTOR)), 0
        )
        candidate = _af_merge(area[:length], slot.key_size, slot.stripes, af_hash)
        return candidate if self._matches(slot, candidate) else None

    def _matches(self, slot: _Keyslot, key: bytes) -> bool:
        if self._digest1 is not None:
            digest, salt, iterations, hash_name = self._digest1
            rounds = _bounded(iterations, 1, _MAX_PBKDF2, "digest iteration count")
            return hashlib.pbkdf2_hmac(_hash_name(hash_name), key, salt, rounds, len(digest)) == digest
        if slot.digest is None or slot.digest.get("type") != "pbkdf2":
            raise LuksError("a keyslot without a PBKDF2 digest to check its key against")
        want = base64.b64decode(slot.digest["digest"])
        salt = base64.b64decode(slot.digest["salt"])
        hash_name = _hash_name(str(slot.digest["hash"]))
        rounds = _bounded(slot.digest.get("iterations"), 1, _MAX_PBKDF2, "digest iteration count")
        return hashlib.pbkdf2_hmac(hash_name, key, salt, rounds, len(want)) == want


def _round_up(value: int, unit: int) -> int:
    return -(-value // unit) * unit


def _hash_name(name: str) -> str:
    name = name.lower()
    if name not in _HASHES:
        raise LuksError(f"hash {name!r} is not supported")
    return name


def _bounded(value: Any, low: int, high: int, what: str) -> int:
    """A key-derivation parameter from the header, refused when no real volume would have it: crafted
    values would otherwise keep the examiner's workstation busy for hours or exhaust its memory."""
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise LuksError(f"the header's {what} is not a number") from exc
    if not low <= number <= high:
        raise LuksError(f"the header's {what} ({number}) is outside what cryptsetup writes ({low} to {high})")
    return number


def _derive(kdf: dict[str, Any], secret: bytes, size: int) -> bytes:
    kind = str(kdf.get("type"))
    salt = kdf.get("salt")
    if not isinstance(salt, bytes):
        raise LuksError("a keyslot without a salt")
    if kind == "pbkdf2":
        rounds = _bounded(kdf.get("iterations"), 1000, _MAX_PBKDF2, "PBKDF2 iteration count")
        return hashlib.pbkdf2_hmac(_hash_name(str(kdf.get("hash"))), secret, salt, rounds, size)
    if kind in ("argon2i", "argon2id"):
        from argon2.low_level import Type, hash_secret_raw

        time_cost = _bounded(kdf.get("time"), 1, 1000, "Argon2 time cost")
        lanes = _bounded(kdf.get("cpus"), 1, 64, "Argon2 parallelism")
        memory = _bounded(kdf.get("memory"), 8 * lanes, 4 << 20, "Argon2 memory (KiB)")
        from argon2.exceptions import HashingError

        try:
            return hash_secret_raw(
                secret,
                salt,
                time_cost=time_cost,
                memory_cost=memory,
                parallelism=lanes,
                hash_len=size,
                type=Type.ID if kind == "argon2id" else Type.I,
            )
        except HashingError as exc:
            raise LuksError(f"the keyslot's {kind} parameters are refused by Argon2 ({exc})") from exc
    raise LuksError(f"key derivation {kind!r} is not supported")


def _af_merge(material: bytes, key_size: int, stripes: int, hash_name: str) -> bytes:
    """The anti-forensic split undone: XOR and diffuse the stripes back into one key."""
    buffer = bytes(key_size)
    for index in range(stripes - 1):
        stripe = material[index * key_size : (index + 1) * key_size]
        buffer = _diffuse(_xor(buffer, stripe), hash_name)
    return _xor(buffer, material[(stripes - 1) * key_size : stripes * key_size])


def _diffuse(block: bytes, hash_name: str) -> bytes:
    size = hashlib.new(hash_name).digest_size
    out = bytearray()
    for index in range(_round_up(len(block), size) // size):
        chunk = block[index * size : (index + 1) * size]
        out += hashlib.new(hash_name, struct.pack(">I", index) + chunk).digest()[: len(chunk)]
    return bytes(out)


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(len(a), "little")


class _Sectors:
    """Decrypt runs of sectors with one of the dm-crypt ciphers LUKS uses."""

    def __init__(self, encryption: str, key: bytes) -> None:
        self._key = key
        if encryption in ("aes-xts-plain64", "aes-xts-plain"):
            if len(key) not in (32, 64):
                raise LuksError(f"an AES-XTS key of {len(key)} bytes")
            self._mode = "xts"
        elif encryption == "aes-cbc-essiv:sha256":
            self._mode = "essiv"
            # ESSIV encrypts each sector number with a key hashed from the volume key: one AES block,
            # which is what ECB is for here (it encrypts no data)
            self._essiv = Cipher(algorithms.AES(hashlib.sha256(key).digest()), modes.ECB()).encryptor()  # noqa: S305
        else:
            raise LuksError(f"cipher {encryption!r} is not supported (AES-XTS-plain64 and AES-CBC-ESSIV are)")

    def decrypt(self, data: bytes, first_iv: int, sector_size: int = SECTOR) -> bytes:
        """``data`` (whole sectors of ``sector_size``); IVs count 512-byte units from ``first_iv``."""
        out = bytearray()
        step = sector_size // SECTOR
        for index in range(0, len(data), sector_size):
            iv = first_iv + (index // sector_size) * step
            sector = data[index : index + sector_size]
            if self._mode == "xts":
                tweak = (iv & (2**64 - 1)).to_bytes(16, "little")
                decryptor = Cipher(algorithms.AES(self._key), modes.XTS(tweak)).decryptor()
            else:
                vector = self._essiv.update((iv & (2**64 - 1)).to_bytes(16, "little"))
                decryptor = Cipher(algorithms.AES(self._key), modes.CBC(vector)).decryptor()
            out += decryptor.update(sector) + decryptor.finalize()
        return bytes(out)


class _LuksReader(ImageReader):
    """The plaintext of an unlocked LUKS volume's data segment."""

    def __init__(self, volume: LuksVolume, sectors: _Sectors, segment: _Segment) -> None:
        self._volume = volume
        self._sectors = sectors
        self._segment = segment
        self.format = f"luks{volume.version}"
        self.paths = list(getattr(volume._reader, "paths", []))
        end = volume._size if segment.size is None else min(volume._size, segment.offset + segment.size)
        usable = max(0, end - segment.offset)
        self.size = usable - usable % segment.sector_size

    def read_at(self, offset: int, size: int) -> bytes:
        end = min(offset + size, self.size)
        if offset >= end:
            return b""
        unit = self._segment.sector_size
        first = offset - offset % unit
        last = _round_up(end, unit)
        data = self._volume._read(self._segment.offset + first, last - first)
        plain = self._sectors.decrypt(data, self._segment.iv_tweak + first // SECTOR, unit)
        return plain[offset - first : end - first]

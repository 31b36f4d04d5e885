"""Encrypted app stores on Android: recorded as found, so that an analyst knows they are there.

Signal's ``signal.db`` and WeChat's ``EnMicroMsg.db`` are SQLCipher databases; WhatsApp's backups
``msgstore*.db.crypt14/15`` are encrypted with a key kept in the app's private folder (or with the
user's 64-digit end-to-end backup key). Nothing in them is readable without the key, but their
presence, size and hash are evidence, and the key may be found later.

Only a file that looks like such a store is recorded: an analyst goes looking for keys for what is
listed here. An empty file, one of zero bytes only, or one shorter than the smallest store of its
format holds nothing to decrypt, and a file without the shape of its format (a WhatsApp backup
header, or ciphertext where a SQLCipher page should be) is not called encrypted on its name alone:
each is a warning naming the file and saying what it is. What a store looks like:

* SQLCipher (Signal, WeChat): no ``SQLite format 3`` header, at least one page (512 bytes, the
  smallest SQLite page), and a first page that does not compress: SQLCipher encrypts every page
  whole, and its first 16 bytes are a random salt.
* WhatsApp crypt14/crypt15: one byte giving the size of a protobuf header, an optional 0x01 (the
  feature table of msgstore backups), then that header (field 1 the key type, field 2 the crypt14
  cipher or field 3 the crypt15 IV, field 4 the app version), then the encrypted database and its
  16-byte GCM tag.
* WhatsApp crypt12: a 67-byte header starting with the cipher version 00 01, then the encrypted
  database and a 36-byte footer.

A backup whose header is not one of these but whose content looks like ciphertext (another version
of the format) is recorded, with a warning that its header was not recognised.

A reference for parsers of files that are not SQLite (``sqlite = False``): the engine copies the
file to scratch and hashes it; the parser reads its first bytes through ``source.open()``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from evidence_intake.artefacts.model import Artefact, EncryptedStore, Locator
from evidence_intake.parsers.base import APPLIES, Applicability, Parser, not_applicable
from evidence_intake.parsers.globs import translate
from evidence_intake.parsers.source import SQLITE_MAGIC, Source


@dataclass(frozen=True, slots=True)
class Kind:
    glob: str
    app: str
    store_type: str
    key_hint: str
    sqlcipher: bool  # a plain SQLite header means it is not encrypted after all


KINDS = (
    Kind(
        "**/org.thoughtcrime.securesms/databases/signal.db",
        "Signal",
        "SQLCipher",
        "the database key is in shared_prefs (org.thoughtcrime.securesms_preferences.xml, "
        "pref_database_encrypted_secret) wrapped by an Android Keystore key: a full file-system "
        "extraction with the Keystore unwrapped is needed",
        True,
    ),
    Kind(
        "**/com.tencent.mm/MicroMsg/*/EnMicroMsg.db",
        "WeChat",
        "SQLCipher 1",
        "the key is derived from the device IMEI (or '1234567890ABCDEF') and the WeChat uin in "
        "shared_prefs/auth_info_key_prefs.xml: first 7 hex characters of MD5(IMEI + uin)",
        True,
    ),
    Kind(
        "**/Databases/msgstore*.db.crypt1[245]",
        "WhatsApp",
        "WhatsApp backup ({ext})",
        "the key file is /data/data/com.whatsapp/files/key (crypt12/14) or, for end-to-end "
        "encrypted backups (crypt15), the 64-digit key the user wrote down or the key file "
        "/data/data/com.whatsapp/files/encrypted_backup.key",
        False,
    ),
    Kind(
        "**/Databases/wa.db.crypt1[245]",
        "WhatsApp",
        "WhatsApp backup ({ext})",
        "as for msgstore backups: /data/data/com.whatsapp/files/key or the 64-digit backup key",
        False,
    ),
)
_PATTERNS = [(re.compile(translate(k.glob)), k) for k in KINDS]

SAMPLE = 4096  # bytes looked at for ciphertext
MIN_PAGE = 512  # the smallest SQLite (and SQLCipher) page
GCM_TAG = 16
CRYPT12_HEADER, CRYPT12_FOOTER = 67, 36
CRYPT12_CIPHER_VERSION = b"\x00\x01"
IV_SIZE = 16
ZERO_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the file's bytes say: a store (``problem`` None; ``note`` when only its content says so),
    or why it is not one."""

    problem: str | None = None
    note: str | None = None
    empty: bool = False  # nothing in it at all (no bytes, zeros, too short for any content)


def looks_encrypted(data: bytes) -> bool:
    """Ciphertext does not compress; text, tables and zero runs do."""
    return len(data) >= 256 and len(zlib.compress(data, 6)) >= len(data)


def _varint(data: bytes, pos: int) -> tuple[int, int] | None:
    value = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7
    return None


def _protobuf_fields(data: bytes) -> dict[int, bytes | int] | None:
    """The top-level fields of a protobuf message (varints and length-delimited only), or None when
    ``data`` is not one."""
    fields: dict[int, bytes | int] = {}
    pos = 0
    while pos < len(data):
        key = _varint(data, pos)
        if key is None:
            return None
        tag, pos = key
        number, wire = tag >> 3, tag & 7
        if number == 0:
            return None
        value = _varint(data, pos)
        if value is None:
            return None
        if wire == 0:
            fields[number], pos = value
        elif wire == 2:
            length, pos = value
            if pos + length > len(data):
                return None
            fields[number], pos = data[pos : pos + length], pos + length
        else:
            return None
    return fields


def whatsapp_header(head: bytes) -> int | None:
    """Where the encrypted data starts, when ``head`` begins with a crypt14/crypt15 backup header: the
    size byte, the optional feature flag, and a protobuf whose field 2 (crypt14 cipher) or 3 (crypt15
    IV) holds a 16-byte IV."""
    if not head or head[0] == 0:
        return None
    size = head[0]
    for start in (2, 1) if len(head) > 1 and head[1] == 1 else (1,):
        fields = _protobuf_fields(head[start : start + size]) if start + size <= len(head) else None
        if fields is None:
            continue
        for number, iv_field in ((2, 5), (3, 1)):  # crypt14 cipher (IV is its field 5), crypt15 IV
            cipher = fields.get(number)
            inner = _protobuf_fields(cipher) if isinstance(cipher, bytes) else None
            iv = inner.get(iv_field) if inner else None
            if isinstance(iv, bytes) and len(iv) == IV_SIZE:
                return start + size
    return None


def verdict(kind: Kind, ext: str, size: int, head: bytes, zero: bool) -> Verdict:
    """Whether a file of ``size`` bytes starting with ``head`` (up to ``SAMPLE`` + 256 bytes) looks
    like a store of ``kind``; ``zero`` says the whole file is zero bytes."""
    if size == 0:
        return Verdict("is empty (0 bytes)", empty=True)
    if zero:
        return Verdict(f"holds only zero bytes ({size} bytes)", empty=True)
    if kind.sqlcipher:
        if size < MIN_PAGE:
            return Verdict(f"is {size} bytes: shorter than one database page ({MIN_PAGE} bytes)", empty=True)
        if not looks_encrypted(head[:SAMPLE]):
            return Verdict(
                "has neither a SQLite header nor encrypted pages (its first page compresses, "
                "which ciphertext does not)"
            )
        return Verdict()
    if ext == "crypt12":
        if size < CRYPT12_HEADER + CRYPT12_FOOTER:
            return Verdict(
                f"is {size} bytes: shorter than a crypt12 header and footer "
                f"({CRYPT12_HEADER + CRYPT12_FOOTER} bytes)",
                empty=True,
            )
        if head.startswith(CRYPT12_CIPHER_VERSION):
            return Verdict()
    else:
        start = whatsapp_header(head)
        if start is not None:
            if size < start + GCM_TAG:
                return Verdict(
                    f"is {size} bytes: its backup header is complete but nothing follows it", empty=True
                )
            return Verdict()
        if size < 1 + (head[0] if head else 0) or size < 64:
            return Verdict(
                f"is {size} bytes: too short to hold a {ext} backup header and any data", empty=True
            )
    if looks_encrypted(head[:SAMPLE]):
        return Verdict(note=f"has no {ext} backup header this version knows, but its content looks encrypted")
    return Verdict(f"has no {ext} backup header and its content does not look encrypted (it compresses)")


def _all_zero(fh: BinaryIO, head: bytes) -> bool:
    if any(head):
        return False
    while chunk := fh.read(ZERO_CHUNK):
        if any(chunk):
            return False
    return True


def kind_of(path: str) -> Kind | None:
    for pattern, kind in _PATTERNS:
        if pattern.match(path):
            return kind
    return None


class AndroidEncryptedStoresParser(Parser):
    name = "android.encrypted"
    version = "1.1"
    title = "Encrypted app stores on Android (Signal, WeChat, WhatsApp backups): recorded, not decrypted"
    kinds = (EncryptedStore,)
    globs = tuple(k.glob for k in KINDS)
    sqlite = False
    references = (
        "Signal-Android: DatabaseSecretProvider / KeyStoreHelper (SQLCipher key in shared_prefs)",
        "ALEAPP and the public WeChat/WhatsApp decryption write-ups for where the keys are kept",
    )
    limitations = (
        "Nothing is decrypted: the store is recorded with its path, size and SHA-256 and a hint of where "
        "the key is. A Signal or WeChat database that turns out to be plain SQLite is left to the "
        "app's parser. An empty file, one of zero bytes only, one too short for its format, or one whose "
        "bytes are neither the format's header nor ciphertext is not recorded: it is a warning naming the "
        "file. A WhatsApp backup with a header of an unknown version but encrypted-looking content is "
        "recorded with a warning."
    )

    def applies(self, source: Source) -> Applicability:
        kind = kind_of(source.path)
        if kind is None:
            return not_applicable("not a known encrypted store")
        if kind.sqlcipher:
            with source.open() as fh:
                if fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
                    return not_applicable("a plain SQLite database, not encrypted: its app's parser reads it")
        return APPLIES

    def parse(self, source: Source) -> Iterator[Artefact]:
        kind = kind_of(source.path)
        if kind is None:
            return
        ext = source.path.rsplit(".", 1)[-1]
        size = source.local_path.stat().st_size
        with source.open() as fh:
            head = fh.read(SAMPLE + 256)
            zero = _all_zero(fh, head)
        found = verdict(kind, ext, size, head, zero)
        if found.problem is not None:
            advice = "there is nothing in it to decrypt" if found.empty else "examine it by hand"
            source.warn(
                f"the file {found.problem}: not recorded as an encrypted {kind.app} store; {advice}",
                Locator(offset=0),
            )
            return
        if found.note is not None:
            source.warn(f"the file {found.note}: recorded as an encrypted store", Locator(offset=0))
        yield EncryptedStore(
            locator=Locator(offset=0),
            app=kind.app,
            store_type=kind.store_type.format(ext=ext),
            key_hint=kind.key_hint,
        )

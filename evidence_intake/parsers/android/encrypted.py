"""Encrypted app stores on Android: recorded as found, so that an analyst knows they are there.

Signal's ``signal.db`` and WeChat's ``EnMicroMsg.db`` are SQLCipher databases; WhatsApp's backups
``msgstore*.db.crypt14/15`` are encrypted with a key kept in the app's private folder (or with the
user's 64-digit end-to-end backup key). Nothing in them is readable without the key, but their
presence, size and hash are evidence, and the key may be found later.

A reference for parsers of files that are not SQLite (``sqlite = False``): the engine copies the
file to scratch and hashes it; the parser reads its first bytes through ``source.open()``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

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


def kind_of(path: str) -> Kind | None:
    for pattern, kind in _PATTERNS:
        if pattern.match(path):
            return kind
    return None


class AndroidEncryptedStoresParser(Parser):
    name = "android.encrypted"
    version = "1.0"
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
        "app's parser."
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
        yield EncryptedStore(
            locator=Locator(offset=0),
            app=kind.app,
            store_type=kind.store_type.format(ext=source.path.rsplit(".", 1)[-1]),
            key_hint=kind.key_hint,
        )

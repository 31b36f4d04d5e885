"""Turn a plain iOS backup folder (tests.evidence.test_iosbackup.build_backup) into an encrypted one.

As iTunes/Finder writes it: a backup keybag of class keys wrapped (RFC 3394) by the key the password
gives (PBKDF2-HMAC-SHA256 with DPSL/DPIC, then PBKDF2-HMAC-SHA1 with SALT/ITER), each stored file
AES-256-CBC encrypted with a key of its own, wrapped by its protection class's key and kept as the
MBFile's EncryptionKey, and Manifest.db encrypted with the key in Manifest.plist's ManifestKey.
The tests read the result both with the tool and with an independent decryptor
(iphone_backup_decrypt), so this writer is checked against the format, not only against our reader.
"""

from __future__ import annotations

import hashlib
import os
import plistlib
import sqlite3
import struct
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

CLASSES = range(1, 12)
MANIFEST_CLASS = 4


def _tlv(tag: str, value: bytes | int) -> bytes:
    data = value.to_bytes(4, "big") if isinstance(value, int) else value
    return tag.encode("ascii") + struct.pack(">I", len(data)) + data


def _encrypt(key: bytes, data: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def keybag(password: str, class_keys: dict[int, bytes], *, rounds: int) -> bytes:
    salt, dpsl = os.urandom(20), os.urandom(20)
    first = hashlib.pbkdf2_hmac("sha256", password.encode(), dpsl, rounds, 32)
    key = hashlib.pbkdf2_hmac("sha1", first, salt, rounds, 32)
    parts = [
        _tlv("VERS", 4),
        _tlv("TYPE", 1),  # a backup keybag
        _tlv("UUID", os.urandom(16)),
        _tlv("HMCK", os.urandom(40)),
        _tlv("WRAP", 0),
        _tlv("SALT", salt),
        _tlv("ITER", rounds),
        _tlv("DPWT", 1),
        _tlv("DPIC", rounds),
        _tlv("DPSL", dpsl),
    ]
    for clas, class_key in class_keys.items():
        parts += [
            _tlv("UUID", os.urandom(16)),
            _tlv("CLAS", clas),
            _tlv("WRAP", 2),  # wrapped by the passcode (here: the backup password)
            _tlv("KTYP", 0),
            _tlv("WPKY", aes_key_wrap(key, class_key)),
        ]
    return b"".join(parts)


def _with_key(blob: bytes, wrapped: bytes) -> bytes:
    """The MBFile archive with an EncryptionKey (an NSMutableData object) added."""
    archive = plistlib.loads(blob)
    objects = archive["$objects"]
    root = objects[archive["$top"]["root"].data]
    objects.append({"$classname": "NSMutableData", "$classes": ["NSMutableData", "NSData", "NSObject"]})
    data_class = plistlib.UID(len(objects) - 1)
    objects.append({"NS.data": wrapped, "$class": data_class})
    root["EncryptionKey"] = plistlib.UID(len(objects) - 1)
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def encrypt_backup(folder: Path, password: str, *, rounds: int = 1000) -> None:
    """Encrypt the stored files and Manifest.db of ``folder`` in place, and write its keybag."""
    class_keys = {clas: os.urandom(32) for clas in CLASSES}
    db = sqlite3.connect(folder / "Manifest.db")
    for fid, flags, blob in db.execute("SELECT fileID, flags, file FROM Files").fetchall():
        archive = plistlib.loads(blob)
        root = archive["$objects"][archive["$top"]["root"].data]
        clas = int(root.get("ProtectionClass", 3))
        if flags != 1:
            continue
        file_key = os.urandom(32)
        wrapped = struct.pack("<I", clas) + aes_key_wrap(class_keys[clas], file_key)
        db.execute("UPDATE Files SET file = ? WHERE fileID = ?", (_with_key(blob, wrapped), fid))
        stored = folder / fid[:2] / fid
        if stored.exists():
            stored.write_bytes(_encrypt(file_key, stored.read_bytes()))
    db.commit()
    db.close()
    manifest_key = os.urandom(32)
    database = folder / "Manifest.db"
    database.write_bytes(_encrypt(manifest_key, database.read_bytes()))
    manifest = plistlib.loads((folder / "Manifest.plist").read_bytes())
    manifest["IsEncrypted"] = True
    manifest["BackupKeyBag"] = keybag(password, class_keys, rounds=rounds)
    manifest["ManifestKey"] = struct.pack("<I", MANIFEST_CLASS) + aes_key_wrap(
        class_keys[MANIFEST_CLASS], manifest_key
    )
    (folder / "Manifest.plist").write_bytes(plistlib.dumps(manifest))

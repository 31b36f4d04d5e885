"""android.encrypted: encrypted stores are recorded with path, size and hash; plain ones left alone."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from evidence_intake.parsers.android.encrypted import AndroidEncryptedStoresParser
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import MemoryTree
from tests.parsers.util import make_db, store_rows

SIGNAL = "/data/data/org.thoughtcrime.securesms/databases/signal.db"
WECHAT = "/data/data/com.tencent.mm/MicroMsg/5f3a0c1e2b9d8e7f/EnMicroMsg.db"
BACKUP = "/data/media/0/Android/media/com.whatsapp/WhatsApp/Databases/msgstore-2025-03-13.1.db.crypt15"
CRYPT14 = "/sdcard/WhatsApp/Databases/msgstore.db.crypt14"
CRYPT12 = "/sdcard/WhatsApp/Databases/wa.db.crypt12"
WA15 = "/sdcard/WhatsApp/Databases/wa.db.crypt15"


def field(number: int, value: bytes) -> bytes:
    """A length-delimited protobuf field (lengths below 128 only)."""
    assert len(value) < 128
    return bytes([number << 3 | 2, len(value)]) + value


def backup(*, crypt15: bool, features: bool = True, data: int = 20000) -> bytes:
    """A WhatsApp backup as the app writes it: header size, the msgstore feature flag, the protobuf
    header (key type, the crypt14 cipher or the crypt15 IV, the app version), then ciphertext."""
    iv = os.urandom(16)
    if crypt15:
        cipher = field(3, field(1, iv))
        key_type = b"\x08\x01"
    else:
        cipher = field(2, field(1, b"\x00\x01") + field(2, b"1") + field(3, os.urandom(32))
                       + field(4, os.urandom(16)) + field(5, iv))  # fmt: skip
        key_type = b"\x08\x00"
    header = key_type + cipher + field(4, field(1, b"2.25.5.74") + field(3, b"42"))
    return bytes([len(header)]) + (b"\x01" if features else b"") + header + os.urandom(data)


def warnings(case: FakeCase) -> dict[str, str]:
    got = store_rows(case, "SELECT source_path, error FROM extraction_errors WHERE severity = 'warning'")
    return {str(r["source_path"]): str(r["error"]) for r in got}


def test_encrypted_stores_are_recorded(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    blobs = {
        SIGNAL: os.urandom(8192),
        WECHAT: os.urandom(4096),
        BACKUP: backup(crypt15=True),
        CRYPT14: backup(crypt15=False),
        WA15: backup(crypt15=True, features=False),  # wa.db backups have no feature table
        CRYPT12: b"\x00\x01\x02" + os.urandom(5000),
    }
    report = run_extract(MemoryTree(blobs), AndroidEncryptedStoresParser)
    assert not report.failed and warnings(case) == {}
    rows = {r["source_path"]: r for r in store_rows(case, "SELECT * FROM encrypted_stores")}
    assert set(rows) == set(blobs)
    assert rows[SIGNAL]["app"] == "Signal" and rows[SIGNAL]["store_type"] == "SQLCipher"
    assert rows[WECHAT]["app"] == "WeChat" and "IMEI" in str(rows[WECHAT]["key_hint"])
    assert rows[BACKUP]["reason"] == "encrypted; key needed" and "crypt15" in str(rows[BACKUP]["store_type"])
    assert rows[BACKUP]["source_sha256"] == hashlib.sha256(blobs[BACKUP]).hexdigest()
    assert (rows[BACKUP]["record_offset"], rows[BACKUP]["record_table"]) == (0, None)


def test_a_plain_sqlite_signal_database_is_not_applicable(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    plain = make_db(tmp_path / "signal.db", "CREATE TABLE sms (_id INTEGER PRIMARY KEY);").read_bytes()
    report = run_extract(MemoryTree({SIGNAL: plain}), AndroidEncryptedStoresParser)
    assert report.exhibits[0].parsers["android.encrypted"].not_applicable == 1
    assert store_rows(case, "SELECT count(*) AS n FROM encrypted_stores")[0]["n"] == 0


def test_empty_zero_and_short_files_are_warnings_not_stores(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    blobs = {
        SIGNAL: b"",
        CRYPT14: b"",
        WA15: os.urandom(10),
        WECHAT: bytes(100),
        BACKUP: bytes(30000),
        CRYPT12: b"\x00\x01\x02" + os.urandom(60),
    }
    report = run_extract(MemoryTree(blobs), AndroidEncryptedStoresParser)
    assert not report.failed
    assert store_rows(case, "SELECT count(*) AS n FROM encrypted_stores")[0]["n"] == 0
    said = warnings(case)
    assert set(said) == set(blobs)
    assert said[SIGNAL].startswith("the file is empty (0 bytes): not recorded as an encrypted Signal store")
    assert said[CRYPT14].startswith("the file is empty (0 bytes)")
    assert said[WA15].startswith("the file is 10 bytes: too short")
    assert said[WECHAT].startswith("the file holds only zero bytes (100 bytes)")
    assert said[BACKUP].startswith("the file holds only zero bytes (30000 bytes)")
    assert said[CRYPT12].startswith("the file is 63 bytes: shorter than a crypt12 header and footer")
    assert all(w.endswith("there is nothing in it to decrypt") for w in said.values())
    (summary,) = store_rows(case, "SELECT count(*) AS n, sum(status = 'parsed') AS parsed FROM sources")
    assert summary == {"n": 6, "parsed": 6}


def test_files_that_are_not_encrypted_are_warnings_not_stores(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    text = ("<html>" + "not a database " * 600).encode()
    blobs = {SIGNAL: text[:8192], WECHAT: os.urandom(16) + bytes(4080), BACKUP: text}
    report = run_extract(MemoryTree(blobs), AndroidEncryptedStoresParser)
    assert not report.failed
    assert store_rows(case, "SELECT count(*) AS n FROM encrypted_stores")[0]["n"] == 0
    said = warnings(case)
    assert said[SIGNAL] == (
        "the file has neither a SQLite header nor encrypted pages (its first page compresses, which "
        "ciphertext does not): not recorded as an encrypted Signal store; examine it by hand"
    )
    assert said[WECHAT].startswith("the file has neither a SQLite header nor encrypted pages")
    assert said[BACKUP].startswith("the file has no crypt15 backup header and its content does not look")


def test_a_backup_of_an_unknown_header_but_encrypted_content_is_recorded_with_a_warning(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    report = run_extract(MemoryTree({BACKUP: os.urandom(20000)}), AndroidEncryptedStoresParser)
    assert not report.failed
    (row,) = store_rows(case, "SELECT app, reason FROM encrypted_stores")
    assert row == {"app": "WhatsApp", "reason": "encrypted; key needed"}
    assert warnings(case) == {
        BACKUP: "the file has no crypt15 backup header this version knows, but its content looks "
        "encrypted: recorded as an encrypted store"
    }

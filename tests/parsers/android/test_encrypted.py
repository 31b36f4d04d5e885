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


def test_encrypted_stores_are_recorded(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    blobs = {SIGNAL: os.urandom(8192), WECHAT: os.urandom(4096), BACKUP: os.urandom(20000)}
    report = run_extract(MemoryTree(blobs), AndroidEncryptedStoresParser)
    assert not report.failed
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

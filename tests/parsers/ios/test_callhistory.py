"""ios.callhistory on CallHistory.storedata built from the real schema: phone, FaceTime and CallKit calls."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from evidence_intake.parsers.ios.callhistory import IosCallHistoryParser
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.ios.dbs import build, mac_s, utc
from tests.parsers.trees import FolderTree
from tests.parsers.util import store_rows

DB = "private/var/mobile/Library/CallHistoryDB/CallHistory.storedata"
T0 = mac_s(utc(2025, 3, 7, 14, 30, 0, 250000))
TEL, FT, WA = "com.apple.Telephony", "com.apple.FaceTime", "net.whatsapp.WhatsApp"
# The store's columns for how long a call lasted, in seconds and as the app stored it (data, not timing).
CALL_LENGTH, AS_STORED = "duration_s", "duration_raw"


def call(pk: int, address: object, *, out: int, answered: int, kind: int, provider: str | None,
         iso: str | None = "th", category: int | None = 1, date: float | None = None, length: float = 60.0,
         **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "Z_PK": pk,
        "Z_ENT": 2,
        "Z_OPT": 1,
        "ZADDRESS": address,
        "ZORIGINATED": out,
        "ZANSWERED": answered,
        "ZCALLTYPE": kind,
        "ZCALL_CATEGORY": category,
        "ZSERVICE_PROVIDER": provider,
        "ZISO_COUNTRY_CODE": iso,
        "ZDATE": T0 + pk * 3600 if date is None else date,
        "ZDURATION": length,
        **extra,
    }


CALLS = [
    call(1, "081-234-5678", out=0, answered=1, kind=1, provider=TEL, ZNAME="พี่นก"),
    call(2, "+8613955500178", out=1, answered=1, kind=1, provider=TEL, iso="cn", length=62.6),
    call(3, "09 42555 0188", out=0, answered=0, kind=1, provider=TEL, iso="mm", length=0.0),
    call(4, "hr@example.com", out=1, answered=0, kind=8, provider=FT, iso=None, category=None),
    call(5, b"+855965550187", out=0, answered=1, kind=0, provider=WA, iso="kh", category=2),
    call(6, "0899990000", out=1, answered=0, kind=0, provider="com.example.voip", ZLOCATION="Bangkok"),
    call(7, None, out=0, answered=0, kind=1, provider=None, date=0.0),
    call(8, "0812345678", out=0, answered=0, kind=16, provider=None, category=None, date=1e300),
]  # fmt: skip


def history(root: Path, calls: list[dict[str, Any]] | None = None) -> Path:
    build(root / "ev" / DB, "ios/callhistory", {"ZCALLRECORD": CALLS if calls is None else calls})
    return root / "ev"


COLUMNS = (
    "record_rowid, app, number, number_e164, name, direction, status, call_type, started_at, started_at_raw, "
    "duration_s, location, is_deleted"
)


def row(pk: int, app: str, number: str | None, e164: str | None, direction: str, status: str,
        call_type: str | None, length: int = 60, **extra: Any) -> dict[str, Any]:  # fmt: skip
    hour = 14 + pk
    return {
        "record_rowid": pk,
        "app": app,
        "number": number,
        "number_e164": e164,
        "name": None,
        "direction": direction,
        "status": status,
        "call_type": call_type,
        "started_at": f"2025-03-{7 + hour // 24:02d}T{hour % 24:02d}:30:00.250000Z",
        "started_at_raw": T0 + pk * 3600,
        CALL_LENGTH: length,
        "location": None,
        "is_deleted": 0,
        **extra,
    }


EXPECTED = [
    row(1, "Phone", "081-234-5678", "+66812345678", "incoming", "answered", "voice", name="พี่นก"),
    row(2, "Phone", "+8613955500178", "+8613955500178", "outgoing", "answered", "voice", 63),
    row(3, "Phone", "09 42555 0188", "+959425550188", "incoming", "missed", "voice", 0),
    row(4, "FaceTime", "hr@example.com", None, "outgoing", "dialled", "video"),
    row(5, "WhatsApp", "+855965550187", "+855965550187", "incoming", "answered", "video"),
    row(6, "com.example.voip", "0899990000", "+66899990000", "outgoing", "dialled", "voice",
        location="Bangkok"),
    row(7, "Phone", None, None, "incoming", "missed", "voice", started_at=None, started_at_raw=0.0),
    row(8, "FaceTime", "0812345678", "+66812345678", "incoming", "missed", "voice", started_at=None,
        started_at_raw=1e300),
]  # fmt: skip


def test_every_call_exactly(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(FolderTree(history(tmp_path)), IosCallHistoryParser)
    assert not report.failed
    got = store_rows(case, f"SELECT {COLUMNS} FROM calls ORDER BY record_rowid")
    for expected, actual in zip(EXPECTED, got, strict=True):
        assert actual == expected
    (warning,) = store_rows(case, "SELECT error FROM extraction_errors WHERE severity = 'warning'")
    assert "1 calls have a started_at that is out of range" in warning["error"]  # 1e300, not the 0


def test_call_length_is_rounded_to_whole_seconds_and_kept_as_stored(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    run_extract(FolderTree(history(tmp_path)), IosCallHistoryParser)
    got = store_rows(case, f"SELECT {CALL_LENGTH}, {AS_STORED} FROM calls ORDER BY record_rowid")
    assert [(r[CALL_LENGTH], r[AS_STORED]) for r in got] == [
        (60, 60.0),
        (63, 62.6),  # ZDURATION is fractional seconds: the stored value keeps what rounding drops
        (0, 0.0),
        *[(60, 60.0)] * 5,
    ]


def test_address_stored_as_a_blob_is_read_as_text(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    conn = sqlite3.connect(history(tmp_path) / DB)
    stored = conn.execute("SELECT typeof(ZADDRESS) FROM ZCALLRECORD WHERE Z_PK = 5").fetchone()[0]
    conn.close()
    assert stored == "blob"
    run_extract(FolderTree(tmp_path / "ev"), IosCallHistoryParser)
    (got,) = store_rows(case, "SELECT number, has_undecodable_text FROM calls WHERE record_rowid = 5")
    assert got == {"number": "+855965550187", "has_undecodable_text": 0}


def test_an_older_record_without_the_newer_columns(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = tmp_path / "ev" / DB
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute(  # iOS 8-9: no service provider, no call category
        "CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, "
        "ZANSWERED INTEGER, ZCALLTYPE INTEGER, ZORIGINATED INTEGER, ZDATE TIMESTAMP, ZDURATION FLOAT, "
        "ZADDRESS VARCHAR)"
    )
    conn.execute("INSERT INTO ZCALLRECORD VALUES (1, 2, 1, 0, 8, 1, ?, 10.0, 'hr@example.com')", (T0,))
    conn.commit()
    conn.close()
    report = run_extract(FolderTree(tmp_path / "ev"), IosCallHistoryParser)
    assert not report.failed
    (got,) = store_rows(case, "SELECT app, call_type, status, started_at FROM calls")
    assert got == {"app": "FaceTime", "call_type": "video", "status": "dialled",
                   "started_at": "2025-03-07T14:30:00.250000Z"}  # fmt: skip


def test_a_store_without_call_records_is_an_unsupported_schema(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = tmp_path / "ev" / DB
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, ZDATE TIMESTAMP)")
    conn.close()
    report = run_extract(FolderTree(tmp_path / "ev"), IosCallHistoryParser)
    assert report.exhibits[0].parsers["ios.callhistory"].unsupported == 1 and not report.failed
    (source,) = store_rows(case, "SELECT detail FROM sources")
    assert "ZCALLRECORD.ZADDRESS" in source["detail"]

"""ios.sms on sms.db built from the real schema: both date units, attributedBody, groups, deleted, damage."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.parsers.ios.sms import IosSmsParser, mac_time
from samples.encodings import attributed_body
from samples.sqlitebuild import insert
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.ios.dbs import build, mac_ns, mac_s, utc
from tests.parsers.trees import FolderTree, MemoryTree
from tests.parsers.util import store_rows

DB = "private/var/mobile/Library/SMS/sms.db"
SECONDS_2017 = int(mac_s(utc(2017, 6, 2, 2, 15)))
NS = mac_ns(utc(2025, 3, 3, 12, 0, 0, 123456)) + 789  # sub-microsecond digits are floored


def handles() -> list[dict[str, Any]]:
    return [
        {"ROWID": 1, "id": "0812345678", "country": "th", "service": "SMS"},
        {"ROWID": 2, "id": "+959425550188", "country": "mm", "service": "SMS"},
        {"ROWID": 3, "id": "hr@example.com", "country": "us", "service": "iMessage"},
        {"ROWID": 4, "id": "+8613955500178", "country": "cn", "service": "iMessage"},
    ]


def chats() -> list[dict[str, Any]]:
    return [
        {"ROWID": 1, "guid": "SMS;-;0812345678", "style": 45, "chat_identifier": "0812345678",
         "service_name": "SMS", "account_login": "P:+959765550123", "display_name": ""},
        {"ROWID": 2, "guid": "iMessage;+;chat482910", "style": 43, "chat_identifier": "chat482910",
         "service_name": "iMessage", "account_login": "E:", "display_name": "ทีม 团队"},
        {"ROWID": 3, "guid": "SMS;-;+959425550188", "style": 45, "chat_identifier": "+959425550188",
         "service_name": "SMS", "account_login": "P:+959765550123", "display_name": None},
    ]  # fmt: skip


def message(rowid: int, handle: int, me: int, date: int, text: str | None, **extra: Any) -> dict[str, Any]:
    row = {
        "ROWID": rowid,
        "guid": f"GUID-{rowid:04d}",
        "text": text,
        "handle_id": handle,
        "service": "SMS",
        "date": date,
        "is_from_me": me,
        "is_sent": me,
        "is_delivered": 1,
        "is_finished": 1,
    }
    row.update(extra)
    return row


MESSAGES = [
    message(1, 1, 0, SECONDS_2017, "สวัสดีค่ะ", is_read=1),
    message(2, 1, 1, NS, "ok ครับ"),
    message(3, 3, 0, NS + 60 * 10**9, None, service="iMessage",
            attributedBody=attributed_body("会议 at 9 @golden_dawn_hr"), is_read=1),
    message(4, 0, 1, NS + 120 * 10**9, "ได้เลย", service="iMessage", is_read=1),
    message(5, 4, 0, NS + 180 * 10**9, "收到", service="iMessage"),
    message(6, 2, 0, NS + 240 * 10**9, "\ufffc", cache_has_attachments=1, is_read=1),
    message(7, 2, 1, NS + 300 * 10**9, "ဘယ်သူ့ကိုမှ မပြောနဲ့"),
    message(8, 1, 1, NS + 360 * 10**9, "fail", error=4, is_delivered=0, is_sent=0),
    message(9, 1, 0, NS + 420 * 10**9, "123456", subject="OTP"),
    message(10, 0, 1, NS + 480 * 10**9, None, service="iMessage", item_type=2, group_title="ทีมใหม่"),
]  # fmt: skip
CHAT_OF = {1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 3, 8: 1, 9: 1, 10: 2}  # 7 is only in Recently Deleted


def sms_db(
    root: Path,
    messages: list[dict[str, Any]] | None = None,
    *,
    recoverable: bool = True,
    indexes: bool = True,
) -> Path:
    messages = MESSAGES if messages is None else messages
    rows: dict[str, list[dict[str, Any]]] = {
        "handle": handles(),
        "chat": chats(),
        "message": messages,
        "chat_message_join": [
            {"chat_id": CHAT_OF[m["ROWID"]], "message_id": m["ROWID"], "message_date": m["date"]}
            for m in messages
            if m["ROWID"] in CHAT_OF
        ],
        "chat_handle_join": [
            {"chat_id": c, "handle_id": h} for c, h in ((1, 1), (2, 2), (2, 3), (2, 4), (3, 2))
        ],
        "attachment": [
            {
                "ROWID": 1,
                "guid": "at_1",
                "original_guid": "at_1",
                "transfer_name": "IMG_0412.HEIC",
                "mime_type": "image/heic",
                "total_bytes": 1204331,
                "filename": "~/Library/SMS/Attachments/3c/12/at_1/IMG_0412.HEIC",
            },
        ],
        "message_attachment_join": [{"message_id": 6, "attachment_id": 1}],
    }
    if recoverable:
        rows["chat_recoverable_message_join"] = [{"chat_id": 3, "message_id": 7, "delete_date": NS + 10**12}]
    path = build(root / "evidence" / DB, "ios/sms", rows)
    conn = sqlite3.connect(path)
    if not recoverable:
        conn.execute("DROP TABLE chat_recoverable_message_join")
    if not indexes:  # a file without the message_id indexes Messages creates: read without them
        conn.execute("DROP INDEX chat_message_join_idx_message_id_only")
        conn.execute("DROP INDEX IF EXISTS chat_recoverable_message_join_message_id_idx")
    conn.commit()
    conn.close()
    return root / "evidence"


COLUMNS = (
    "record_rowid, app, account, thread_id, thread_name, sender, sender_phone, sender_user_id, recipients, "
    "recipient_phones, direction, status, sent_at, sent_at_raw, body, attachments, is_deleted"
)


def messages(case: FakeCase) -> list[dict[str, Any]]:
    return store_rows(case, f"SELECT {COLUMNS} FROM messages ORDER BY record_rowid")


def row(rowid: int, app: str, thread: str, direction: str, status: str, sent_at: str, raw: int,
        body: str | None, **extra: Any) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {
        "record_rowid": rowid,
        "app": app,
        "account": "P:+959765550123" if thread.startswith("SMS") else None,
        "thread_id": thread,
        "thread_name": "ทีม 团队" if "chat482910" in thread else None,
        "sender": None,
        "sender_phone": None,
        "sender_user_id": None,
        "recipients": "[]",
        "recipient_phones": "[]",
        "direction": direction,
        "status": status,
        "sent_at": sent_at,
        "sent_at_raw": raw,
        "body": body,
        "attachments": "[]",
        "is_deleted": 0,
    }
    out.update(extra)
    return out


THAI, GROUP, BURMESE = "SMS;-;0812345678", "iMessage;+;chat482910", "SMS;-;+959425550188"
GROUP_ALL = '["+959425550188","hr@example.com","+8613955500178"]'
GROUP_PHONES = '["+959425550188","+8613955500178"]'
EXPECTED = [
    row(1, "SMS", THAI, "incoming", "read", "2017-06-02T02:15:00.000000Z", SECONDS_2017, "สวัสดีค่ะ",
        sender="0812345678", sender_phone="+66812345678"),
    row(2, "SMS", THAI, "outgoing", "delivered", "2025-03-03T12:00:00.123456Z", NS, "ok ครับ",
        recipients='["0812345678"]', recipient_phones='["+66812345678"]'),
    row(3, "iMessage", GROUP, "incoming", "read", "2025-03-03T12:01:00.123456Z", NS + 60 * 10**9,
        "会议 at 9 @golden_dawn_hr", sender="hr@example.com", sender_user_id="hr@example.com",
        recipients=GROUP_PHONES, recipient_phones=GROUP_PHONES),
    row(4, "iMessage", GROUP, "outgoing", "read", "2025-03-03T12:02:00.123456Z", NS + 120 * 10**9, "ได้เลย",
        recipients=GROUP_ALL, recipient_phones=GROUP_PHONES),
    row(5, "iMessage", GROUP, "incoming", "unread", "2025-03-03T12:03:00.123456Z", NS + 180 * 10**9, "收到",
        sender="+8613955500178", sender_phone="+8613955500178",
        recipients='["+959425550188","hr@example.com"]', recipient_phones='["+959425550188"]'),
    row(6, "SMS", BURMESE, "incoming", "read", "2025-03-03T12:04:00.123456Z", NS + 240 * 10**9, None,
        sender="+959425550188", sender_phone="+959425550188",
        attachments='[{"name":"IMG_0412.HEIC","mime_type":"image/heic",'
        '"path":"~/Library/SMS/Attachments/3c/12/at_1/IMG_0412.HEIC","size":1204331}]'),
    row(7, "SMS", BURMESE, "outgoing", "delivered", "2025-03-03T12:05:00.123456Z", NS + 300 * 10**9,
        "ဘယ်သူ့ကိုမှ မပြောနဲ့", recipients='["+959425550188"]', recipient_phones='["+959425550188"]',
        is_deleted=1),
    row(8, "SMS", THAI, "outgoing", "failed (error 4)", "2025-03-03T12:06:00.123456Z", NS + 360 * 10**9,
        "fail", recipients='["0812345678"]', recipient_phones='["+66812345678"]'),
    row(9, "SMS", THAI, "incoming", "unread", "2025-03-03T12:07:00.123456Z", NS + 420 * 10**9,
        "Subject: OTP\n123456", sender="0812345678", sender_phone="+66812345678"),
    row(10, "iMessage", GROUP, "outgoing", "event (item_type 2)", "2025-03-03T12:08:00.123456Z",
        NS + 480 * 10**9, "ทีมใหม่", recipients=GROUP_ALL, recipient_phones=GROUP_PHONES),
]  # fmt: skip


@pytest.mark.parametrize(("jobs", "indexes"), [(0, True), (2, True), (0, False)])
def test_every_message_exactly(
    tmp_path: Path, case: FakeCase, run_extract: Runner, jobs: int, indexes: bool
) -> None:
    report = run_extract(FolderTree(sms_db(tmp_path, indexes=indexes)), IosSmsParser, jobs=jobs)
    assert not report.failed, report.exhibits[0].problems
    got = messages(case)
    for expected, actual in zip(EXPECTED, got, strict=True):
        assert actual == expected
    (source,) = store_rows(case, "SELECT status, schema, records FROM sources")
    assert (source["status"], source["schema"], source["records"]) == ("parsed", "recently-deleted", 10)


def test_correlation_identifiers(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    run_extract(FolderTree(sms_db(tmp_path)), IosSmsParser)
    ids = store_rows(
        case, "SELECT value, role, type, count(*) AS n FROM identifiers GROUP BY 1, 2, 3 ORDER BY 1, 2"
    )
    assert {"value": "+66812345678", "role": "sender", "type": "phone", "n": 2} in ids
    assert {"value": "+66812345678", "role": "recipient", "type": "phone", "n": 2} in ids
    assert {"value": "hr@example.com", "role": "sender", "type": "user_id", "n": 1} in ids


def test_layout_without_recently_deleted(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    kept = [m for m in MESSAGES if m["ROWID"] != 7]
    report = run_extract(FolderTree(sms_db(tmp_path, kept, recoverable=False)), IosSmsParser)
    assert not report.failed
    (source,) = store_rows(case, "SELECT schema, records FROM sources")
    assert source == {"schema": "messages", "records": 9}
    assert [r for r in messages(case)] == [r for r in EXPECTED if r["record_rowid"] != 7]


def test_both_date_units_decided_per_value() -> None:
    assert mac_time(500_000_000) == mac_time(500_000_000 * 10**9)  # 2016-11-05T00:53:20Z in s and in ns
    assert str(mac_time(500_000_000)) == "2016-11-05 00:53:20+00:00"
    assert mac_time(0) is None and mac_time(None) is None


NOT_ATTRIBUTED = b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x05Other\x00\x85"


def test_undecodable_attributed_body_is_kept_without_text_and_warned(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    broken = [
        message(1, 1, 0, NS, None, attributedBody=NOT_ATTRIBUTED),
        message(2, 1, 0, NS + 10**9, None, attributedBody=attributed_body("ยังอ่านได้")),
        message(3, 1, 0, NS + 2 * 10**9, "plain"),
    ]
    report = run_extract(FolderTree(sms_db(tmp_path, broken)), IosSmsParser)
    assert not report.failed and report.exhibits[0].parsers["ios.sms"].warnings == 1
    got = {r["record_rowid"]: r["body"] for r in messages(case)}
    assert got == {1: None, 2: "ยังอ่านได้", 3: "plain"}
    (warning,) = store_rows(case, "SELECT severity, error, record_table, record_rowid FROM extraction_errors")
    assert (warning["severity"], warning["record_table"], warning["record_rowid"]) == (
        "warning",
        "message",
        1,
    )
    assert "attributedBody not decoded" in warning["error"] and "not an attributed string" in warning["error"]


def test_missing_columns_are_an_unsupported_schema_naming_the_tables(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = tmp_path / "ev" / DB
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT, date INTEGER);"
        "CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT);"
    )
    conn.close()
    report = run_extract(FolderTree(tmp_path / "ev"), IosSmsParser)
    assert not report.failed and report.exhibits[0].parsers["ios.sms"].unsupported == 1
    (source,) = store_rows(case, "SELECT status, detail FROM sources")
    assert source["status"] == "unsupported schema"
    assert "tables seen: handle, message" in source["detail"] and "message.is_from_me" in source["detail"]


def test_not_sqlite_is_an_error(case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(MemoryTree({"/" + DB: os.urandom(4096)}), IosSmsParser)
    assert report.failed
    (source,) = store_rows(case, "SELECT status, detail FROM sources")
    assert source["status"] == "error" and "is not a SQLite database" in source["detail"]


def test_truncated_database_keeps_what_it_can(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    evidence = sms_db(tmp_path, [])
    conn = sqlite3.connect(evidence / DB)
    for i in range(1, 3001):  # as the phone writes them: each message with its join row
        insert(conn, "message", [message(i, 1, i % 2, NS + i * 10**9, f"ข้อความ {i} " + "x" * 300)])
        insert(conn, "chat_message_join", [{"chat_id": 1, "message_id": i, "message_date": NS}])
    conn.commit()
    conn.close()
    data = (evidence / DB).read_bytes()
    report = run_extract(MemoryTree({"/" + DB: data[: len(data) * 6 // 10]}), IosSmsParser)
    assert report.failed
    (source,) = store_rows(case, "SELECT status, records, detail FROM sources")
    assert source["status"] == "error" and 0 < source["records"] < 3000, source
    assert "malformed" in source["detail"]


def test_odd_values(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    before_1900 = -9_000_000_000_000_000_000  # nanoseconds: 1715
    odd = [
        message(1, 1, 0, before_1900, "too early"),
        message(2, 1, 0, 0, "no date"),
        message(3, 99, 0, NS, "its handle row is gone"),
        message(4, 1, 0, NS, "x" * 5_000_000),
    ]
    evidence = sms_db(tmp_path, odd)
    conn = sqlite3.connect(evidence / DB)
    conn.execute("UPDATE message SET text = CAST(? AS TEXT) WHERE ROWID = 2", ("ไม่".encode() + b"\xff",))
    conn.commit()
    conn.close()
    report = run_extract(FolderTree(evidence), IosSmsParser)
    assert not report.failed
    got = messages(case)
    assert [r["sent_at"] for r in got[:3]] == [None, None, "2025-03-03T12:00:00.123456Z"]
    assert got[0]["sent_at_raw"] == before_1900
    assert got[1]["body"] == "ไม่\ufffd"
    assert got[2]["sender"] is None and got[2]["direction"] == "incoming"
    assert len(got[3]["body"]) == 5_000_000
    warnings = [r["error"] for r in store_rows(case, "SELECT error FROM extraction_errors")]
    assert any("out of range" in w for w in warnings) and any("not valid UTF-8" in w for w in warnings)
    assert json.loads(got[0]["recipients"]) == []


def test_invalid_utf8_in_a_subject_stays_flagged_in_the_composed_body(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    raw = b"\xe0\xb8\xaa\xffA"  # a Thai letter, a byte that is never UTF-8, then A
    rows = [
        # text only in attributedBody: the typed path composes the body
        message(1, 1, 0, NS, None, attributedBody=attributed_body("ยังอ่านได้")),
        # plain text: the bulk query composes it in SQL, with the same raw bytes
        message(2, 1, 0, NS + 10**9, "plain"),
    ]
    evidence = sms_db(tmp_path, rows)
    conn = sqlite3.connect(evidence / DB)
    conn.execute("UPDATE message SET subject = CAST(? AS TEXT)", (raw,))
    conn.commit()
    conn.close()
    report = run_extract(FolderTree(evidence), IosSmsParser)
    assert not report.failed
    got = store_rows(
        case, "SELECT record_rowid, body, has_undecodable_text FROM messages ORDER BY record_rowid"
    )
    assert [(r["record_rowid"], r["body"], r["has_undecodable_text"]) for r in got] == [
        (1, "Subject: ส\ufffdA\nยังอ่านได้", 1),
        (2, "Subject: ส\ufffdA\nplain", 1),
    ]
    kept = store_rows(
        case, "SELECT record_rowid, column_name, raw FROM undecodable_text ORDER BY record_rowid"
    )
    assert [(k["record_rowid"], k["column_name"], k["raw"]) for k in kept] == [
        (1, "body", b"Subject: " + raw + "\nยังอ่านได้".encode()),
        (2, "body", b"Subject: " + raw + b"\nplain"),
    ]

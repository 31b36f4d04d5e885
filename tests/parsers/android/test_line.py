"""android.line on naver_line: group and 1:1 chats, names (and their absence), media, locations,
call rows, times stored as text or as numbers, and damaged input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from evidence_intake.parsers.android.line import LineParser
from tests.parsers.android.chatdb import build, errors, rows, set_raw_text, sources, truncated
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree, MemoryTree
from tests.parsers.util import store_rows

# The store's columns for how long a call lasted, in seconds and as LINE stored it (data, not timing).
CALL_LENGTH, AS_STORED = "duration_s", "duration_raw"

DB = "data/data/jp.naver.line.android/databases/naver_line"
SCHEMA = "android/line_naver_line"
GROUP = "c9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
SOMCHAI = "u7a2b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"
PRANEE = "u3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"
STRANGER = "u0000000000000000000000000000beef"
T = 1_741_264_800_000  # 2025-03-06T12:40:00Z
TRON = "TL1T4ekNMJUDkVLu2xQYTEGTcBhCf3C8PH"


def line(
    n: int, chat: str, sender: str | None, when: object, status: int, text: str | None, **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": n,
        "server_id": str(510_000_000_000 + n),
        "type": 1,
        "chat_id": chat,
        "from_mid": sender,
        "content": text,
        "created_time": str(when) if isinstance(when, int) else when,
        "delivered_time": "0",
        "status": status,
        "attachement_type": 0,
    }
    row.update(extra)
    return row


def data() -> dict[str, list[dict[str, Any]]]:
    return {
        "contacts": [
            {
                "m_id": SOMCHAI,
                "name": "Somchai การเงิน",
                "server_name": "Somchai R.",
                "status_msg": "เงินเข้าแล้ว",
            },
            {"m_id": PRANEE, "server_name": "Pranee 🌸", "custom_name": "ปราณี ลูกค้า"},
        ],
        "groups": [{"id": GROUP, "name": "การเงิน 财务"}],
        "chat": [
            {"chat_id": GROUP, "chat_name": None, "type": 3},
            {"chat_id": PRANEE, "chat_name": None, "type": 1},
        ],
        "chat_history": [
            line(1, GROUP, SOMCHAI, T, 1, f"โอน USDT เข้ากระเป๋านี้นะครับ {TRON}"),
            line(2, GROUP, None, T + 300_000, 2, "รับทราบ บัญชีม้าใหม่ KBank 123-4-55501-2"),
            line(
                3,
                GROUP,
                SOMCHAI,
                T + 420_000,
                1,
                None,
                attachement_type=1,
                attachement_image=1,
                attachement_image_size=4096,
                attachement_local_uri="/storage/emulated/0/Android/data/jp.naver.line.android/storage/mo/3",
            ),
            line(4, PRANEE, None, T + 480_000, 3, "ลงทุนขั้นต่ำ 10,000 บาท"),
            line(5, GROUP, STRANGER, T + 540_000, 1, "ใครเพิ่มผมเข้ากลุ่ม"),
            line(
                6,
                PRANEE,
                PRANEE,
                T + 600_000,
                1,
                None,
                attachement_type=6,
                parameter="CALL_TYPE\tVIDEO\tRESULT\tCANCELED\tDURATION\t65000",
            ),
            line(7, PRANEE, None, T + 660_000, 2, None, attachement_type=6),
            line(
                8,
                PRANEE,
                PRANEE,
                T + 720_000,
                1,
                "เจอกันที่นี่",
                attachement_type=15,
                location_name="แม่สอด",
                location_latitude=16_698_700,
                location_longitude=98_506_600,
            ),
            line(9, PRANEE, PRANEE, T + 780_000, 1, "ok"),
            line(10, PRANEE, PRANEE, "not a time", 1, "odd time"),
            line(11, PRANEE, PRANEE, T + 840_000, 5, "odd status"),
        ],
    }


def evidence(tmp_path: Path, content: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    root = tmp_path / "evidence"
    build(root / DB, SCHEMA, data() if content is None else content)
    return root


COLUMNS = (
    "record_rowid",
    "thread_id",
    "thread_name",
    "direction",
    "sender",
    "sender_user_id",
    "sender_name",
    "recipients",
    "status",
    "sent_at",
    "sent_at_raw",
    "body",
)


def test_messages_exact_rows(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(FolderTree(evidence(tmp_path)), LineParser)
    assert not report.failed, report.exhibits[0].problems
    team = "การเงิน 财务"
    assert rows(case, "messages", COLUMNS) == [
        (
            1,
            GROUP,
            team,
            "incoming",
            SOMCHAI,
            SOMCHAI,
            "Somchai การเงิน",
            "[]",
            "received",
            "2025-03-06T12:40:00.000000Z",
            str(T),
            f"โอน USDT เข้ากระเป๋านี้นะครับ {TRON}",
        ),
        (
            2,
            GROUP,
            team,
            "outgoing",
            None,
            None,
            None,
            f'["{GROUP}"]',
            "sent",
            "2025-03-06T12:45:00.000000Z",
            str(T + 300_000),
            "รับทราบ บัญชีม้าใหม่ KBank 123-4-55501-2",
        ),
        (
            3,
            GROUP,
            team,
            "incoming",
            SOMCHAI,
            SOMCHAI,
            "Somchai การเงิน",
            "[]",
            "received",
            "2025-03-06T12:47:00.000000Z",
            str(T + 420_000),
            None,
        ),
        (
            4,
            PRANEE,
            None,
            "outgoing",
            None,
            None,
            None,
            f'["{PRANEE}"]',
            "status 3",
            "2025-03-06T12:48:00.000000Z",
            str(T + 480_000),
            "ลงทุนขั้นต่ำ 10,000 บาท",
        ),
        # a sender LINE has no contact row for: the mid stands in for the name
        (
            5,
            GROUP,
            team,
            "incoming",
            STRANGER,
            STRANGER,
            STRANGER,
            "[]",
            "received",
            "2025-03-06T12:49:00.000000Z",
            str(T + 540_000),
            "ใครเพิ่มผมเข้ากลุ่ม",
        ),
        (
            8,
            PRANEE,
            None,
            "incoming",
            PRANEE,
            PRANEE,
            "ปราณี ลูกค้า",
            "[]",
            "received",
            "2025-03-06T12:52:00.000000Z",
            str(T + 720_000),
            "Location: 16.698700, 98.506600 (แม่สอด)\nเจอกันที่นี่",
        ),
        (
            9,
            PRANEE,
            None,
            "incoming",
            PRANEE,
            PRANEE,
            "ปราณี ลูกค้า",
            "[]",
            "received",
            "2025-03-06T12:53:00.000000Z",
            str(T + 780_000),
            "ok",
        ),
        (
            10,
            PRANEE,
            None,
            "incoming",
            PRANEE,
            PRANEE,
            "ปราณี ลูกค้า",
            "[]",
            "received",
            None,
            "not a time",
            "odd time",
        ),
        # a status code nobody has decoded, but a sender mid: only incoming rows carry one
        (
            11,
            PRANEE,
            None,
            "incoming",
            PRANEE,
            PRANEE,
            "ปราณี ลูกค้า",
            "[]",
            "status 5",
            "2025-03-06T12:54:00.000000Z",
            str(T + 840_000),
            "odd status",
        ),
    ]
    media = {r[0]: json.loads(r[1]) for r in rows(case, "messages", ("record_rowid", "attachments"))}
    assert media[3] == [
        {
            "name": None,
            "mime_type": "image/*",
            "path": "/storage/emulated/0/Android/data/jp.naver.line.android/storage/mo/3",
            "size": 4096,
        }
    ]
    assert all(v == [] for k, v in media.items() if k != 3)
    (warning,) = errors(case, "warning")  # the text that is not a time is flagged, its raw value kept
    assert (
        "1 messages have a sent_at that is out of range or not a number" in warning
        and "chat_history#10" in warning
    )


def test_call_rows_become_calls(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    run_extract(FolderTree(evidence(tmp_path)), LineParser)
    assert rows(
        case,
        "calls",
        (
            "record_rowid",
            "app",
            "number",
            "number_e164",
            "name",
            "direction",
            "status",
            "call_type",
            "started_at",
            "started_at_raw",
            "duration_s",
        ),
    ) == [
        (
            6,
            "LINE",
            PRANEE,
            None,
            "ปราณี ลูกค้า",
            "incoming",
            "canceled",
            "video",
            "2025-03-06T12:50:00.000000Z",
            str(T + 600_000),
            65,
        ),
        (
            7,
            "LINE",
            PRANEE,
            None,
            "ปราณี ลูกค้า",
            "outgoing",
            None,
            None,
            "2025-03-06T12:51:00.000000Z",
            str(T + 660_000),
            None,
        ),
    ]


def test_call_duration_is_kept_as_stored_beside_the_seconds(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    content = data()
    content["chat_history"] += [
        line(12, PRANEE, PRANEE, T + 900_000, 1, None, attachement_type=6,
             parameter="CALL_TYPE\tAUDIO\tRESULT\tNORMAL\tDURATION\t125400"),
        line(13, PRANEE, None, T + 960_000, 2, None, attachement_type=6,
             parameter="CALL_TYPE\tAUDIO\tDURATION\t2m05s"),
    ]  # fmt: skip
    run_extract(FolderTree(evidence(tmp_path, content)), LineParser)
    # DURATION is read as milliseconds; the text LINE stored stays beside it, so the unit can be checked
    assert rows(case, "calls", ("record_rowid", CALL_LENGTH, AS_STORED)) == [
        (6, 65, "65000"),
        (7, None, None),  # no parameter at all
        (12, 125, "125400"),
        (13, None, "2m05s"),  # not a number of milliseconds: not converted, still kept
    ]


def test_contacts_and_the_mid_as_handle(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    run_extract(FolderTree(evidence(tmp_path)), LineParser)
    got = rows(case, "contacts", ("app", "name", "handles", "notes"))
    assert [(a, n, json.loads(h), o) for a, n, h, o in got] == [
        (
            "LINE",
            "Somchai การเงิน",
            [{"app": "LINE", "user_id": SOMCHAI, "username": None}],
            "Status message: เงินเข้าแล้ว",
        ),
        ("LINE", "ปราณี ลูกค้า", [{"app": "LINE", "user_id": PRANEE, "username": None}], None),
    ]
    linked = store_rows(
        case, "SELECT DISTINCT kind, role FROM identifiers WHERE value = ? ORDER BY 1", (PRANEE,)
    )
    assert [(r["kind"], r["role"]) for r in linked] == [("contacts", "handle"), ("messages", "sender")]


def test_empty_contacts_and_groups_fall_back_to_the_mid(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    """ALEAPP saw contacts and membership empty on Android 14 while chat_history was full."""
    content = data()
    content["contacts"], content["groups"], content["chat"] = [], [], []
    run_extract(FolderTree(evidence(tmp_path, content)), LineParser)
    got = rows(case, "messages", ("thread_name", "sender_name"), "record_rowid IN (1, 9)")
    assert got == [(None, SOMCHAI), (None, PRANEE)]
    assert rows(case, "contacts", ("id",)) == []


def test_database_with_only_chat_history_and_numeric_times(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = tmp_path / "evidence"
    sql = """CREATE TABLE chat_history (id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id TEXT, from_mid TEXT,
      content TEXT, created_time INTEGER, status INTEGER, attachement_type INTEGER);"""
    row = {"id": 1, "chat_id": PRANEE, "from_mid": PRANEE, "content": "hi", "created_time": T, "status": 1}
    build(root / DB, sql, {"chat_history": [row]})
    report = run_extract(FolderTree(root), LineParser)
    assert not report.failed
    assert rows(case, "messages", ("sender_name", "body", "attachments", "sent_at", "sent_at_raw")) == [
        (PRANEE, "hi", "[]", "2025-03-06T12:40:00.000000Z", T)  # a time stored as a number, not as text
    ]


def test_missing_columns_are_an_unsupported_schema(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = tmp_path / "evidence"
    build(root / DB, "CREATE TABLE chat_history (id INTEGER PRIMARY KEY, chat_id TEXT, content TEXT);", {})
    report = run_extract(FolderTree(root), LineParser)
    assert not report.failed and report.exhibits[0].parsers["android.line"].unsupported == 1
    (source,) = sources(case)
    assert source["status"] == "unsupported schema" and "tables seen: chat_history" in str(source["detail"])
    assert "chat_history.created_time" in str(source["detail"])


def test_invalid_utf8_is_replaced_flagged_and_kept(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = evidence(tmp_path)
    raw = "โอน".encode() + b"\xc3\x28" + "เงิน".encode()
    set_raw_text(root / DB, "chat_history", "content", 2, raw)
    run_extract(FolderTree(root), LineParser)
    assert rows(case, "messages", ("body", "has_undecodable_text"), "record_rowid = 2") == [
        ("โอน\ufffd(เงิน", 1)
    ]
    (kept,) = store_rows(case, "SELECT raw, column_name FROM undecodable_text")
    assert (kept["raw"], kept["column_name"]) == (raw, "body")


def test_truncated_database_keeps_the_rows_before_the_cut(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    content = data()
    content["chat_history"] = [
        line(i, GROUP, SOMCHAI, T + i, 1, f"ข้อความ {i} " + "y" * 200) for i in range(1, 3001)
    ]
    path = build(tmp_path / "full.db", SCHEMA, content)
    run_extract(MemoryTree({"/" + DB: truncated(path.read_bytes())}), LineParser)
    got = store_rows(case, "SELECT status, records, detail FROM sources")
    assert got[0]["status"] == "error" and 0 < int(got[0]["records"]) < 3000, got


def test_invalid_utf8_in_a_contact_name_stays_flagged_in_the_calls(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = evidence(tmp_path)
    raw = "ปราณี".encode() + b"\xff"
    conn = sqlite3.connect(root / DB)
    conn.execute("UPDATE contacts SET custom_name = CAST(? AS TEXT) WHERE m_id = ?", (raw, PRANEE))
    conn.commit()
    conn.close()
    report = run_extract(FolderTree(root), LineParser)
    assert not report.failed
    assert rows(case, "calls", ("record_rowid", "name", "has_undecodable_text")) == [
        (6, "ปราณี\ufffd", 1),
        (7, "ปราณี\ufffd", 1),
    ]
    kept = store_rows(
        case, "SELECT record_rowid, column_name, raw FROM undecodable_text WHERE kind = 'calls' ORDER BY id"
    )
    assert [(k["record_rowid"], k["column_name"], k["raw"]) for k in kept] == [
        (6, "name", raw),
        (7, "name", raw),
    ]

"""android.whatsapp on the current msgstore.db (jid_map, groups, media, revoked, system, calls), the
legacy one, and a database of the migration with both tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evidence_intake.parsers.android.whatsapp import WhatsAppParser
from tests.parsers.android.chatdb import build, rows, sources
from tests.parsers.android.whatsapp_legacy_schema import LEGACY_SQL
from tests.parsers.android.whatsapp_rows import DB, SCHEMA, T, current_rows, evidence, jid_rows
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree
from tests.parsers.util import store_rows

MESSAGE_COLUMNS = (
    "record_rowid",
    "thread_id",
    "thread_name",
    "direction",
    "sender",
    "sender_phone",
    "sender_user_id",
    "recipients",
    "recipient_phones",
    "status",
    "sent_at",
    "received_at",
    "body",
    "is_deleted",
)


def test_current_layout_exact_rows(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(FolderTree(evidence(tmp_path)), WhatsAppParser)
    assert not report.failed, report.exhibits[0].problems
    lid, wang, liu = "203944150871257@lid", "+855965550187", "8613955500178@s.whatsapp.net"
    group = "120363025555018@g.us"
    team = "ทีมขาย Team A 销售组"
    assert rows(case, "messages", MESSAGE_COLUMNS) == [
        (
            1,
            lid,
            None,
            "incoming",
            lid,
            wang,
            lid,
            "[]",
            "[]",
            "received",
            "2025-03-06T13:01:00.000000Z",
            "2025-03-06T13:01:00.900000Z",
            "new USDT address 不要用旧的",
            0,
        ),
        (
            2,
            lid,
            None,
            "outgoing",
            None,
            None,
            None,
            f'["{lid}"]',
            f'["{wang}"]',
            "read",
            "2025-03-06T13:02:00.000000Z",
            None,
            "明白老板",
            0,
        ),
        (
            3,
            lid,
            None,
            "incoming",
            lid,
            wang,
            lid,
            "[]",
            "[]",
            "received",
            "2025-03-06T13:03:00.000000Z",
            "2025-03-06T13:03:00.900000Z",
            None,
            0,
        ),
        (
            4,
            lid,
            None,
            "incoming",
            lid,
            wang,
            lid,
            "[]",
            "[]",
            "deleted for everyone",
            "2025-03-06T13:04:00.000000Z",
            "2025-03-06T13:04:00.900000Z",
            None,
            1,
        ),
        (
            5,
            group,
            team,
            "incoming",
            "959425550188@s.whatsapp.net",
            "+959425550188",
            "959425550188@s.whatsapp.net",
            "[]",
            "[]",
            "received",
            "2025-03-06T13:05:00.000000Z",
            "2025-03-06T13:05:00.900000Z",
            "ဒီနေ့ customer ၁၀ ယောက်",
            0,
        ),
        (
            6,
            group,
            team,
            "incoming",
            "111222333444555@lid",
            None,
            "111222333444555@lid",
            "[]",
            "[]",
            "received",
            "2025-03-06T13:06:00.000000Z",
            "2025-03-06T13:06:00.900000Z",
            "who is this?",
            0,
        ),
        (
            7,
            group,
            team,
            "incoming",
            liu,
            "+8613955500178",
            liu,
            "[]",
            "[]",
            "system: group name changed",
            "2025-03-06T13:07:00.000000Z",
            "2025-03-06T13:07:00.900000Z",
            "ทีมขาย Team B",
            0,
        ),
        (
            8,
            liu,
            None,
            "incoming",
            liu,
            "+8613955500178",
            liu,
            "[]",
            "[]",
            "received",
            "2025-03-06T13:08:00.000000Z",
            "2025-03-06T13:08:00.900000Z",
            "Location: 16.698700, 98.506600 (Myawaddy)",
            0,
        ),
        (
            9,
            liu,
            None,
            "outgoing",
            None,
            None,
            None,
            f'["{liu}"]',
            '["+8613955500178"]',
            "delivered",
            "2025-03-06T13:09:00.000000Z",
            None,
            "สัญญา contract",
            0,
        ),
        (
            10,
            liu,
            None,
            "incoming",
            liu,
            "+8613955500178",
            liu,
            "[]",
            "[]",
            "status 99",
            "2025-03-06T13:10:00.000000Z",
            None,
            "odd status",
            0,
        ),
    ]
    media = {r[0]: json.loads(r[1]) for r in rows(case, "messages", ("record_rowid", "attachments"))}
    assert media[3] == [
        {"name": None, "mime_type": "image/jpeg", "path": "Media/WhatsApp Images/IMG-1.jpg", "size": 183244}
    ]
    assert media[9] == [
        {
            "name": "contract.pdf",
            "mime_type": "application/pdf",
            "path": "Media/WhatsApp Documents/contract.pdf",
            "size": 96410,
        }
    ]
    assert all(v == [] for k, v in media.items() if k not in (3, 9))
    assert {r[0] for r in rows(case, "messages", ("app", "record_table"))} == {"WhatsApp"}
    assert rows(case, "messages", ("received_at_raw",), "record_rowid = 10") == [(0,)]


def test_calls_resolve_privacy_ids_and_map_results(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    run_extract(FolderTree(evidence(tmp_path)), WhatsAppParser)
    assert rows(
        case,
        "calls",
        (
            "record_rowid",
            "app",
            "number",
            "number_e164",
            "direction",
            "status",
            "call_type",
            "started_at",
            "started_at_raw",
            "duration_s",
        ),
    ) == [
        (
            1,
            "WhatsApp",
            "+855965550187",
            "+855965550187",
            "incoming",
            "answered",
            "voice",
            "2025-03-06T13:00:00.000000Z",
            T - 60_000,
            241,
        ),
        (
            2,
            "WhatsApp",
            "+8613955500178",
            "+8613955500178",
            "incoming",
            "missed",
            "video",
            "2025-03-06T13:01:00.000000Z",
            T,
            0,
        ),
        (
            3,
            "WhatsApp",
            "+8613955500178",
            "+8613955500178",
            "outgoing",
            "cancelled",
            "voice",
            "2025-03-06T13:01:01.000000Z",
            T + 1000,
            0,
        ),
        (
            4,
            "WhatsApp",
            "111222333444555@lid",
            None,
            "outgoing",
            "not answered",
            "voice",
            "2025-03-06T13:01:02.000000Z",
            T + 2000,
            0,
        ),
        (
            5,
            "WhatsApp",
            "+855965550187",
            "+855965550187",
            "outgoing",
            "result 9",
            "voice",
            "2025-03-06T13:01:03.000000Z",
            T + 3000,
            5,
        ),
    ]


def test_identifiers_link_the_privacy_id_and_the_number(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    run_extract(FolderTree(evidence(tmp_path)), WhatsAppParser)

    def where(value: str) -> set[tuple[str, str, str]]:
        found = store_rows(case, "SELECT kind, role, type FROM identifiers WHERE value = ?", (value,))
        return {(r["kind"], r["role"], r["type"]) for r in found}

    assert where("+855965550187") == {
        ("messages", "sender", "phone"),
        ("messages", "recipient", "phone"),
        ("calls", "number", "phone"),
    }
    assert where("203944150871257@lid") == {("messages", "sender", "user_id")}


def test_business_app_is_named(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    root = tmp_path / "evidence"
    build(root / DB.replace("com.whatsapp/", "com.whatsapp.w4b/"), SCHEMA, current_rows())
    run_extract(FolderTree(root), WhatsAppParser)
    assert {r[0] for r in rows(case, "messages", ("app",))} == {"WhatsApp Business"}
    assert {r[0] for r in rows(case, "calls", ("app",))} == {"WhatsApp Business"}


def legacy_rows() -> dict[str, list[dict[str, Any]]]:
    def m(n: int, jid: str, from_me: int, when: int, **extra: Any) -> dict[str, Any]:
        row: dict[str, Any] = {
            "_id": n,
            "key_remote_jid": jid,
            "key_from_me": from_me,
            "key_id": f"K{n}",
            "status": 13 if from_me else 0,
            "timestamp": when,
            "received_timestamp": when + (0 if from_me else 700),
            "media_wa_type": "0",
        }
        row.update(extra)
        return row

    pranee, group = "66815550199@s.whatsapp.net", "66925550143-1546300800@g.us"
    return {
        "messages": [
            m(1, "-1", 0, 0, status=-1),  # the table's placeholder row
            m(2, pranee, 0, T, data="โอนเงินแล้วนะคะ"),
            m(3, pranee, 1, T + 1000, data="ขอบคุณครับ"),
            m(
                4,
                group,
                0,
                T + 2000,
                remote_resource="959425550188@s.whatsapp.net",
                media_wa_type="1",
                media_mime_type="image/jpeg",
                media_name="IMG-2.jpg",
                media_size=5120,
                media_caption="ดูนี่",
            ),
            m(5, group, 0, T + 3000, remote_resource="8613955500178@s.whatsapp.net", status=6, media_size=4),
            m(6, pranee, 0, T + 4000, edit_version=7),
            m(7, pranee, 0, T + 5000, media_wa_type="5", latitude=13.7563, longitude=100.5018),
        ],
        "chat_list": [{"key_remote_jid": group, "subject": "การเงิน"}],
        "message_system": [{"message_row_id": 5, "action_type": 4}],
    }


def test_legacy_layout_exact_rows(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(FolderTree(evidence(tmp_path, LEGACY_SQL, legacy_rows())), WhatsAppParser)
    assert not report.failed, report.exhibits[0].problems
    (source,) = sources(case)
    assert (source["status"], source["schema"], source["records"]) == ("parsed", "legacy", 6)
    pranee = "66815550199@s.whatsapp.net"
    columns = (
        "record_rowid",
        "record_table",
        "thread_name",
        "direction",
        "sender",
        "sender_phone",
        "recipient_phones",
        "status",
        "sent_at",
        "body",
        "attachments",
        "is_deleted",
    )
    assert rows(case, "messages", columns) == [
        (
            2,
            "messages",
            None,
            "incoming",
            pranee,
            "+66815550199",
            "[]",
            "received",
            "2025-03-06T13:01:00.000000Z",
            "โอนเงินแล้วนะคะ",
            "[]",
            0,
        ),
        (
            3,
            "messages",
            None,
            "outgoing",
            None,
            None,
            '["+66815550199"]',
            "read",
            "2025-03-06T13:01:01.000000Z",
            "ขอบคุณครับ",
            "[]",
            0,
        ),
        (
            4,
            "messages",
            "การเงิน",
            "incoming",
            "959425550188@s.whatsapp.net",
            "+959425550188",
            "[]",
            "received",
            "2025-03-06T13:01:02.000000Z",
            "ดูนี่",
            '[{"name":"IMG-2.jpg","mime_type":"image/jpeg","path":null,"size":5120}]',
            0,
        ),
        (
            5,
            "messages",
            "การเงิน",
            "incoming",
            "8613955500178@s.whatsapp.net",
            "+8613955500178",
            "[]",
            "system: participant added",
            "2025-03-06T13:01:03.000000Z",
            None,
            "[]",
            0,
        ),
        (
            6,
            "messages",
            None,
            "incoming",
            pranee,
            "+66815550199",
            "[]",
            "deleted for everyone",
            "2025-03-06T13:01:04.000000Z",
            None,
            "[]",
            1,
        ),
        (
            7,
            "messages",
            None,
            "incoming",
            pranee,
            "+66815550199",
            "[]",
            "received",
            "2025-03-06T13:01:05.000000Z",
            "Location: 13.756300, 100.501800",
            "[]",
            0,
        ),
    ]
    assert rows(case, "calls", ("record_rowid",)) == []  # this legacy database has no call_log


def test_migration_database_reads_both_tables(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    """WhatsApp 2.21 keeps the legacy messages table beside the new message table: neither is dropped."""
    from samples.sqlitebuild import schema

    data = current_rows()
    data.update({k: v for k, v in legacy_rows().items() if k == "messages"})
    # the legacy group's name is in the new chat table, found through jid.raw_string
    data["jid"].append(
        {
            "_id": 8,
            "user": "66925550143-1546300800",
            "server": "g.us",
            "agent": 0,
            "device": 0,
            "type": 1,
            "raw_string": "66925550143-1546300800@g.us",
        }
    )
    data["chat"].append({"_id": 4, "jid_row_id": 8, "subject": "การเงิน"})
    sql = schema(SCHEMA) + "\n" + LEGACY_SQL.split("CREATE TABLE chat_list")[0]
    run_extract(FolderTree(evidence(tmp_path, sql, data)), WhatsAppParser)
    (source,) = sources(case)
    assert source["schema"] == "current" and source["records"] == 10 + 6 + 5
    tables = store_rows(
        case, "SELECT record_table, count(*) AS n FROM messages GROUP BY record_table ORDER BY 1"
    )
    assert [(t["record_table"], t["n"]) for t in tables] == [("message", 10), ("messages", 6)]
    assert rows(
        case, "messages", ("thread_name", "sender_phone"), "record_table = 'messages' AND record_rowid = 4"
    ) == [("การเงิน", "+959425550188")]


def test_database_without_optional_tables(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    """An older current-layout database: no jid_map, no message_media, no call_log."""
    root = tmp_path / "evidence"
    sql = """
        CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT NULL,
          agent INTEGER, device INTEGER, type INTEGER, raw_string TEXT);
        CREATE TABLE chat (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER UNIQUE, subject TEXT);
        CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL,
          from_me INTEGER NOT NULL, key_id TEXT NOT NULL, sender_jid_row_id INTEGER, status INTEGER,
          timestamp INTEGER, received_timestamp INTEGER, message_type INTEGER, text_data TEXT);
    """
    build(
        root / DB,
        sql,
        {
            "jid": jid_rows(),
            "chat": [{"_id": 1, "jid_row_id": 2}],
            "message": [
                {
                    "_id": 1,
                    "chat_row_id": 1,
                    "from_me": 0,
                    "key_id": "A",
                    "status": 0,
                    "timestamp": T,
                    "received_timestamp": T,
                    "message_type": 0,
                    "text_data": "hi",
                }
            ],
        },
    )
    report = run_extract(FolderTree(root), WhatsAppParser)
    assert not report.failed
    assert rows(case, "messages", ("sender", "sender_phone", "body")) == [("203944150871257@lid", None, "hi")]

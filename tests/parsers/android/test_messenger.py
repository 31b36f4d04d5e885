"""android.messenger on threads_db2: 1:1 and group threads, the owner from the thread keys, photos,
call admin messages, malformed JSON, and damaged input."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.parsers.android.messenger import MessengerParser
from evidence_intake.parsers.source import Source
from tests.parsers.android.chatdb import build, errors, rows, set_raw_text, sources, truncated
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree, MemoryTree
from tests.parsers.util import store_rows

DB = "data/data/com.facebook.orca/databases/threads_db2"
SCHEMA = "android/messenger_threads_db2"
ME, HER, SOMSAK = "100089555014301", "100077555019902", "100055500000003"
ONE = f"ONE_TO_ONE:{HER}:{ME}"
GROUP = "GROUP:5550001"
T = 1_739_541_600_000  # 2025-02-14T14:00:00Z


def sender(user: str, name: str | None = None) -> str:
    value: dict[str, Any] = {"user_key": f"FACEBOOK:{user}"}
    if name is not None:
        value["name"] = name
    return json.dumps(value, ensure_ascii=False)


def m(n: int, thread: str, who: str | None, text: str | None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "msg_id": f"mid.$cAAA{n:04d}",
        "thread_key": thread,
        "text": text,
        "sender": who,
        "timestamp_ms": T + n * 60_000,
        "timestamp_sent_ms": T + n * 60_000,
        "msg_type": 0,
    }
    row.update(extra)
    return row


def data() -> dict[str, list[dict[str, Any]]]:
    call = {"caller_id": HER, "call_duration": 95, "video": False}
    return {
        "thread_users": [
            {
                "user_key": f"FACEBOOK:{ME}",
                "first_name": "Kevin",
                "last_name": "Tan",
                "name": "Kevin Tan",
                "username": "kevin.tan.sg",
            },
            {"user_key": f"FACEBOOK:{HER}", "name": "Pranee Suksai", "is_friend": 1},
            {"user_key": f"FACEBOOK:{SOMSAK}", "first_name": "Somsak", "last_name": "Dee"},
        ],
        "threads": [
            {"thread_key": ONE, "thread_fbid": HER, "folder": "inbox"},
            {"thread_key": GROUP, "thread_fbid": "5550001", "name": "ลงทุนทองคำ VIP", "folder": "inbox"},
        ],
        "messages": [
            m(1, ONE, sender(ME, "Kevin Tan"), "สวัสดีครับ"),
            m(2, ONE, sender(HER, "Pranee Suksai"), "สวัสดีค่ะ"),
            m(
                3,
                ONE,
                sender(ME, "Kevin Tan"),
                None,
                attachments=json.dumps(
                    [{"mime_type": "image/jpeg", "filename": "profit.jpg", "file_size": 20480}]
                ),
            ),
            m(4, GROUP, sender(SOMSAK), "กำไร 30% ทุกเดือน"),
            m(5, GROUP, sender(ME, "Kevin Tan"), "โอนเข้าบัญชีนี้"),
            m(
                6,
                ONE,
                sender(HER, "Pranee Suksai"),
                "Pranee called you.",
                generic_admin_message_extensible_data=json.dumps(call),
            ),
            m(
                7,
                GROUP,
                sender(ME),
                "You named the group.",
                generic_admin_message_extensible_data=json.dumps({"thread_name": "ลงทุนทองคำ VIP"}),
            ),
            m(8, ONE, "{not json", "sender spoiled"),
            m(9, ONE, sender(HER), "pending", msg_type=-1),
            m(10, ONE, sender(ME), "not sent", send_error="NETWORK"),
            m(11, ONE, sender(HER), "no time", timestamp_ms=0),
        ],
    }


def evidence(tmp_path: Path, content: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    root = tmp_path / "evidence"
    build(root / DB, SCHEMA, data() if content is None else content)
    return root


COLUMNS = (
    "record_rowid",
    "account",
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
    report = run_extract(FolderTree(evidence(tmp_path)), MessengerParser)
    assert not report.failed, report.exhibits[0].problems
    vip = "ลงทุนทองคำ VIP"
    her = f"FACEBOOK:{HER}"
    assert rows(case, "messages", COLUMNS) == [
        (
            1,
            ME,
            ONE,
            None,
            "outgoing",
            None,
            None,
            None,
            f'["{her}"]',
            None,
            "2025-02-14T14:01:00.000000Z",
            T + 60_000,
            "สวัสดีครับ",
        ),
        (
            2,
            ME,
            ONE,
            None,
            "incoming",
            her,
            HER,
            "Pranee Suksai",
            "[]",
            None,
            "2025-02-14T14:02:00.000000Z",
            T + 120_000,
            "สวัสดีค่ะ",
        ),
        (
            3,
            ME,
            ONE,
            None,
            "outgoing",
            None,
            None,
            None,
            f'["{her}"]',
            None,
            "2025-02-14T14:03:00.000000Z",
            T + 180_000,
            None,
        ),
        (
            4,
            ME,
            GROUP,
            vip,
            "incoming",
            f"FACEBOOK:{SOMSAK}",
            SOMSAK,
            "Somsak Dee",
            "[]",
            None,
            "2025-02-14T14:04:00.000000Z",
            T + 240_000,
            "กำไร 30% ทุกเดือน",
        ),
        (
            5,
            ME,
            GROUP,
            vip,
            "outgoing",
            None,
            None,
            None,
            f'["{GROUP}"]',
            None,
            "2025-02-14T14:05:00.000000Z",
            T + 300_000,
            "โอนเข้าบัญชีนี้",
        ),
        (
            7,
            ME,
            GROUP,
            vip,
            "outgoing",
            None,
            None,
            None,
            f'["{GROUP}"]',
            "admin message",
            "2025-02-14T14:07:00.000000Z",
            T + 420_000,
            "You named the group.",
        ),
        # a sender that is not JSON: kept as stored, the direction left unknown
        (
            8,
            ME,
            ONE,
            None,
            "unknown",
            "{not json",
            None,
            None,
            "[]",
            None,
            "2025-02-14T14:08:00.000000Z",
            T + 480_000,
            "sender spoiled",
        ),
        (
            9,
            ME,
            ONE,
            None,
            "incoming",
            her,
            HER,
            "Pranee Suksai",
            "[]",
            "msg_type -1",
            "2025-02-14T14:09:00.000000Z",
            T + 540_000,
            "pending",
        ),
        (
            10,
            ME,
            ONE,
            None,
            "outgoing",
            None,
            None,
            None,
            f'["{her}"]',
            "failed",
            "2025-02-14T14:10:00.000000Z",
            T + 600_000,
            "not sent",
        ),
        (11, ME, ONE, None, "incoming", her, HER, "Pranee Suksai", "[]", None, None, 0, "no time"),
    ]
    (photo,) = rows(case, "messages", ("attachments",), "record_rowid = 3")
    assert json.loads(photo[0]) == [
        {"name": "profit.jpg", "mime_type": "image/jpeg", "path": None, "size": 20480}
    ]
    # The spoiled sender of message 8 is said, not hidden; a time of 0 means "unknown", not out of range.
    (warning,) = store_rows(case, "SELECT error, record_table, record_rowid FROM extraction_errors")
    assert "messages.sender is not valid JSON" in warning["error"]
    assert (warning["record_table"], warning["record_rowid"]) == ("messages", 8)


def test_calls_owner_and_people(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    run_extract(FolderTree(evidence(tmp_path)), MessengerParser)
    assert rows(
        case,
        "calls",
        (
            "record_rowid",
            "number",
            "name",
            "direction",
            "call_type",
            "started_at",
            "duration_s",
            "duration_raw",
        ),
    ) == [(6, HER, "Pranee Suksai", "incoming", "voice", "2025-02-14T14:06:00.000000Z", 95, 95)]
    assert rows(case, "accounts", ("record_table", "user_id", "username", "display_name")) == [
        ("thread_users", ME, "kevin.tan.sg", "Kevin Tan")
    ]
    people = rows(case, "contacts", ("name", "handles"))
    assert [(n, json.loads(h)) for n, h in people] == [
        ("Pranee Suksai", [{"app": "Messenger", "user_id": HER, "username": None}]),
        ("Somsak Dee", [{"app": "Messenger", "user_id": SOMSAK, "username": None}]),
    ]
    linked = store_rows(
        case, "SELECT DISTINCT kind, role FROM identifiers WHERE value = ? ORDER BY 1", (HER,)
    )
    assert [(r["kind"], r["role"]) for r in linked] == [("contacts", "handle"), ("messages", "sender")]


def test_thread_users_is_read_once(
    tmp_path: Path, case: FakeCase, run_extract: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries: list[str] = []
    read = Source.rows

    def rows_recorded(self: Source, sql: str, params: Sequence[Any] = ()) -> Iterator[sqlite3.Row]:
        queries.append(sql)
        return read(self, sql, params)

    monkeypatch.setattr(Source, "rows", rows_recorded)
    report = run_extract(FolderTree(evidence(tmp_path)), MessengerParser)  # in this process
    assert not report.failed, report.exhibits[0].problems
    assert len([q for q in queries if "thread_users" in q]) == 1, queries
    # the one read gives the owner's record, the contacts and the callers' names
    assert rows(case, "accounts", ("record_table", "record_rowid", "user_id")) == [("thread_users", 1, ME)]
    assert [r[0] for r in rows(case, "contacts", ("record_rowid",))] == [2, 3]
    assert rows(case, "calls", ("name",)) == [("Pranee Suksai",)]


def test_without_a_one_to_one_thread_the_owner_is_unknown(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    content = data()
    content["threads"] = [t for t in content["threads"] if t["thread_key"] == GROUP]
    content["messages"] = [r for r in content["messages"] if r["thread_key"] == GROUP]
    run_extract(FolderTree(evidence(tmp_path, content)), MessengerParser)
    assert {r[0] for r in rows(case, "messages", ("direction",))} == {"unknown"}
    assert rows(case, "accounts", ("id",)) == []
    assert len(rows(case, "contacts", ("id",))) == 3  # the owner cannot be told apart from the others


def test_missing_columns_are_an_unsupported_schema(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = tmp_path / "evidence"
    build(
        root / DB,
        "CREATE TABLE messages (msg_id TEXT PRIMARY KEY, thread_key TEXT, text TEXT);"
        "CREATE TABLE threads (thread_key TEXT PRIMARY KEY);",
        {},
    )
    report = run_extract(FolderTree(root), MessengerParser)
    assert not report.failed and report.exhibits[0].parsers["android.messenger"].unsupported == 1
    (source,) = sources(case)
    assert "tables seen: messages, threads" in str(source["detail"]) and "messages.sender" in str(
        source["detail"]
    )


def test_not_sqlite_is_an_error(case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(MemoryTree({"/" + DB: os.urandom(4096)}), MessengerParser)
    assert report.failed and "is not a SQLite database" in errors(case)[0]


def test_truncated_database_keeps_the_rows_before_the_cut(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    content = data()
    content["messages"] = [m(i, ONE, sender(HER), f"ข้อความ {i} " + "z" * 200) for i in range(1, 3001)]
    path = build(tmp_path / "full.db", SCHEMA, content)
    report = run_extract(MemoryTree({"/" + DB: truncated(path.read_bytes())}), MessengerParser)
    assert report.failed
    (source,) = store_rows(case, "SELECT status, records, detail FROM sources")
    assert source["status"] == "error" and 0 < int(source["records"]) < 3000 + 3, source


def test_invalid_utf8_is_replaced_flagged_and_kept(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = evidence(tmp_path)
    raw = "โอน".encode() + b"\xe0\x80" + "เงิน".encode()
    set_raw_text(root / DB, "messages", "text", 2, raw)
    report = run_extract(FolderTree(root), MessengerParser)
    assert not report.failed
    assert rows(case, "messages", ("body", "has_undecodable_text"), "record_rowid = 2") == [
        ("โอน\ufffd\ufffdเงิน", 1)
    ]
    (kept,) = store_rows(case, "SELECT raw, column_name, record_rowid FROM undecodable_text")
    assert (kept["raw"], kept["column_name"], kept["record_rowid"]) == (raw, "body", 2)


def test_invalid_utf8_in_a_name_part_stays_flagged_in_the_composed_name(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = evidence(tmp_path)
    raw = b"\xe0\xb8\xaa\xffA"  # a Thai letter, a byte that is never UTF-8, then A
    set_raw_text(root / DB, "thread_users", "first_name", 3, raw)  # Somsak Dee
    report = run_extract(FolderTree(root), MessengerParser)
    assert not report.failed
    assert rows(case, "contacts", ("record_rowid", "name", "has_undecodable_text"), "record_rowid = 3") == [
        (3, "ส\ufffdA Dee", 1)
    ]
    # his group message names him by the same composed name
    assert rows(case, "messages", ("sender_name", "has_undecodable_text"), "record_rowid = 4") == [
        ("ส\ufffdA Dee", 1)
    ]
    kept = store_rows(
        case, "SELECT kind, record_table, record_rowid, column_name, raw FROM undecodable_text ORDER BY kind"
    )
    assert [(k["kind"], k["record_table"], k["record_rowid"], k["column_name"], k["raw"]) for k in kept] == [
        ("contacts", "thread_users", 3, "name", raw + b" Dee"),
        ("messages", "messages", 4, "sender_name", raw + b" Dee"),
    ]


def test_invalid_utf8_in_a_thread_name_stays_flagged(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = evidence(tmp_path)
    raw = "ลงทุน".encode() + b"\xff VIP"
    set_raw_text(root / DB, "threads", "name", 2, raw)  # the group
    run_extract(FolderTree(root), MessengerParser)
    got = rows(
        case,
        "messages",
        ("record_rowid", "thread_name", "has_undecodable_text"),
        "thread_id = 'GROUP:5550001'",
    )
    assert got == [(4, "ลงทุน\ufffd VIP", 1), (5, "ลงทุน\ufffd VIP", 1), (7, "ลงทุน\ufffd VIP", 1)]
    kept = store_rows(
        case, "SELECT record_rowid, column_name, raw FROM undecodable_text ORDER BY record_rowid"
    )
    assert [(k["record_rowid"], k["column_name"], k["raw"]) for k in kept] == [
        (4, "thread_name", raw),
        (5, "thread_name", raw),
        (7, "thread_name", raw),
    ]


def test_invalid_utf8_in_the_sender_json_stays_flagged_with_its_own_bytes(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    """The sender's name is read out of the JSON in messages.sender: its bad bytes are flagged and
    kept as the name's own bytes (not the whole JSON's)."""
    root = evidence(tmp_path)
    name = "ปรานี".encode() + b"\xff\xfe" + b" Suksai"
    raw_json = b'{"user_key":"FACEBOOK:' + HER.encode() + b'","name":"' + name + b'"}'
    set_raw_text(root / DB, "messages", "sender", 2, raw_json)
    report = run_extract(FolderTree(root), MessengerParser)
    assert not report.failed
    got = rows(
        case, "messages", ("sender_name", "sender_user_id", "has_undecodable_text"), "record_rowid = 2"
    )
    assert got == [("ปรานี\ufffd\ufffd Suksai", HER, 1)]
    kept = store_rows(case, "SELECT record_rowid, column_name, raw FROM undecodable_text")
    assert [(k["record_rowid"], k["column_name"], k["raw"]) for k in kept] == [(2, "sender_name", name)]

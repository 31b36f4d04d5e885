"""android.viber on viber_messages (1:1 and group chats, media, deleted, the owner) and viber_data
(address book with Viber member ids, calls), and on damaged input."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from evidence_intake.parsers.android.viber import ViberParser
from samples.sqlitebuild import schema
from tests.parsers.android.chatdb import build, errors, rows, sources
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree, MemoryTree
from tests.parsers.util import store_rows

MESSAGES = "data/data/com.viber.voip/databases/viber_messages"
DATA = "data/data/com.viber.voip/databases/viber_data"
T = 1_741_692_600_000  # 2025-03-11T11:30:00Z
DARA, KO_MIN, OWNER = "+85592555014", "+959425550188", "+66925550143"
DARA_ID = "ZGFyYS1zb2stc2FtcGxl"


def msg(
    n: int, conv: int, participant: int, address: str, out: int, body: str | None, **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "_id": n,
        "msg_date": T + n * 60_000,
        "msg_date_real": T + n * 60_000,
        "address": address,
        "conversation_id": conv,
        "participant_id": participant,
        "body": body,
        "send_type": out,
        "type": out,
        "token": 7_000_000 + n,
        "extra_mime": 0,
        "deleted": 0,
    }
    row.update(extra)
    return row


def messages_data() -> dict[str, list[dict[str, Any]]]:
    return {
        "conversations": [
            {"_id": 1, "date": T, "recipient_number": DARA, "conversation_type": 0},
            {"_id": 2, "date": T, "conversation_type": 1, "group_id": 5_550_001, "name": "车队 drivers"},
        ],
        "participants_info": [
            {
                "_id": 1,
                "participant_type": 0,
                "member_id": "b3duZXItaWQ=",
                "number": OWNER,
                "display_name": "Chen",
            },
            {
                "_id": 2,
                "participant_type": 1,
                "member_id": DARA_ID,
                "number": DARA,
                "display_name": "Dara",
                "contact_name": "Dara driver",
                "viber_name": "Dara S.",
            },
            {
                "_id": 3,
                "participant_type": 1,
                "member_id": "a29taW4=",
                "number": KO_MIN,
                "viber_name": "Ko Min",
            },
        ],
        "participants": [
            {"_id": 1, "conversation_id": 1, "participant_info_id": 1},
            {"_id": 2, "conversation_id": 1, "participant_info_id": 2},
            {"_id": 3, "conversation_id": 2, "participant_info_id": 1},
            {"_id": 4, "conversation_id": 2, "participant_info_id": 3},
        ],
        "messages": [
            msg(1, 1, 2, DARA, 0, "Car at the border gate 7pm."),
            msg(2, 1, 1, DARA, 1, "ไปรับที่ด่านแม่สอดนะ"),
            msg(3, 1, 2, DARA, 0, None, extra_mime=1, extra_uri="file:///sdcard/Viber/IMG-3.jpg"),
            msg(4, 2, 4, KO_MIN, 0, "ကားရောက်ပြီ"),
            msg(5, 2, 3, "", 1, "ok 收到"),
            msg(6, 1, 2, DARA, 0, "delete this", deleted=1),
            msg(7, 1, 2, DARA, 0, None, extra_mime=3, extra_uri="file:///sdcard/Viber/VID-7.mp4"),
            msg(8, 2, 99, "", 0, "from a participant row that is gone"),
        ],
    }


def data_data() -> dict[str, list[dict[str, Any]]]:
    return {
        "phonebookcontact": [
            {"_id": 1, "display_name": "Dara driver", "viber": 1, "has_number": 1},
            {"_id": 2, "display_name": "คุณปราณี", "viber": 0, "has_number": 1, "deleted": 1},
        ],
        "phonebookdata": [
            {"_id": 1, "contact_id": 1, "data1": "+855 92 555 014", "data2": DARA, "mime_type": 0},
            {"_id": 2, "contact_id": 2, "data1": "081-555-0199", "data2": "+66815550199", "mime_type": 0},
            {"_id": 3, "contact_id": 1, "data1": "dara@example.com", "mime_type": 1},
        ],
        "vibernumbers": [{"_id": 1, "canonized_number": DARA, "viber_name": "Dara S.", "member_id": DARA_ID}],
        "calls": [
            {
                "_id": 1,
                "number": "+855 92 555 014",
                "canonized_number": DARA,
                "date": T,
                "duration": 125,
                "type": 1,
                "viber_call_type": 1,
            },
            {
                "_id": 2,
                "number": KO_MIN,
                "canonized_number": KO_MIN,
                "date": T + 1000,
                "duration": 30,
                "type": 2,
                "viber_call_type": 4,
            },
            {
                "_id": 3,
                "number": "0815550199",
                "canonized_number": None,
                "date": T + 2000,
                "duration": 0,
                "type": 3,
                "viber_call_type": 1,
            },
            {
                "_id": 4,
                "number": DARA,
                "canonized_number": DARA,
                "date": T + 3000,
                "duration": 0,
                "type": 9,
                "viber_call_type": 2,
            },
        ],
    }


def evidence(tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    build(root / MESSAGES, "android/viber_messages", messages_data())
    build(root / DATA, "android/viber_data", data_data())
    return root


COLUMNS = (
    "record_rowid",
    "account",
    "thread_id",
    "thread_name",
    "direction",
    "sender",
    "sender_phone",
    "sender_user_id",
    "sender_name",
    "recipients",
    "recipient_phones",
    "status",
    "sent_at",
    "body",
    "is_deleted",
)


def test_messages_exact_rows(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(FolderTree(evidence(tmp_path)), ViberParser)
    assert not report.failed, report.exhibits[0].problems
    assert [(s["source_path"].rsplit("/", 1)[1], s["schema"], s["records"]) for s in sources(case)] == [
        ("viber_data", "viber_data", 6),
        ("viber_messages", "viber_messages", 9),
    ]
    drivers = "车队 drivers"
    assert rows(case, "messages", COLUMNS) == [
        (
            1,
            OWNER,
            "1",
            None,
            "incoming",
            DARA,
            DARA,
            DARA_ID,
            "Dara driver",
            "[]",
            "[]",
            None,
            "2025-03-11T11:31:00.000000Z",
            "Car at the border gate 7pm.",
            0,
        ),
        (
            2,
            OWNER,
            "1",
            None,
            "outgoing",
            None,
            None,
            None,
            None,
            f'["{DARA}"]',
            f'["{DARA}"]',
            None,
            "2025-03-11T11:32:00.000000Z",
            "ไปรับที่ด่านแม่สอดนะ",
            0,
        ),
        (
            3,
            OWNER,
            "1",
            None,
            "incoming",
            DARA,
            DARA,
            DARA_ID,
            "Dara driver",
            "[]",
            "[]",
            None,
            "2025-03-11T11:33:00.000000Z",
            None,
            0,
        ),
        (
            4,
            OWNER,
            "2",
            drivers,
            "incoming",
            KO_MIN,
            KO_MIN,
            "a29taW4=",
            "Ko Min",
            "[]",
            "[]",
            None,
            "2025-03-11T11:34:00.000000Z",
            "ကားရောက်ပြီ",
            0,
        ),
        (
            5,
            OWNER,
            "2",
            drivers,
            "outgoing",
            None,
            None,
            None,
            None,
            '["5550001"]',
            "[]",
            None,
            "2025-03-11T11:35:00.000000Z",
            "ok 收到",
            0,
        ),
        (
            6,
            OWNER,
            "1",
            None,
            "incoming",
            DARA,
            DARA,
            DARA_ID,
            "Dara driver",
            "[]",
            "[]",
            "deleted",
            "2025-03-11T11:36:00.000000Z",
            "delete this",
            1,
        ),
        (
            7,
            OWNER,
            "1",
            None,
            "incoming",
            DARA,
            DARA,
            DARA_ID,
            "Dara driver",
            "[]",
            "[]",
            None,
            "2025-03-11T11:37:00.000000Z",
            None,
            0,
        ),
        (
            8,
            OWNER,
            "2",
            drivers,
            "incoming",
            None,
            None,
            None,
            None,
            "[]",
            "[]",
            None,
            "2025-03-11T11:38:00.000000Z",
            "from a participant row that is gone",
            0,
        ),
    ]
    media = {r[0]: json.loads(r[1]) for r in rows(case, "messages", ("record_rowid", "attachments"))}
    assert media[3] == [
        {"name": None, "mime_type": "image/*", "path": "file:///sdcard/Viber/IMG-3.jpg", "size": None}
    ]
    assert media[7] == [
        {"name": None, "mime_type": "video/*", "path": "file:///sdcard/Viber/VID-7.mp4", "size": None}
    ]
    assert all(v == [] for k, v in media.items() if k not in (3, 7))


def test_owner_account(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    run_extract(FolderTree(evidence(tmp_path)), ViberParser)
    assert rows(
        case, "accounts", ("record_table", "record_rowid", "app", "user_id", "phone_e164", "display_name")
    ) == [("participants_info", 1, "Viber", "b3duZXItaWQ=", OWNER, "Chen")]


def test_address_book_and_calls(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    run_extract(FolderTree(evidence(tmp_path)), ViberParser)
    contacts = rows(case, "contacts", ("record_rowid", "name", "phones", "handles", "is_deleted"))
    assert [(i, n, json.loads(p), json.loads(h), d) for i, n, p, h, d in contacts] == [
        (
            1,
            "Dara driver",
            [{"number": "+855 92 555 014", "label": None, "e164": DARA}],
            [{"app": "Viber", "user_id": DARA_ID, "username": None}],
            0,
        ),
        (2, "คุณปราณี", [{"number": "081-555-0199", "label": None, "e164": "+66815550199"}], [], 1),
    ]
    assert rows(
        case,
        "calls",
        (
            "record_rowid",
            "number",
            "number_e164",
            "direction",
            "status",
            "call_type",
            "started_at",
            "duration_s",
        ),
    ) == [
        (1, DARA, DARA, "incoming", None, "voice", "2025-03-11T11:30:00.000000Z", 125),
        (2, KO_MIN, KO_MIN, "outgoing", None, "video", "2025-03-11T11:30:01.000000Z", 30),
        (3, "0815550199", "+66815550199", "incoming", "missed", "voice", "2025-03-11T11:30:02.000000Z", 0),
        (4, DARA, DARA, "unknown", None, None, "2025-03-11T11:30:03.000000Z", 0),
    ]
    linked = store_rows(
        case, "SELECT DISTINCT kind, role FROM identifiers WHERE value = ? ORDER BY 1, 2", (DARA,)
    )
    assert [(r["kind"], r["role"]) for r in linked] == [
        ("calls", "number"),
        ("contacts", "phone"),
        ("messages", "recipient"),
        ("messages", "sender"),
    ]


def test_viber_data_without_a_call_log(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    root = tmp_path / "evidence"
    sql = schema("android/viber_data").split("-- The call log")[0]  # as Viber versions before calls
    content = data_data()
    del content["calls"]
    build(root / DATA, sql, content)
    report = run_extract(FolderTree(root), ViberParser)
    assert (
        not report.failed and len(rows(case, "contacts", ("id",))) == 2 and rows(case, "calls", ("id",)) == []
    )


def test_missing_columns_are_an_unsupported_schema(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = tmp_path / "evidence"
    build(
        root / MESSAGES,
        "CREATE TABLE messages (_id INTEGER PRIMARY KEY, body TEXT, send_type INTEGER);"
        "CREATE TABLE conversations (_id INTEGER PRIMARY KEY);",
        {},
    )
    report = run_extract(FolderTree(root), ViberParser)
    assert not report.failed and report.exhibits[0].parsers["android.viber"].unsupported == 1
    (source,) = sources(case)
    assert source["status"] == "unsupported schema" and "tables seen: conversations, messages" in str(
        source["detail"]
    )
    assert "'viber_messages' lacks messages.address" in str(source["detail"])


def test_not_sqlite_is_an_error(case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(MemoryTree({"/" + MESSAGES: os.urandom(4096)}), ViberParser)
    assert report.failed and MESSAGES in errors(case)[0]


def test_timestamps_out_of_range_are_warned_and_kept(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = tmp_path / "evidence"
    content = messages_data()
    content["messages"] = [
        msg(1, 1, 2, DARA, 0, "far future", msg_date=10**19 // 10),
        msg(2, 1, 2, DARA, 0, "ok"),
    ]
    build(root / MESSAGES, "android/viber_messages", content)
    report = run_extract(FolderTree(root), ViberParser)
    assert not report.failed
    assert rows(case, "messages", ("sent_at", "sent_at_raw")) == [
        (None, 10**18),
        ("2025-03-11T11:32:00.000000Z", T + 120_000),
    ]
    assert "have a sent_at that is out of range" in errors(case, "warning")[0]

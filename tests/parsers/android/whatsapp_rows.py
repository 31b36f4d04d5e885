"""Rows of WhatsApp msgstore.db for the android.whatsapp tests, on the real schema text.

One phone's worth of edge cases: a 1:1 chat keyed by a privacy id (@lid) that jid_map maps to a
number, a 1:1 chat by number, a group with a member whose privacy id is not mapped, a picture-only
message, a message deleted for everyone, a system message, a shared location, a document with a
caption, an unknown status code, and calls with every call_result the parser maps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.parsers.android.chatdb import build

DB = "data/data/com.whatsapp/databases/msgstore.db"
SCHEMA = "android/whatsapp_msgstore"
T = 1_741_266_060_000  # 2025-03-06T13:01:00Z in Unix milliseconds

JIDS = [
    (1, "66925550143", "s.whatsapp.net", 0),
    (2, "203944150871257", "lid", 0),  # Boss Wang's privacy id, mapped to row 3
    (3, "855965550187", "s.whatsapp.net", 0),
    (4, "8613955500178", "s.whatsapp.net", 0),
    (5, "959425550188", "s.whatsapp.net", 0),
    (6, "120363025555018", "g.us", 1),
    (7, "111222333444555", "lid", 0),  # a group member's privacy id with no mapping
]


def jid_rows() -> list[dict[str, Any]]:
    return [
        {"_id": i, "user": u, "server": s, "agent": 0, "device": 0, "type": t, "raw_string": f"{u}@{s}"}
        for i, u, s, t in JIDS
    ]


def message(
    n: int, chat: int, from_me: int, when: int, kind: int = 0, text: str | None = None, **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "_id": n,
        "chat_row_id": chat,
        "from_me": from_me,
        "key_id": f"3EB0{n:04X}",
        "sender_jid_row_id": 0,
        "status": 13 if from_me else 0,
        "timestamp": when,
        "received_timestamp": when + (0 if from_me else 900),
        "message_type": kind,
        "text_data": text,
        "sort_id": n,
    }
    row.update(extra)
    return row


def current_rows() -> dict[str, list[dict[str, Any]]]:
    return {
        "jid": jid_rows(),
        "jid_map": [{"lid_row_id": 2, "jid_row_id": 3, "sort_id": 1}],
        "chat": [
            {"_id": 1, "jid_row_id": 2, "subject": None},
            {"_id": 2, "jid_row_id": 4, "subject": None},
            {"_id": 3, "jid_row_id": 6, "subject": "ทีมขาย Team A 销售组"},
        ],
        "message": [
            message(1, 1, 0, T, text="new USDT address 不要用旧的"),
            message(2, 1, 1, T + 60_000, text="明白老板"),
            message(3, 1, 0, T + 120_000, kind=1),  # picture only
            message(4, 1, 0, T + 180_000, kind=15),  # deleted for everyone
            message(5, 3, 0, T + 240_000, text="ဒီနေ့ customer ၁၀ ယောက်", sender_jid_row_id=5),
            message(6, 3, 0, T + 300_000, text="who is this?", sender_jid_row_id=7),
            message(7, 3, 0, T + 360_000, kind=7, text="ทีมขาย Team B", sender_jid_row_id=4, status=6),
            message(8, 2, 0, T + 420_000, kind=5, text=None),
            message(9, 2, 1, T + 480_000, kind=9, text="สัญญา contract", status=5),
            message(10, 2, 0, T + 540_000, text="odd status", status=99, received_timestamp=0),
        ],
        "message_media": [
            {
                "message_row_id": 3,
                "chat_row_id": 1,
                "file_path": "Media/WhatsApp Images/IMG-1.jpg",
                "file_size": 183_244,
                "mime_type": "image/jpeg",
            },
            {
                "message_row_id": 9,
                "chat_row_id": 2,
                "file_path": "Media/WhatsApp Documents/contract.pdf",
                "file_size": 96_410,
                "mime_type": "application/pdf",
                "media_name": "contract.pdf",
            },
        ],
        "message_revoked": [
            {"message_row_id": 4, "revoked_key_id": "3EB0REVOKED", "revoke_timestamp": T + 200_000}
        ],
        "message_system": [{"message_row_id": 7, "action_type": 1}],
        "message_location": [
            {
                "message_row_id": 8,
                "chat_row_id": 2,
                "latitude": 16.6987,
                "longitude": 98.5066,
                "place_name": "Myawaddy",
            },
        ],
        "call_log": [
            {
                "_id": 1,
                "jid_row_id": 2,
                "from_me": 0,
                "call_id": "C1",
                "timestamp": T - 60_000,
                "video_call": 0,
                "duration": 241,
                "call_result": 5,
            },
            {
                "_id": 2,
                "jid_row_id": 4,
                "from_me": 0,
                "call_id": "C2",
                "timestamp": T,
                "video_call": 1,
                "duration": 0,
                "call_result": 2,
            },
            {
                "_id": 3,
                "jid_row_id": 4,
                "from_me": 1,
                "call_id": "C3",
                "timestamp": T + 1000,
                "video_call": 0,
                "duration": 0,
                "call_result": 4,
            },
            {
                "_id": 4,
                "jid_row_id": 7,
                "from_me": 1,
                "call_id": "C4",
                "timestamp": T + 2000,
                "video_call": 0,
                "duration": 0,
                "call_result": 2,
            },
            {
                "_id": 5,
                "jid_row_id": 3,
                "from_me": 1,
                "call_id": "C5",
                "timestamp": T + 3000,
                "video_call": 0,
                "duration": 5,
                "call_result": 9,
            },
        ],
    }


def evidence(tmp_path: Path, sql: str = SCHEMA, data: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    root = tmp_path / "evidence"
    build(root / DB, sql, current_rows() if data is None else data)
    return root

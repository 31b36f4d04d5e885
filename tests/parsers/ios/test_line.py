"""ios.line on Line.sqlite built from the real schema: one-to-one and group chats, media, users."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from evidence_intake.parsers.ios.line import IosLineParser
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.ios.dbs import build
from tests.parsers.trees import FolderTree
from tests.parsers.util import store_rows

DB = (
    "private/var/mobile/Containers/Shared/AppGroup/8B7A6C5D-4E3F-4A2B-9C1D-0E9F8A7B6C5D/Library/"
    "Application Support/PrivateStore/P_u9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a/Messages/Line.sqlite"
)
CHEN, PRANEE, DARA = "u1f0c5e5a9b3c4d7e8f901a2b3c4d5e6f", "u3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f", "u55aa"
GROUP, STRANGER = "c9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b", "u77bb"
MAE_SOT = "Location: 16.713100, 98.570800"
T0 = 1_741_744_800_000  # 2025-03-12T02:00:00Z in Unix milliseconds


def user(pk: int, mid: str, name: str | None, **extra: Any) -> dict[str, Any]:
    return {"Z_PK": pk, "Z_ENT": 13, "Z_OPT": 1, "ZMID": mid, "ZNAME": name, **extra}


def message(
    pk: int, chat: int, sender: int | None, text: str | None, kind: int = 0, **extra: Any
) -> dict[str, Any]:
    when, zid = T0 + pk * 60_000, str(520_000_000_000 + pk)
    return {"Z_PK": pk, "Z_ENT": 8, "Z_OPT": 1, "ZCHAT": chat, "ZSENDER": sender, "ZTEXT": text,
            "ZCONTENTTYPE": kind, "ZTIMESTAMP": when, "ZID": zid, **extra}  # fmt: skip


def line_db(root: Path) -> Path:
    build(
        root / "ev" / DB,
        "ios/line",
        {
            "ZUSER": [
                user(1, CHEN, "Chen 陈", ZCUSTOMNAME="หัวหน้า Chen", ZSTATUSMESSAGE="忙"),
                user(2, PRANEE, "ปราณี"),
                user(3, DARA, None, ZADDRESSBOOKNAME="Dara Sok"),
            ],
            "ZGROUP": [{"Z_PK": 1, "Z_ENT": 5, "Z_OPT": 1, "ZID": GROUP, "ZNAME": "การเงิน 财务"}],
            "ZCHAT": [
                {"Z_PK": 1, "ZTYPE": 0, "ZMID": CHEN},
                {"Z_PK": 2, "ZTYPE": 2, "ZMID": GROUP},
                {"Z_PK": 3, "ZTYPE": 0, "ZMID": STRANGER},
            ],
            "ZMESSAGE": [
                message(1, 1, 1, "ส่งรายชื่อคนงานใหม่มาด้วย"),
                message(2, 1, None, "ส่งแล้วค่ะ 8 คน ဗမာ ၆ ယောက်"),
                message(3, 2, 2, "โอนแล้ว USDT TL1T4ekNMJUDkVLu2xQYTEGTcBhCf3C8PH"),
                message(4, 2, None, None, 1),
                message(5, 2, 1, None, 7),
                message(6, 1, 1, "Mae Sot", 15, ZLATITUDE=16.7131, ZLONGITUDE=98.5708),
                message(7, 3, 3, "hello"),
                message(8, 1, 1, "no time", ZTIMESTAMP=0),
            ],
        },
    )
    return root / "ev"


def test_every_message_exactly(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(FolderTree(line_db(tmp_path)), IosLineParser)
    assert not report.failed
    got = store_rows(
        case,
        "SELECT record_rowid, thread_id, thread_name, sender, sender_user_id, sender_name, recipients, "
        "direction, sent_at, body, attachments FROM messages ORDER BY record_rowid",
    )
    image = [{"name": None, "mime_type": "image/*", "path": None, "size": None}]
    sticker = [{"name": "sticker", "mime_type": "image/*", "path": None, "size": None}]
    want = [
        (1, CHEN, "หัวหน้า Chen", CHEN, "หัวหน้า Chen", [], "incoming", "ส่งรายชื่อคนงานใหม่มาด้วย", []),
        (2, CHEN, "หัวหน้า Chen", None, None, [CHEN], "outgoing", "ส่งแล้วค่ะ 8 คน ဗမာ ၆ ယောက်", []),
        (3, GROUP, "การเงิน 财务", PRANEE, "ปราณี", [], "incoming",
         "โอนแล้ว USDT TL1T4ekNMJUDkVLu2xQYTEGTcBhCf3C8PH", []),
        (4, GROUP, "การเงิน 财务", None, None, [GROUP], "outgoing", None, image),
        (5, GROUP, "การเงิน 财务", CHEN, "หัวหน้า Chen", [], "incoming", None, sticker),
        (6, CHEN, "หัวหน้า Chen", CHEN, "หัวหน้า Chen", [], "incoming", f"{MAE_SOT}\nMae Sot", []),
        (7, STRANGER, None, DARA, "Dara Sok", [], "incoming", "hello", []),
        (8, CHEN, "หัวหน้า Chen", CHEN, "หัวหน้า Chen", [], "incoming", "no time", []),
    ]  # fmt: skip
    for (pk, thread, thread_name, sender, name, recipients, direction, body, attachments), row in zip(
        want, got, strict=True
    ):
        assert row["record_rowid"] == pk
        assert (row["thread_id"], row["thread_name"], row["sender"], row["sender_user_id"]) == (
            thread, thread_name, sender, sender)  # fmt: skip
        assert (row["sender_name"], json.loads(row["recipients"]), row["direction"]) == (
            name,
            recipients,
            direction,
        )
        assert (row["body"], json.loads(row["attachments"])) == (body, attachments)
    assert got[0]["sent_at"] == "2025-03-12T02:01:00.000000Z" and got[7]["sent_at"] is None


def test_users_are_contacts_with_their_mid(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    run_extract(FolderTree(line_db(tmp_path)), IosLineParser)
    got = store_rows(case, "SELECT app, name, handles, notes FROM contacts ORDER BY record_rowid")
    assert [(g["app"], g["name"], g["notes"]) for g in got] == [
        ("LINE", "หัวหน้า Chen", "Status: 忙"),
        ("LINE", "ปราณี", None),
        ("LINE", "Dara Sok", None),
    ]
    assert json.loads(got[0]["handles"]) == [{"app": "LINE", "user_id": CHEN, "username": None}]
    ids = store_rows(case, "SELECT kind, role FROM identifiers WHERE value = ?", (CHEN,))
    assert {(i["kind"], i["role"]) for i in ids} == {("contacts", "handle"), ("messages", "sender")}


def test_missing_sender_column_is_an_unsupported_schema(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = tmp_path / "ev" / DB
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE ZMESSAGE (Z_PK INTEGER PRIMARY KEY, ZCHAT INTEGER, ZTIMESTAMP INTEGER, ZTEXT VARCHAR);"
        "CREATE TABLE ZUSER (Z_PK INTEGER PRIMARY KEY, ZMID VARCHAR, ZNAME VARCHAR);"
        "CREATE TABLE ZCHAT (Z_PK INTEGER PRIMARY KEY, ZMID VARCHAR);"
    )
    conn.close()
    report = run_extract(FolderTree(tmp_path / "ev"), IosLineParser)
    assert report.exhibits[0].parsers["ios.line"].unsupported == 1
    (source,) = store_rows(case, "SELECT detail FROM sources")
    assert (
        "ZMESSAGE.ZSENDER" in source["detail"] and "tables seen: ZCHAT, ZMESSAGE, ZUSER" in source["detail"]
    )

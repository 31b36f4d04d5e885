"""android.telegram on cache4.db built from the client's own schema (samples/schemas/android/
telegram_cache4.sql), with TL blobs of several API layers from the test encoder, and on bad input."""

from __future__ import annotations

import json
import os
import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.parsers.android.telegram import AndroidTelegramParser
from samples.sqlitebuild import schema
from tests.parsers.android import telegram_encoder as enc
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree, MemoryTree
from tests.parsers.util import make_db, sha256_tree, store_rows

DB = "data/data/org.telegram.messenger/files/cache4.db"
CACHE4_SQL = schema("android/telegram_cache4")

OWNER, HR, KO_MIN, OLD, GHOST = 7_123_450_143, 6_512_340_871, 1_234_567_890, 2_000_000_001, 5_000_000_009
GROUP, CHANNEL, NEWS = 4_155_501_877, 1_987_654_321, 1_500_000_000
SECRET_CHAT = 77
SECRET_DIALOG = (1 << 62) | SECRET_CHAT
T = 1_741_900_000  # 2025-03-13T21:06:40Z


def iso(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def insert(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        names = ", ".join(row)
        conn.execute(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )


def msg_row(
    mid: int, uid: int, date: int, data: bytes | None, *, out: bool = False, **extra: Any
) -> dict[str, Any]:
    return {
        "mid": mid,
        "uid": uid,
        "date": date,
        "data": data,
        "out": int(out),
        "read_state": 1,
        "send_state": 0,
        "ttl": 0,
        "media": 0,
        **extra,
    }


def u(user: int, layer: int = 226) -> bytes:
    return enc.peer("user", user, legacy=layer <= 132)


HUGE = "ข้อความยาว 长消息 " * 20_000
MESSAGES: list[dict[str, Any]] = [
    # private chat with HR: current layer, a reply; then the owner's failed answer (layer 195)
    msg_row(
        10,
        HR,
        T,
        enc.message(
            227,
            mid=10,
            date=T,
            text="ส่งเลขบัญชีมา",
            to=u(HR),
            from_user=HR,
            reply_to=enc.reply(0x1B97DD66, msg_id=9),
        ),
    ),
    msg_row(
        11,
        HR,
        T + 60,
        enc.message(
            195, mid=11, date=T + 60, text="KBank 123-4-55501-2", to=u(HR), from_user=OWNER, out=True
        ),
        out=True,
        send_state=2,
    ),
    # the group: Ko Min's photo without caption (layer 179), the owner's answer (layer 173)
    msg_row(
        12,
        -GROUP,
        T + 120,
        enc.message(
            179,
            mid=12,
            date=T + 120,
            text="",
            to=enc.peer("chat", GROUP),
            from_user=KO_MIN,
            media=enc.photo_media(),
        ),
        read_state=0,
    ),
    msg_row(
        13,
        -GROUP,
        T + 180,
        enc.message(
            173, mid=13, date=T + 180, text="收到", to=enc.peer("chat", GROUP), from_user=OWNER, out=True
        ),
        out=True,
    ),
    # a channel post forwarded from another channel (layer 169: no from_id, the channel speaks)
    msg_row(
        14,
        -CHANNEL,
        T + 240,
        enc.message(
            169,
            mid=14,
            date=T + 240,
            text="USDT 7.2",
            to=enc.peer("channel", CHANNEL),
            fwd=enc.forward(0x4E4DF4BB, date=T - 3600, from_peer=enc.peer("channel", NEWS), channel_post=5),
        ),
    ),
    # an old message of layer 118 (32-bit sender, bare reply id) still in the cache
    msg_row(
        15,
        KO_MIN,
        T + 300,
        enc.message(
            118, mid=15, date=T + 300, text="ok ครับ", to=u(KO_MIN, 118), from_user=KO_MIN, reply_to=14
        ),
    ),
    # service messages: the owner created the group; a missed and an answered call with HR
    msg_row(
        16,
        -GROUP,
        T - 86_400,
        enc.service(
            0x7A800E0A,
            mid=16,
            date=T - 86_400,
            to=enc.peer("chat", GROUP),
            from_user=OWNER,
            out=True,
            action=enc.chat_create("การเงิน 财务", [HR, KO_MIN]),
        ),
        out=True,
    ),
    msg_row(
        17,
        HR,
        T + 360,
        enc.service(
            0x2B085862,
            mid=17,
            date=T + 360,
            to=u(OWNER),
            from_user=HR,
            action=enc.phone_call(call_id=1, video=False, reason=enc.MISSED, duration=None),
        ),
    ),
    msg_row(
        18,
        HR,
        T + 420,
        enc.service(
            0x7A800E0A,
            mid=18,
            date=T + 420,
            to=u(HR),
            from_user=OWNER,
            out=True,
            action=enc.phone_call(call_id=2, video=True, reason=enc.HANGUP, duration=300),
        ),
        out=True,
    ),
    # what cannot be decoded: an unknown layer, a reply quoting a photo, no blob, a blob of another row
    msg_row(
        19,
        HR,
        T + 480,
        enc.u32(0x12345678)
        + enc.u32(0)
        + enc.i32(19)
        + u(HR)
        + enc.i32(T + 480)
        + enc.tl_string("not for us"),
    ),
    msg_row(
        20,
        HR,
        T + 540,
        enc.message(
            226,
            mid=20,
            date=T + 540,
            text="hidden",
            to=u(HR),
            from_user=HR,
            reply_to=enc.reply(0x6917560B, msg_id=12, reply_media=enc.photo_media()),
        ),
    ),
    msg_row(21, HR, T + 600, None),
    msg_row(22, HR, T + 660, enc.message(226, mid=99, date=T, text="moved", to=u(HR), from_user=HR)),
    # a secret chat with Ko Min; broken UTF-8; a location; an empty message; a huge text
    msg_row(
        -5,
        SECRET_DIALOG,
        T + 720,
        enc.secret_message(mid=-5, date=T + 720, text="ลบหลังอ่าน", from_user=KO_MIN, to=u(OWNER)),
    ),
    msg_row(
        23,
        HR,
        T + 780,
        enc.message(226, mid=23, date=T + 780, text=b"bad \xff\xfe text", to=u(HR), from_user=HR),
    ),
    msg_row(
        24,
        KO_MIN,
        T + 840,
        enc.message(
            226,
            mid=24,
            date=T + 840,
            text="here",
            to=u(KO_MIN),
            from_user=KO_MIN,
            media=enc.geo_media(16.7123, 98.5678),
        ),
    ),
    msg_row(25, KO_MIN, T + 900, enc.u32(0x90A6CA84) + enc.u32(0) + enc.i32(25)),
    msg_row(
        26, KO_MIN, T + 960, enc.message(226, mid=26, date=T + 960, text=HUGE, to=u(KO_MIN), from_user=KO_MIN)
    ),
    # Ko Min pinned the huge message; a call whose end reason is of a layout not in the tables
    msg_row(
        27,
        KO_MIN,
        T + 1020,
        enc.service(
            0x7A800E0A,
            mid=27,
            date=T + 1020,
            to=u(OWNER),
            from_user=KO_MIN,
            reply_to=26,
            action=enc.u32(0x94BD38ED),
        ),
    ),
    msg_row(
        28,
        HR,
        T + 1080,
        enc.service(
            0x7A800E0A,
            mid=28,
            date=T + 1080,
            to=u(OWNER),
            from_user=HR,
            action=enc.phone_call(call_id=3, video=False, reason=0x9FBBF1F7, duration=30),
        ),
    ),
]


def build(path: Path, messages: list[dict[str, Any]] | None = None) -> Path:
    make_db(path, CACHE4_SQL)
    conn = sqlite3.connect(path)
    owner = enc.user(
        0x31774388,
        uid=OWNER,
        first="Chen",
        last="Zhiqiang",
        username="chen_zq",
        phone="66925550143",
        is_self=True,
    )
    hr = enc.user(
        0x020B1422,
        uid=HR,
        first="Golden Dawn",
        last="HR",
        username="golden_dawn_hr",
        phone="855965550187",
        contact=True,
    )
    insert(
        conn,
        "users",
        [
            {"uid": OWNER, "name": "chen zhiqiang;;;chen_zq", "status": T, "data": owner},
            {"uid": HR, "name": "golden dawn hr;;;golden_dawn_hr", "status": -100, "data": hr},
            {"uid": KO_MIN, "name": "ko min;;;", "status": 0, "data": None},
            {"uid": OLD, "name": "someone", "status": 0, "data": enc.u32(0x4B46C37E) + bytes(40)},
            {"uid": GHOST, "name": "", "status": 0, "data": enc.user(0x8F97C628, uid=GHOST, deleted=True)},
        ],
    )
    insert(conn, "contacts", [{"uid": HR, "mutual": 1}])
    insert(
        conn,
        "chats",
        [{"uid": GROUP, "name": "การเงิน 财务"}, {"uid": CHANNEL, "name": "Crypto signals 信号"}],
    )
    insert(conn, "enc_chats", [{"uid": SECRET_CHAT, "user": KO_MIN, "name": "ko min", "layer": 144}])
    insert(conn, "messages_v2", MESSAGES if messages is None else messages)
    insert(conn, "dialogs", [{"did": HR, "date": T + 960, "last_mid": 26, "unread_count": 0}])
    insert(
        conn,
        "user_contacts_v7",
        [{"key": "k1", "uid": 412, "fname": "Wichai", "sname": "Mule", "imported": 1}],
    )
    insert(
        conn,
        "user_phones_v7",
        [
            {"key": "k1", "phone": "089-555-0112", "sphone": "5550112", "deleted": 0},
            {"key": "k1", "phone": "0895550113", "sphone": "5550113", "deleted": 1},
        ],
    )
    conn.commit()
    conn.close()
    return path


@pytest.fixture()
def extracted(tmp_path: Path, case: FakeCase, run_extract: Runner) -> FakeCase:
    evidence = tmp_path / "evidence"
    build(evidence / DB)
    before = sha256_tree(evidence)
    report = run_extract(FolderTree(evidence), AndroidTelegramParser)
    assert sha256_tree(evidence) == before
    summary = report.exhibits[0].parsers["android.telegram"]
    assert (summary.parsed, summary.errors, not report.failed) == (1, 0, True)
    return case


def messages(case: FakeCase) -> dict[int, dict[str, Any]]:
    rows = store_rows(case, "SELECT * FROM messages ORDER BY record_rowid")
    return {int(r["record_rowid"]): r for r in rows}


def by_mid(case: FakeCase) -> dict[int, dict[str, Any]]:
    mids = {i: r["mid"] for i, r in enumerate(MESSAGES, 1)}
    return {mids[rowid]: row for rowid, row in messages(case).items()}


def test_every_row_is_a_message(extracted: FakeCase) -> None:
    rows = messages(extracted)
    assert sorted(rows) == list(range(1, len(MESSAGES) + 1))
    assert {r["record_table"] for r in rows.values()} == {"messages_v2"}
    assert {r["app"] for r in rows.values()} == {"Telegram"} and {r["account"] for r in rows.values()} == {
        str(OWNER)
    }
    for rowid, row in rows.items():
        assert (
            row["sent_at"] == iso(MESSAGES[rowid - 1]["date"])
            and row["sent_at_raw"] == MESSAGES[rowid - 1]["date"]
        )
        assert row["thread_id"] == str(MESSAGES[rowid - 1]["uid"])


def test_private_chat_reply_and_failed_answer(extracted: FakeCase) -> None:
    rows = by_mid(extracted)
    first, answer = rows[10], rows[11]
    assert first["body"] == "[Reply to message 9]\nส่งเลขบัญชีมา"
    assert (first["direction"], first["status"], first["thread_name"]) == (
        "incoming",
        "read",
        "Golden Dawn HR",
    )
    assert (first["sender"], first["sender_user_id"], first["sender_name"]) == (
        str(HR),
        str(HR),
        "Golden Dawn HR",
    )
    assert first["sender_phone"] == "+855965550187" and first["recipients"] == "[]"
    assert (answer["direction"], answer["status"], answer["sender"]) == ("outgoing", "failed", None)
    assert answer["recipients"] == f'["{HR}"]' and answer["recipient_phones"] == '["+855965550187"]'


def test_group_photo_only_message_and_channel_forward(extracted: FakeCase) -> None:
    rows = by_mid(extracted)
    photo = rows[12]
    assert photo["body"] is None and json.loads(photo["attachments"]) == [
        {"name": "photo", "mime_type": None, "path": None, "size": None}
    ]
    assert (photo["thread_name"], photo["sender_name"], photo["sender_user_id"]) == (
        "การเงิน 财务",
        "ko min",
        str(KO_MIN),
    )
    assert photo["status"] == "unread" and photo["sender_phone"] is None
    assert (rows[13]["body"], rows[13]["direction"], rows[13]["recipients"]) == ("收到", "outgoing", "[]")
    post = rows[14]
    assert post["thread_name"] == "Crypto signals 信号" and post["sender_user_id"] == str(CHANNEL)
    assert post["body"] == f"[Forwarded from {NEWS}, originally sent {iso(T - 3600)}]\nUSDT 7.2"
    old = rows[15]
    assert (old["body"], old["sender_user_id"]) == ("[Reply to message 14]\nok ครับ", str(KO_MIN))


def test_service_messages_and_calls(extracted: FakeCase) -> None:
    rows = by_mid(extracted)
    assert rows[16]["body"] == (
        f'group created: "การเงิน 财务"; with Golden Dawn HR ({HR}), ko min ({KO_MIN})'
    )
    assert rows[16]["status"] == "service message" and rows[16]["direction"] == "outgoing"
    assert (
        rows[17]["body"] == "call: voice call, missed"
        and rows[18]["body"] == "call: video call, 300 s, hung up"
    )
    calls = store_rows(extracted, "SELECT * FROM calls ORDER BY started_at")
    assert [(c["direction"], c["status"], c["call_type"], c["duration_s"]) for c in calls] == [
        ("incoming", "missed", "voice", None),
        ("outgoing", "answered", "video", 300),
        ("incoming", None, "voice", None),  # the end reason is of an unknown layout: what follows it too
    ]
    assert {c["name"] for c in calls} == {f"Golden Dawn HR (Telegram user {HR})"}
    assert {c["number_e164"] for c in calls} == {"+855965550187"}
    assert [c["started_at_raw"] for c in calls] == [T + 360, T + 420, T + 1080]
    assert [c["record_rowid"] for c in calls] == [8, 9, 20]  # the rows of their service messages
    assert rows[28]["body"] == "call: voice call, reason 0x9fbbf1f7; details not decoded"
    assert rows[27]["body"] == "message pinned: message 26" and rows[27]["sender_name"] == "ko min"


def test_undecodable_blobs_keep_the_row_and_say_why(extracted: FakeCase) -> None:
    rows = by_mid(extracted)
    for mid in (19, 20, 21, 22):
        assert rows[mid]["body"] is None and rows[mid]["direction"] == "incoming", mid
        assert rows[mid]["sent_at"] == iso(next(m["date"] for m in MESSAGES if m["mid"] == mid))
    assert rows[20]["sender_user_id"] == str(HR)  # read before the quoted photo stopped decoding
    warnings = store_rows(
        extracted,
        "SELECT error, record_table, record_rowid FROM extraction_errors WHERE severity = 'warning'",
    )
    by_row = {w["record_rowid"]: w["error"] for w in warnings if w["record_table"] == "messages_v2"}
    assert set(by_row) == {10, 11, 12, 13, 20}
    assert by_row[20].endswith("PhoneCallDiscardReason constructor 0x9fbbf1f7 at offset 56 is not known")
    assert "TL constructor 0x12345678 not decoded" in by_row[10] and "mid=19" in by_row[10]
    assert "messageMediaPhoto" in by_row[11] and "no text" in by_row[11]
    assert "no TL blob" in by_row[12]
    assert "do not match the row's mid 22" in by_row[13]
    joined = store_rows(  # the query docs/artefacts.md gives for messages read only in part
        extracted,
        "SELECT m.*, e.error FROM messages m JOIN extraction_errors e ON e.source_id = m.source_id "
        "AND e.record_table = m.record_table AND e.record_rowid = m.record_rowid",
    )
    assert sorted(r["record_rowid"] for r in joined) == [10, 11, 12, 13, 20]
    users = [w for w in warnings if w["record_table"] == "users"]
    assert len(users) == 1 and users[0]["record_rowid"] == OLD and "0x4b46c37e" in users[0]["error"]


def test_secret_chat_location_empty_and_text_oddities(extracted: FakeCase) -> None:
    rows = by_mid(extracted)
    secret = rows[-5]
    assert (secret["thread_name"], secret["body"], secret["sender_user_id"]) == (
        "secret chat with ko min",
        "ลบหลังอ่าน",
        str(KO_MIN),
    )
    assert rows[23]["body"] == "bad \ufffd\ufffd text" and rows[23]["has_undecodable_text"] == 1
    (kept,) = store_rows(extracted, "SELECT raw, column_name FROM undecodable_text")
    assert (kept["raw"], kept["column_name"]) == (b"bad \xff\xfe text", "body")
    assert rows[24]["body"] == "here"
    assert json.loads(rows[24]["attachments"])[0]["name"] == "location: 16.712300, 98.567800"
    assert (rows[25]["body"], rows[25]["status"]) == (None, "empty (deleted or unavailable on the server)")
    assert rows[26]["body"] == HUGE


def test_owner_account_contacts_and_phone_book(extracted: FakeCase) -> None:
    (account,) = store_rows(extracted, "SELECT * FROM accounts")
    assert (account["user_id"], account["display_name"], account["username"]) == (
        str(OWNER),
        "Chen Zhiqiang",
        "chen_zq",
    )
    assert (account["phone"], account["phone_e164"]) == ("+66925550143", "+66925550143")
    contacts = {c["name"]: c for c in store_rows(extracted, "SELECT * FROM contacts")}
    assert set(contacts) == {"Golden Dawn HR", "ko min", "someone", "Wichai Mule", None}
    assert (
        contacts[None]["notes"] == "seen in the owner's chats or groups, not a saved contact; deleted account"
    )
    assert json.loads(contacts[None]["handles"])[0]["user_id"] == str(GHOST)
    hr = contacts["Golden Dawn HR"]
    assert json.loads(hr["phones"]) == [{"number": "+855965550187", "label": None, "e164": "+855965550187"}]
    assert json.loads(hr["handles"]) == [
        {"app": "Telegram", "user_id": str(HR), "username": "golden_dawn_hr"}
    ]
    assert hr["notes"] == "in the owner's Telegram contacts (mutual)"
    assert contacts["ko min"]["notes"] == "seen in the owner's chats or groups, not a saved contact"
    book = contacts["Wichai Mule"]
    assert (book["record_table"], book["account"]) == ("user_contacts_v7", "phone book cache")
    assert [(p["number"], p["e164"], p["label"]) for p in json.loads(book["phones"])] == [
        ("089-555-0112", "+66895550112", None),
        ("0895550113", "+66895550113", "deleted from the phone book"),
    ]


def test_out_of_range_time_is_warned_and_kept(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    rows = [
        msg_row(1, HR, 999_999_999_999, enc.message(226, mid=1, date=T, text="far", to=u(HR), from_user=HR))
    ]
    report = run_extract(FolderTree(build(tmp_path / "e" / DB, rows).parents[5]), AndroidTelegramParser)
    (row,) = messages(case).values()
    assert (row["sent_at"], row["sent_at_raw"]) == (None, 999_999_999_999)
    # the user of an unknown layout that build() always adds, the layout check, then the time
    assert report.exhibits[0].parsers["android.telegram"].warnings == 3
    errors = [r["error"] for r in store_rows(case, "SELECT error FROM extraction_errors")]
    assert any("out of range" in e for e in errors) and any("do not match" in e for e in errors)


# MessagesStorage.createTables of the 5.x-7.x client (before messages_v2), trimmed to the tables read.
OLD_SQL = """
CREATE TABLE messages(mid INTEGER PRIMARY KEY, uid INTEGER, read_state INTEGER, send_state INTEGER,
  date INTEGER, data BLOB, out INTEGER, ttl INTEGER, media INTEGER, replydata BLOB, imp INTEGER,
  mention INTEGER);
CREATE TABLE users(uid INTEGER PRIMARY KEY, name TEXT, status INTEGER, data BLOB);
CREATE TABLE chats(uid INTEGER PRIMARY KEY, name TEXT, data BLOB);
CREATE TABLE enc_chats(uid INTEGER PRIMARY KEY, user INTEGER, name TEXT, data BLOB, g BLOB, authkey BLOB,
  ttl INTEGER, layer INTEGER, seq_in INTEGER, seq_out INTEGER, use_count INTEGER, exchange_id INTEGER,
  key_date INTEGER, fprint INTEGER, fauthkey BLOB, khash BLOB, in_seq_no INTEGER, admin_id INTEGER);
CREATE TABLE dialogs(did INTEGER PRIMARY KEY, date INTEGER, unread_count INTEGER, last_mid INTEGER,
  inbox_max INTEGER, outbox_max INTEGER, last_mid_i INTEGER, unread_count_i INTEGER, pts INTEGER,
  date_i INTEGER, pinned INTEGER, flags INTEGER);
"""


def test_older_client_layout_with_32_bit_ids(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    """Telegram 7.x: table messages, a channel's id above the message id in mid, secret dialogs id << 32."""
    me, friend, channel = 123_456_789, 987_654_321, 1_222_333_444
    channel_mid = (channel << 32) | 41
    rows = [
        (
            1,
            friend,
            1,
            0,
            T,
            enc.message(131, mid=1, date=T, text="สวัสดี", to=u(friend, 131), from_user=friend),
            0,
        ),
        (
            2,
            friend,
            1,
            0,
            T + 1,
            enc.message(123, mid=2, date=T + 1, text="hi", to=u(friend, 123), from_user=me, out=True),
            1,
        ),
        (
            channel_mid,
            -channel,
            1,
            0,
            T + 2,
            enc.message(131, mid=41, date=T + 2, text="post", to=enc.peer("channel", channel, legacy=True)),
            0,
        ),
        (
            -7,
            9 << 32,
            1,
            0,
            T + 3,
            enc.secret_message(mid=-7, date=T + 3, text="s", from_user=friend, to=u(me, 1)),
            0,
        ),
    ]
    evidence = tmp_path / "evidence"
    make_db(
        evidence / DB,
        OLD_SQL,
        {
            "messages": [(*r[:6], r[6], 0, 0, None, 0, 0) for r in rows],
            "users": [
                (
                    friend,
                    "somchai;;;",
                    0,
                    enc.user(0x938458C1, uid=friend, first="Somchai", phone="66812345678"),
                )
            ],
            "chats": [(channel, "ข่าว news", None)],
            "enc_chats": [(9, friend, "somchai", *[None] * 15)],
        },
    )
    report = run_extract(FolderTree(evidence), AndroidTelegramParser)
    assert report.exhibits[0].parsers["android.telegram"].warnings == 0
    got = store_rows(
        case, "SELECT body, thread_name, sender_user_id, account, direction FROM messages ORDER BY sent_at"
    )
    assert [tuple(r.values()) for r in got] == [
        ("สวัสดี", "Somchai", str(friend), str(me), "incoming"),
        ("hi", "Somchai", None, str(me), "outgoing"),
        ("post", "ข่าว news", str(channel), str(me), "incoming"),
        ("s", "secret chat with Somchai", str(friend), str(me), "incoming"),
    ]
    (account,) = store_rows(case, "SELECT user_id, record_table FROM accounts")
    assert account == {"user_id": str(me), "record_table": "messages"}  # found from its outgoing messages


def run_on(data: bytes, run_extract: Runner) -> Any:
    return run_extract(MemoryTree({"/" + DB: data}), AndroidTelegramParser)


def test_not_sqlite_is_an_error_naming_the_file(case: FakeCase, run_extract: Runner) -> None:
    report = run_on(os.urandom(16384), run_extract)
    assert report.failed
    (source,) = store_rows(case, "SELECT status, detail, source_path FROM sources")
    assert source["status"] == "error" and "is not a SQLite database" in source["detail"]
    assert source["source_path"] == "/" + DB


def many(n: int) -> list[dict[str, Any]]:
    text = "โอนเงินแล้ว 已转账 " * 20
    return [
        msg_row(i, HR, T + i, enc.message(226, mid=i, date=T + i, text=f"{i} {text}", to=u(HR), from_user=HR))
        for i in range(1, n + 1)
    ]


def test_truncated_database_keeps_rows_before_the_cut(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    data = build(tmp_path / "full.db", many(3000)).read_bytes()
    run_on(data[: len(data) * 6 // 10], run_extract)
    (source,) = store_rows(case, "SELECT status, records, detail FROM sources")
    assert source["status"] == "error", source
    assert 0 < int(source["records"]) < 3000 + 5, source  # a partial result, never silently empty
    assert "SQLite could not read the database" in str(source["detail"])


def test_pages_of_garbage_give_an_error_and_a_partial_result(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    data = bytearray(build(tmp_path / "full.db", many(3000)).read_bytes())
    page, rng = 4096, random.Random(6)
    middle = len(data) // page // 2
    for n in range(middle, middle + 5):
        data[n * page : (n + 1) * page] = bytes(rng.getrandbits(8) for _ in range(page))
    run_on(bytes(data), run_extract)
    (source,) = store_rows(case, "SELECT status, records FROM sources")
    assert source["status"] == "error" and 0 < int(source["records"]) < 3000 + 5


def test_missing_columns_are_an_unsupported_schema(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    evidence = tmp_path / "evidence"
    make_db(
        evidence / DB,
        "CREATE TABLE messages_v2(mid INTEGER, uid INTEGER, date INTEGER, out INTEGER);"
        "CREATE TABLE users(uid INTEGER PRIMARY KEY, name TEXT, data BLOB);"
        "CREATE TABLE chats(uid INTEGER, name TEXT);",
    )
    report = run_extract(FolderTree(evidence), AndroidTelegramParser)
    assert report.exhibits[0].parsers["android.telegram"].unsupported == 1 and not report.failed
    (source,) = store_rows(case, "SELECT status, detail, tables_seen FROM sources")
    assert source["status"] == "unsupported schema" and "messages_v2.data" in source["detail"]
    assert "messages_v2" in source["tables_seen"]


@pytest.mark.parametrize("jobs", [0, 2])
def test_same_rows_inline_and_in_a_pool(
    tmp_path: Path, case: FakeCase, run_extract: Runner, jobs: int
) -> None:
    evidence = tmp_path / "evidence"
    build(evidence / DB)
    run_extract(FolderTree(evidence), AndroidTelegramParser, jobs=jobs)
    bodies = [r["body"] for r in store_rows(case, "SELECT body FROM messages ORDER BY record_rowid")]
    assert len(bodies) == len(MESSAGES) and bodies[0] == "[Reply to message 9]\nส่งเลขบัญชีมา"


BAD = b"\xe0\xb8\xaa\xffA"  # a Thai letter, a byte that is never UTF-8, then A
BAD_SHOWN = "ส\ufffdA"


def test_invalid_utf8_stays_flagged_in_the_text_the_parser_composes(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    rows = [
        # rowid 1: a forward whose author hides their account: only a name, not valid UTF-8
        msg_row(
            30,
            HR,
            T,
            enc.message(
                226,
                mid=30,
                date=T,
                text="hi",
                to=u(HR),
                from_user=HR,
                fwd=enc.forward(0x4E4DF4BB, date=T - 3600, from_name=BAD),
            ),
        ),
        # rowid 2: a group created with a title that is not valid UTF-8, with HR (his first name too)
        msg_row(
            31,
            -GROUP,
            T + 60,
            enc.service(
                0x7A800E0A,
                mid=31,
                date=T + 60,
                to=enc.peer("chat", GROUP),
                from_user=OWNER,
                out=True,
                action=enc.chat_create(BAD, [HR]),
            ),
            out=True,
        ),
        # rowid 3: a call with HR: the call's name is composed from his name
        msg_row(
            32,
            HR,
            T + 120,
            enc.service(
                0x7A800E0A,
                mid=32,
                date=T + 120,
                to=u(HR),
                from_user=OWNER,
                out=True,
                action=enc.phone_call(call_id=2, video=False, reason=enc.HANGUP, duration=60),
            ),
            out=True,
        ),
    ]
    path = build(tmp_path / "evidence" / DB, rows)
    hr = enc.user(0x020B1422, uid=HR, first=BAD, last="HR", phone="855965550187", contact=True)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE users SET data = ? WHERE uid = ?", (hr, HR))
    conn.execute(
        "UPDATE users SET name = CAST(? AS TEXT) WHERE uid = ?", (b"ko " + BAD + b" ;;;komin", KO_MIN)
    )
    conn.execute("UPDATE user_contacts_v7 SET fname = CAST(? AS TEXT)", (b" " + BAD + b" ",))
    conn.commit()
    conn.close()
    report = run_extract(FolderTree(tmp_path / "evidence"), AndroidTelegramParser)
    assert not report.failed

    def flagged(kind: str, table: str, rowid: int) -> tuple[Any, ...]:
        (row,) = store_rows(
            case,
            f"SELECT * FROM {kind} WHERE record_table = ? AND record_rowid = ?",
            (table, rowid),
        )
        raws = store_rows(
            case,
            "SELECT column_name, raw FROM undecodable_text WHERE kind = ? AND record_table = ? "
            "AND record_rowid = ? ORDER BY id",
            (kind, table, rowid),
        )
        return row, row["has_undecodable_text"], {str(r["column_name"]): bytes(r["raw"]) for r in raws}

    forward, flag, raws = flagged("messages", "messages_v2", 1)
    sent = iso(T - 3600)
    assert forward["body"] == f"[Forwarded from {BAD_SHOWN}, originally sent {sent}]\nhi" and flag == 1
    assert raws["body"] == b"[Forwarded from " + BAD + f", originally sent {sent}]\nhi".encode()

    created, flag, raws = flagged("messages", "messages_v2", 2)
    assert (created["body"], flag) == (f'group created: "{BAD_SHOWN}"; with {BAD_SHOWN} HR ({HR})', 1)
    assert raws["body"] == b'group created: "' + BAD + b'"; with ' + BAD + f" HR ({HR})".encode()

    call, flag, raws = flagged("calls", "messages_v2", 3)
    assert (call["name"], flag) == (f"{BAD_SHOWN} HR (Telegram user {HR})", 1)
    assert raws["name"] == BAD + f" HR (Telegram user {HR})".encode()

    ko_min, flag, raws = flagged("contacts", "users", KO_MIN)
    assert (ko_min["name"], flag, raws["name"]) == (f"ko {BAD_SHOWN}", 1, b"ko " + BAD)

    (book,) = store_rows(case, "SELECT record_rowid FROM contacts WHERE record_table = 'user_contacts_v7'")
    wichai, flag, raws = flagged("contacts", "user_contacts_v7", int(book["record_rowid"]))
    assert (wichai["name"], flag, raws["name"]) == (f"{BAD_SHOWN} Mule", 1, BAD + b" Mule")

"""WhatsApp for iOS on ChatStorage, ContactsV2 and CallHistory built from the real schemas."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.parsers.ios.whatsapp import (
    IosWhatsAppCallsParser,
    IosWhatsAppContactsParser,
    IosWhatsAppParser,
    jid_phone,
)
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.ios.dbs import build, mac_s, utc
from tests.parsers.trees import FolderTree
from tests.parsers.util import store_rows

GROUP_DIR = "private/var/mobile/Containers/Shared/AppGroup/5A3C1E8B-2F4D-4B6A-9C7E-1D2F3A4B5C6D"
BACKUP_SMB = "private/var/mobile/Containers/Shared/AppGroup/group.net.whatsapp.WhatsAppSMB.shared"
NOK, KOMIN, LIU = "66812345678@s.whatsapp.net", "959425550188@s.whatsapp.net", "8613955500178@s.whatsapp.net"
GROUP, LID = "120363099555001@g.us", "203944150871257@lid"
T0 = mac_s(utc(2025, 3, 5, 2, 0, 0, 500000))


def session(pk: int, jid: str, name: str, kind: int) -> dict[str, Any]:
    return {
        "Z_PK": pk,
        "Z_ENT": 4,
        "Z_OPT": 1,
        "ZCONTACTJID": jid,
        "ZPARTNERNAME": name,
        "ZSESSIONTYPE": kind,
    }


def msg(pk: int, sess: int, me: int, text: str | None, kind: int = 0, **extra: Any) -> dict[str, Any]:
    date = T0 + 60 * pk
    return {"Z_PK": pk, "Z_ENT": 9, "Z_OPT": 1, "ZCHATSESSION": sess, "ZISFROMME": me, "ZTEXT": text,
            "ZMESSAGETYPE": kind, "ZMESSAGEDATE": date, "ZSENTDATE": date, **extra}  # fmt: skip


def media(pk: int, message: int, **extra: Any) -> dict[str, Any]:
    return {"Z_PK": pk, "Z_ENT": 10, "Z_OPT": 1, "ZMESSAGE": message, **extra}


MESSAGES = [
    msg(1, 1, 0, "โอนเงินแล้ว", ZFROMJID=NOK, ZPUSHNAME="Nok"),
    msg(2, 1, 1, "ok", ZTOJID=NOK),
    msg(3, 2, 0, "ဒီအပတ် လူသစ် ၈ ယောက်", ZFROMJID=GROUP, ZGROUPMEMBER=1),
    msg(4, 2, 0, None, 1, ZFROMJID=GROUP, ZGROUPMEMBER=2, ZMEDIAITEM=1),
    msg(5, 2, 1, "收到", ZTOJID=GROUP),
    msg(6, 3, 0, "Pay the agents in USDT", ZFROMJID=LID),
    msg(7, 3, 0, None, 14, ZFROMJID=LID),
    msg(8, 3, 0, None, 5, ZFROMJID=LID, ZMEDIAITEM=2),
    msg(9, 1, 0, None, 1, ZFROMJID=NOK, ZMEDIAITEM=3),
    msg(10, 2, 0, "ทีมใหม่", 6, ZFROMJID=GROUP),
    msg(11, 1, 1, "ส่งไม่ได้", ZTOJID=NOK, ZMESSAGEERRORSTATUS=1),
    msg(12, 1, 1, None, 4, ZTOJID=NOK, ZMEDIAITEM=4),
]
MEDIA = [
    media(1, 4, ZTITLE="รูปพาสปอร์ต", ZMEDIALOCALPATH=f"Media/{GROUP}/a/3/a3f1.jpg", ZVCARDSTRING="image/jpeg",
          ZFILESIZE=221904),
    media(2, 8, ZLATITUDE=11.5564, ZLONGITUDE=104.9282),
    media(3, 9, ZMEDIALOCALPATH=f"Media/{NOK}/b/1/b1c2.mp4", ZVCARDSTRING="video/mp4", ZFILESIZE=3_000_000,
          ZLATITUDE=16.7131, ZLONGITUDE=98.5708, ZTITLE="ด่านแม่สอด"),
    media(4, 12, ZVCARDNAME="Dara Sok", ZVCARDSTRING="BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Dara\r\nEND:VCARD"),
]  # fmt: skip


def chatstorage(root: Path, folder: str = GROUP_DIR) -> Path:
    build(
        root / "ev" / folder / "ChatStorage.sqlite",
        "ios/whatsapp_chatstorage",
        {
            "ZWACHATSESSION": [
                session(1, NOK, "พี่นก", 0),
                session(2, GROUP, "ทีม 团队", 1),
                session(3, LID, "王老板", 0),
            ],
            "ZWAGROUPMEMBER": [
                {"Z_PK": 1, "ZCHATSESSION": 2, "ZMEMBERJID": KOMIN, "ZCONTACTNAME": "Ko Min"},
                {"Z_PK": 2, "ZCHATSESSION": 2, "ZMEMBERJID": LIU, "ZFIRSTNAME": "Liu"},
            ],
            "ZWAMESSAGE": MESSAGES,
            "ZWAMEDIAITEM": MEDIA,
        },
    )
    return root / "ev"


def when(pk: int) -> str:
    return f"2025-03-05T{2 + pk // 60:02d}:{pk % 60:02d}:00.500000Z"


def expected(
    pk: int, thread: str, thread_name: str, direction: str, body: str | None, **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "record_rowid": pk, "app": "WhatsApp", "thread_id": thread, "thread_name": thread_name,
        "sender": None, "sender_phone": None, "sender_user_id": None, "sender_name": None, "recipients": [],
        "recipient_phones": [], "direction": direction, "status": None, "sent_at": when(pk),
        "sent_at_raw": T0 + 60 * pk, "body": body, "attachments": [], "is_deleted": 0,
    }  # fmt: skip
    row.update(extra)
    return row


def attachment(name: str | None, mime: str | None, path: str | None, size: int | None) -> dict[str, Any]:
    return {"name": name, "mime_type": mime, "path": path, "size": size}


EXPECTED = [
    expected(1, NOK, "พี่นก", "incoming", "โอนเงินแล้ว", sender=NOK, sender_phone="+66812345678",
             sender_user_id=NOK, sender_name="Nok"),
    expected(2, NOK, "พี่นก", "outgoing", "ok", recipients=[NOK], recipient_phones=["+66812345678"]),
    expected(3, GROUP, "ทีม 团队", "incoming", "ဒီအပတ် လူသစ် ၈ ယောက်", sender=KOMIN,
             sender_phone="+959425550188", sender_user_id=KOMIN, sender_name="Ko Min"),
    expected(4, GROUP, "ทีม 团队", "incoming", "รูปพาสปอร์ต", sender=LIU, sender_phone="+8613955500178",
             sender_user_id=LIU, sender_name="Liu",
             attachments=[attachment("a3f1.jpg", "image/jpeg", f"Media/{GROUP}/a/3/a3f1.jpg", 221904)]),
    expected(5, GROUP, "ทีม 团队", "outgoing", "收到", recipients=[GROUP]),
    expected(6, LID, "王老板", "incoming", "Pay the agents in USDT", sender=LID, sender_user_id=LID,
             sender_name="王老板"),
    expected(7, LID, "王老板", "incoming", None, sender=LID, sender_user_id=LID, sender_name="王老板",
             status="deleted for everyone", is_deleted=1),
    expected(8, LID, "王老板", "incoming", "Location: 11.556400, 104.928200", sender=LID, sender_user_id=LID,
             sender_name="王老板"),
    expected(9, NOK, "พี่นก", "incoming", "Location: 16.713100, 98.570800\nด่านแม่สอด", sender=NOK,
             sender_phone="+66812345678", sender_user_id=NOK, sender_name="พี่นก",
             attachments=[attachment("b1c2.mp4", "video/mp4", f"Media/{NOK}/b/1/b1c2.mp4", 3_000_000)]),
    expected(10, GROUP, "ทีม 团队", "incoming", "ทีมใหม่", status="event"),
    expected(11, NOK, "พี่นก", "outgoing", "ส่งไม่ได้", status="failed (error 1)", recipients=[NOK],
             recipient_phones=["+66812345678"]),
    expected(12, NOK, "พี่นก", "outgoing", None, recipients=[NOK], recipient_phones=["+66812345678"],
             attachments=[attachment("Dara Sok", "text/vcard", None, None)]),
]  # fmt: skip


def messages(case: FakeCase) -> list[dict[str, Any]]:
    rows = store_rows(
        case,
        "SELECT record_rowid, app, thread_id, thread_name, sender, sender_phone, sender_user_id, "
        "sender_name, recipients, recipient_phones, direction, status, sent_at, sent_at_raw, body, "
        "attachments, is_deleted FROM messages ORDER BY record_rowid",
    )
    for row in rows:
        for key in ("recipients", "recipient_phones", "attachments"):
            row[key] = json.loads(row[key])
    return rows


@pytest.mark.parametrize("jobs", [0, 2])
def test_every_message_exactly(tmp_path: Path, case: FakeCase, run_extract: Runner, jobs: int) -> None:
    report = run_extract(FolderTree(chatstorage(tmp_path)), IosWhatsAppParser, jobs=jobs)
    assert not report.failed
    for want, got in zip(EXPECTED, messages(case), strict=True):
        assert got == want
    ids = {(r["value"], r["role"]) for r in store_rows(case, "SELECT value, role FROM identifiers")}
    assert {
        (LID, "sender"),
        (NOK, "sender"),
        ("+66812345678", "recipient"),
        ("+959425550188", "sender"),
    } <= ids


def test_whatsapp_business_is_named_from_its_backup_folder(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    run_extract(FolderTree(chatstorage(tmp_path, BACKUP_SMB)), IosWhatsAppParser)
    assert {r["app"] for r in store_rows(case, "SELECT app FROM messages")} == {"WhatsApp Business"}


def test_another_apps_chatstorage_is_not_applicable(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = tmp_path / "ev" / GROUP_DIR / "ChatStorage.sqlite"
    path.parent.mkdir(parents=True)
    sqlite3.connect(path).execute("CREATE TABLE ZMESSAGES (Z_PK INTEGER PRIMARY KEY)").connection.close()
    report = run_extract(FolderTree(tmp_path / "ev"), IosWhatsAppParser)
    assert report.exhibits[0].parsers["ios.whatsapp"].not_applicable == 1 and not report.failed


def test_a_missing_column_is_an_unsupported_schema(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = tmp_path / "ev" / GROUP_DIR / "ChatStorage.sqlite"
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZCHATSESSION INTEGER, ZTEXT VARCHAR);"
        "CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, ZCONTACTJID VARCHAR, ZPARTNERNAME VARCHAR);"
    )
    conn.close()
    report = run_extract(FolderTree(tmp_path / "ev"), IosWhatsAppParser)
    assert report.exhibits[0].parsers["ios.whatsapp"].unsupported == 1
    (source,) = store_rows(case, "SELECT detail FROM sources")
    assert "tables seen: ZWACHATSESSION, ZWAMESSAGE" in source["detail"]
    assert "ZWAMESSAGE.ZISFROMME" in source["detail"]


def test_contacts_pair_the_phone_jid_and_the_privacy_id(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    build(
        tmp_path / "ev" / GROUP_DIR / "ContactsV2.sqlite",
        "ios/whatsapp_contactsv2",
        {
            "ZWAADDRESSBOOKCONTACT": [
                {"Z_PK": 1, "ZFULLNAME": "王老板 Boss Wang", "ZPHONENUMBER": "+855965550187",
                 "ZPHONENUMBERLABEL": "mobile", "ZWHATSAPPID": "855965550187@s.whatsapp.net", "ZLID": LID,
                 "ZABOUTTEXT": "Busy"},
                {"Z_PK": 2, "ZGIVENNAME": "Ko Min", "ZLASTNAME": "Thu",
                 "ZLOCALIZEDPHONENUMBER": "09 42555 0188", "ZWHATSAPPID": KOMIN},
                {"Z_PK": 3, "ZBUSINESSNAME": "ร้านทอง Gold", "ZWHATSAPPID": NOK, "ZUSERNAME": "goldshop"},
            ]
        },
    )  # fmt: skip
    report = run_extract(FolderTree(tmp_path / "ev"), IosWhatsAppContactsParser, exhibits=("EX-002",))
    assert not report.failed
    rows = store_rows(
        case, "SELECT name, phones, handles, organization, notes FROM contacts ORDER BY record_rowid"
    )
    assert rows[0]["name"] == "王老板 Boss Wang" and rows[0]["notes"] == "About: Busy"
    assert json.loads(rows[0]["phones"]) == [
        {"number": "+855965550187", "label": "mobile", "e164": "+855965550187"}
    ]
    assert [h["user_id"] for h in json.loads(rows[0]["handles"])] == ["855965550187@s.whatsapp.net", LID]
    assert rows[1]["name"] == "Ko Min Thu"
    assert json.loads(rows[1]["phones"])[0]["number"] == "09 42555 0188"  # exhibit region US: not normalised
    assert rows[2]["name"] == "ร้านทอง Gold" and rows[2]["organization"] == "ร้านทอง Gold"
    assert json.loads(rows[2]["phones"])[0] == {
        "number": "+66812345678",
        "label": None,
        "e164": "+66812345678",
    }
    assert {"app": "WhatsApp", "user_id": None, "username": "goldshop"} in json.loads(rows[2]["handles"])
    ids = {r["value"] for r in store_rows(case, "SELECT value FROM identifiers WHERE row_id = 1")}
    assert {"+855965550187", "855965550187@s.whatsapp.net", LID} <= ids


def test_calls_one_row_per_participant(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    events = [  # pk, incoming, missed, video, outcome, duration, participants
        (1, 1, 0, 0, 0, 203.4, [NOK]),
        (2, 1, 1, 1, 1, 0.0, [KOMIN]),
        (3, 0, 0, 0, 1, 0.0, [LID]),
        (4, 0, 0, 1, 0, 50.0, [KOMIN, LIU]),
        (5, 1, 0, 0, 4, 0.0, []),
        (6, 0, 0, 0, 7, 0.0, [NOK]),
    ]
    participants = [(pk, jid) for pk, *_, people in events for jid in people]
    build(
        tmp_path / "ev" / GROUP_DIR / "CallHistory.sqlite",
        "ios/whatsapp_callhistory",
        {
            "ZWAAGGREGATECALLEVENT": [
                {"Z_PK": pk, "ZINCOMING": inc, "ZMISSED": miss, "ZVIDEO": vid, "ZFIRSTDATE": T0 + pk * 3600}
                for pk, inc, miss, vid, *_ in events
            ],
            "ZWACDCALLEVENT": [
                {"Z_PK": pk, "Z1CALLEVENTS": pk, "ZOUTCOME": out, "ZDATE": T0 + pk * 3600, "ZDURATION": dur}
                for pk, _i, _m, _v, out, dur, _p in events
            ],
            "ZWACDCALLEVENTPARTICIPANT": [
                {"Z_PK": n, "Z1PARTICIPANTS": pk, "ZJIDSTRING": jid}
                for n, (pk, jid) in enumerate(participants, 1)
            ],
        },
    )
    report = run_extract(FolderTree(tmp_path / "ev"), IosWhatsAppCallsParser)
    assert not report.failed
    got = store_rows(
        case,
        "SELECT record_table, record_rowid, number, number_e164, direction, status, call_type, started_at, "
        "duration_s FROM calls ORDER BY id",
    )
    assert [(g["record_table"], g["record_rowid"]) for g in got] == [
        ("ZWACDCALLEVENTPARTICIPANT", 1), ("ZWACDCALLEVENTPARTICIPANT", 2), ("ZWACDCALLEVENTPARTICIPANT", 3),
        ("ZWACDCALLEVENTPARTICIPANT", 4), ("ZWACDCALLEVENTPARTICIPANT", 5), ("ZWACDCALLEVENT", 5),
        ("ZWACDCALLEVENTPARTICIPANT", 6),
    ]  # fmt: skip
    assert [(g["number"], g["number_e164"]) for g in got] == [
        ("+66812345678", "+66812345678"), ("+959425550188", "+959425550188"), (LID, None),
        ("+959425550188", "+959425550188"), ("+8613955500178", "+8613955500178"), (None, None),
        ("+66812345678", "+66812345678"),
    ]  # fmt: skip
    assert [(g["direction"], g["status"], g["call_type"], g["duration_s"]) for g in got] == [
        ("incoming", "answered", "voice", 203), ("incoming", "missed", "video", 0),
        ("outgoing", "not answered", "voice", 0), ("outgoing", "answered", "video", 50),
        ("outgoing", "answered", "video", 50), ("incoming", "rejected", "voice", 0),
        ("outgoing", "outcome 7", "voice", 0),
    ]  # fmt: skip
    assert got[0]["started_at"] == "2025-03-05T03:00:00.500000Z"


def test_jid_phone() -> None:
    assert jid_phone(NOK) == "+66812345678"
    assert jid_phone("66812345678:12@s.whatsapp.net") == "+66812345678"  # a companion device's JID
    assert jid_phone(LID) is None and jid_phone(GROUP) is None and jid_phone(None) is None
    assert jid_phone("status@broadcast") is None


def test_invalid_utf8_in_a_name_part_or_about_text_stays_flagged(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    raw = b"\xe0\xb8\xaa\xffA"  # a Thai letter, a byte that is never UTF-8, then A
    path = build(
        tmp_path / "ev" / GROUP_DIR / "ContactsV2.sqlite",
        "ios/whatsapp_contactsv2",
        {
            "ZWAADDRESSBOOKCONTACT": [
                {"Z_PK": 1, "ZGIVENNAME": "Ko Min", "ZLASTNAME": "Thu", "ZWHATSAPPID": KOMIN},
                {"Z_PK": 2, "ZFULLNAME": "Boss Wang", "ZWHATSAPPID": LIU, "ZABOUTTEXT": "Busy"},
            ]
        },
    )
    conn = sqlite3.connect(path)
    conn.execute("UPDATE ZWAADDRESSBOOKCONTACT SET ZLASTNAME = CAST(? AS TEXT) WHERE Z_PK = 1", (raw,))
    conn.execute("UPDATE ZWAADDRESSBOOKCONTACT SET ZABOUTTEXT = CAST(? AS TEXT) WHERE Z_PK = 2", (raw,))
    conn.commit()
    conn.close()
    report = run_extract(FolderTree(tmp_path / "ev"), IosWhatsAppContactsParser)
    assert not report.failed
    got = store_rows(case, "SELECT name, notes, has_undecodable_text FROM contacts ORDER BY record_rowid")
    assert [(r["name"], r["notes"], r["has_undecodable_text"]) for r in got] == [
        ("Ko Min ส\ufffdA", None, 1),
        ("Boss Wang", "About: ส\ufffdA", 1),
    ]
    kept = store_rows(
        case, "SELECT record_rowid, column_name, raw FROM undecodable_text ORDER BY record_rowid"
    )
    assert [(k["record_rowid"], k["column_name"], k["raw"]) for k in kept] == [
        (1, "name", b"Ko Min " + raw),
        (2, "notes", b"About: " + raw),
    ]

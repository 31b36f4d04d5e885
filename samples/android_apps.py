"""EX-001's chat apps: WhatsApp, LINE, Telegram, Viber and Messenger databases (fill functions)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from samples import story as s
from samples.encodings import tl_message, tron_address
from samples.sqlitebuild import insert

WANG_JID = s.BOSS_WANG.phone[1:] + "@s.whatsapp.net"
GROUP_JID = "120363025555018@g.us"


def msgstore(conn: sqlite3.Connection) -> None:
    insert(
        conn,
        "props",
        [
            {"key": "user_push_name", "value": s.CHEN.name},
            {"key": "db_version", "value": "1"},
            {"key": "fts_ready", "value": "5"},
        ],
    )
    jids = [
        (1, s.CHEN.phone[1:], "s.whatsapp.net", 0),
        (2, s.ANDROID_WHATSAPP_LID, "lid", 0),
        (3, s.BOSS_WANG.phone[1:], "s.whatsapp.net", 0),
        (4, s.LIU.phone[1:], "s.whatsapp.net", 0),
        (5, s.KO_MIN.phone[1:], "s.whatsapp.net", 0),
        (6, GROUP_JID.split("@")[0], "g.us", 1),
    ]
    insert(
        conn,
        "jid",
        [
            {
                "_id": i,
                "user": u,
                "server": srv,
                "agent": 0,
                "device": 0,
                "type": t,
                "raw_string": f"{u}@{srv}",
            }
            for i, u, srv, t in jids
        ],
    )
    # The 1:1 chat with Boss Wang is keyed by his privacy id; jid_map gives his phone number.
    insert(conn, "jid_map", [{"lid_row_id": 2, "jid_row_id": 3, "sort_id": 1}])
    chats = [(1, 2, None), (2, 4, None), (3, 6, "ทีมขาย Team A 销售组")]
    # (chat, from_me, sender jid row for groups, when, type, text, media)
    messages: list[tuple[int, int, int | None, datetime, int, str | None]] = [
        (
            1,
            0,
            None,
            s.bkk(3, 6, 20, 1),
            0,
            "Chen, new USDT address for this week is in the LINE group. 不要用旧的。",
        ),
        (1, 1, None, s.bkk(3, 6, 20, 3), 0, "明白老板，今晚开始用新地址。"),
        (1, 0, None, s.bkk(3, 6, 20, 10), 1, None),
        (1, 0, None, s.bkk(3, 6, 20, 12), 15, None),
        (2, 0, None, s.bkk(3, 4, 10, 40), 0, "这批有5个人，两个会说泰语，一个缅甸人。"),
        (2, 1, None, s.bkk(3, 4, 10, 44), 0, "好的，工资按之前说的，每月1.5万泰铢，护照先放我这里。"),
        (3, 1, None, s.bkk(3, 7, 9, 0), 0, "เป้าวันนี้ลูกค้าใหม่ 5 ราย ห้ามพลาด ใครไม่ถึงเป้าไม่ได้กินข้าวเย็น"),
        (3, 0, 5, s.bkk(3, 7, 9, 5), 0, "ဒီနေ့ customer ၁၀ ယောက် ဆက်သွယ်ပြီးပါပြီ"),
        (3, 0, 4, s.bkk(3, 7, 9, 6), 0, "话术第三版发群里了，大家按这个说：先聊感情，第三天再提投资。"),
        (3, 0, 5, s.bkk(3, 7, 9, 30), 9, None),
    ]
    rows: list[dict[str, Any]] = []
    for n, (chat, from_me, sender, when, kind, text) in enumerate(messages, start=1):
        rows.append(
            {
                "_id": n,
                "chat_row_id": chat,
                "from_me": from_me,
                "key_id": f"3EB0{n:04X}A1B2C3D4E5F6",
                "sender_jid_row_id": sender or 0,
                "status": 13 if from_me else 0,
                "broadcast": 0,
                "recipient_count": 4 if chat == 3 else 0,
                "origination_flags": 0,
                "origin": 0,
                "timestamp": s.unix_ms(when),
                "received_timestamp": s.unix_ms(when) + (0 if from_me else 900),
                "receipt_server_timestamp": -1,
                "message_type": kind,
                "text_data": text,
                "starred": 0,
                "lookup_tables": 0,
                "sort_id": n,
            }
        )
    insert(conn, "message", rows)
    insert(
        conn,
        "message_media",
        [
            {
                "message_row_id": 3,
                "chat_row_id": 1,
                "transferred": 1,
                "file_path": "Media/WhatsApp Images/IMG-20250306-WA0003.jpg",
                "file_size": 183_244,
                "mime_type": "image/jpeg",
                "width": 1080,
                "height": 1920,
                "media_name": None,
                "file_hash": "q1c2Vk0mYl1sYW1wbGUtaW1hZ2UtMDM=",
            },
            {
                "message_row_id": 10,
                "chat_row_id": 3,
                "transferred": 1,
                "file_path": "Media/WhatsApp Documents/script_v3.pdf",
                "file_size": 96_410,
                "mime_type": "application/pdf",
                "media_name": "script_v3.pdf",
                "page_count": 4,
                "file_hash": "c2NyaXB0LXYzLXNhbXBsZS1wZGY=",
            },
        ],
    )
    # Message 4: Boss Wang deleted it for everyone ("This message was deleted").
    insert(
        conn,
        "message_revoked",
        [
            {
                "message_row_id": 4,
                "revoked_key_id": "3EB0REVOKED0004",
                "revoke_timestamp": s.unix_ms(s.bkk(3, 6, 20, 13)),
            }
        ],
    )
    insert(
        conn,
        "chat",
        [
            {
                "_id": c,
                "jid_row_id": j,
                "hidden": 0,
                "subject": subj,
                "created_timestamp": s.unix_ms(s.bkk(2, 1, 9, 0)),
                "archived": 0,
                "sort_timestamp": max(r["timestamp"] for r in rows if r["chat_row_id"] == c),
                "last_message_row_id": max(r["_id"] for r in rows if r["chat_row_id"] == c),
                "display_message_row_id": max(r["_id"] for r in rows if r["chat_row_id"] == c),
                "unseen_message_count": 0,
                "group_type": 0,
            }
            for c, j, subj in chats
        ],
    )
    insert(
        conn,
        "group_participant_user",
        [
            {"group_jid_row_id": 6, "user_jid_row_id": u, "rank": r, "pending": 0}
            for u, r in ((1, 2), (4, 1), (5, 0))
        ],
    )
    insert(
        conn,
        "call_log",
        [
            {
                "_id": 1,
                "jid_row_id": 2,
                "from_me": 0,
                "call_id": "CALL-0305-WANG",
                "transaction_id": 1,
                "timestamp": s.unix_ms(s.bkk(3, 5, 23, 2)),
                "video_call": 0,
                "duration": 241,
                "call_result": 5,
                "bytes_transferred": 1_402_881,
            },
            {
                "_id": 2,
                "jid_row_id": 4,
                "from_me": 0,
                "call_id": "CALL-0309-LIU",
                "transaction_id": 2,
                "timestamp": s.unix_ms(s.bkk(3, 9, 12, 30)),
                "video_call": 1,
                "duration": 0,
                "call_result": 2,
                "bytes_transferred": 0,
            },
        ],
    )


def wa_db(conn: sqlite3.Connection) -> None:
    contacts = [
        (WANG_JID, "+855 96 555 0187", s.BOSS_WANG.name, "王老板", 8),
        (s.LIU.phone[1:] + "@s.whatsapp.net", "+86 139 5550 0178", s.LIU.name, "Liu Yang", 2),
        (s.KO_MIN.phone[1:] + "@s.whatsapp.net", "+95 9 42555 0188", "Ko Min (အလုပ်သမား)", "Ko Min", 3),
    ]
    insert(
        conn,
        "wa_contacts",
        [
            {
                "jid": jid,
                "is_whatsapp_user": 1,
                "status": "Hey there! I am using WhatsApp.",
                "status_timestamp": 1735689600000,
                "number": number,
                "raw_contact_id": raw,
                "display_name": name,
                "phone_type": 2,
                "wa_name": wa_name,
                "sort_name": name,
                "given_name": name.split(" ")[0],
            }
            for jid, number, name, wa_name, raw in contacts
        ],
    )
    insert(
        conn,
        "wa_contacts",
        [{"jid": GROUP_JID, "is_whatsapp_user": 1, "display_name": "ทีมขาย Team A 销售组"}],
    )
    insert(
        conn,
        "wa_group_admin_settings",
        [
            {
                "jid": GROUP_JID,
                "creator_jid": s.CHEN.phone[1:] + "@s.whatsapp.net",
                "creation_time": 1738375200,
            }
        ],
    )


def naver_line(conn: sqlite3.Connection) -> None:
    tron = tron_address(s.TRON_LABEL)
    insert(
        conn,
        "contacts",
        [
            {
                "m_id": s.LINE_MID_SOMCHAI,
                "name": "Somchai การเงิน",
                "server_name": "Somchai R.",
                "relation": 0,
                "status": 0,
                "contact_type": 0,
                "hidden": 0,
                "favorite": 1,
                "created_time": 1735700000000,
            },
            {
                "m_id": s.LINE_MID_PRANEE,
                "name": "ปราณี",
                "server_name": "Pranee 🌸",
                "relation": 0,
                "status": 0,
                "contact_type": 0,
                "hidden": 0,
                "favorite": 0,
                "created_time": 1739900000000,
            },
        ],
    )
    insert(
        conn,
        "groups",
        [
            {
                "id": s.LINE_GROUP_FINANCE,
                "name": "การเงิน 财务",
                "creator": s.LINE_MID_CHEN,
                "status": 0,
                "created_time": 1738400000000,
                "updated_time": 1741200000000,
            }
        ],
    )
    insert(
        conn,
        "membership",
        [
            {"id": s.LINE_GROUP_FINANCE, "m_id": m, "is_accepted": 1, "created_time": 1738400000000}
            for m in (s.LINE_MID_SOMCHAI,)
        ],
    )
    history: list[tuple[str, str | None, datetime, int, str | None, int | None]] = [
        (
            s.LINE_GROUP_FINANCE,
            s.LINE_MID_SOMCHAI,
            s.bkk(3, 6, 19, 40),
            1,
            f"โอน USDT เข้ากระเป๋านี้นะครับ {tron} ยอดสัปดาห์นี้ 12,500 USDT",
            None,
        ),
        (
            s.LINE_GROUP_FINANCE,
            None,
            s.bkk(3, 6, 19, 45),
            2,
            f"รับทราบ บัญชีม้าใหม่ {s.MULE_BANK_ACCOUNT} ชื่อ วิชัย ใช้ได้ถึงสิ้นเดือน",
            None,
        ),
        (s.LINE_GROUP_FINANCE, s.LINE_MID_SOMCHAI, s.bkk(3, 6, 19, 47), 1, None, 1),
        (
            s.LINE_MID_PRANEE,
            None,
            s.bkk(2, 18, 20, 0),
            2,
            "ลงทุนขั้นต่ำ 10,000 บาท ได้ผลตอบแทน 30% ต่อเดือนครับ ทีมเราดูแลให้ทุกขั้นตอน",
            None,
        ),
        (s.LINE_MID_PRANEE, s.LINE_MID_PRANEE, s.bkk(2, 18, 20, 6), 1, "สนใจค่ะ โอนเข้าบัญชีไหนคะ", None),
        (s.LINE_MID_PRANEE, s.LINE_MID_PRANEE, s.bkk(3, 2, 8, 50), 1, None, 6),
    ]
    rows: list[dict[str, Any]] = []
    for n, (chat, sender, when, status, text, attachment) in enumerate(history, start=1):
        rows.append(
            {
                "id": n,
                "server_id": str(510_000_000_000 + n),
                "type": 1,
                "chat_id": chat,
                "from_mid": sender,
                "content": text,
                "created_time": str(s.unix_ms(when)),
                "delivered_time": "0",
                "status": status,
                "sent_count": 1,
                "read_count": 1 if status == 2 else 0,
                "attachement_image": int(attachment == 1),
                "attachement_type": attachment or 0,
                "attachement_local_uri": "/storage/emulated/0/Android/data/jp.naver.line.android/storage/"
                "mo/510000000003"
                if attachment == 1
                else None,
                "parameter": "CALL_TYPE\tAUDIO\tRESULT\tNO_ANSWER\tDURATION\t0" if attachment == 6 else None,
            }
        )
    insert(conn, "chat_history", rows)
    insert(
        conn,
        "chat",
        [
            {
                "chat_id": s.LINE_GROUP_FINANCE,
                "chat_name": "การเงิน 财务",
                "owner_mid": s.LINE_MID_CHEN,
                "last_from_mid": s.LINE_MID_SOMCHAI,
                "last_created_time": rows[2]["created_time"],
                "message_count": 3,
                "read_message_count": 3,
                "type": 3,
                "is_notification": 1,
                "is_archived": 0,
            },
            {
                "chat_id": s.LINE_MID_PRANEE,
                "chat_name": None,
                "owner_mid": s.LINE_MID_CHEN,
                "last_from_mid": s.LINE_MID_PRANEE,
                "last_created_time": rows[5]["created_time"],
                "message_count": 3,
                "read_message_count": 3,
                "type": 1,
                "is_notification": 1,
                "is_archived": 0,
            },
        ],
    )


TG_SELF = 7_123_450_143
TG_GROUP = 4_155_501_877  # a basic group; its dialog id is the negative chat id


def cache4(conn: sqlite3.Connection) -> None:
    insert(
        conn,
        "params",
        [{"id": 1, "seq": 5012, "pts": 88123, "date": s.unix_s(s.RAID) - 600, "qts": 0, "lsv": 11}],
    )
    insert(
        conn,
        "users",
        [
            {"uid": TG_SELF, "name": "chen;;;", "status": s.unix_s(s.RAID) - 4000, "data": None},
            {
                "uid": s.TELEGRAM_USER_ID,
                "name": f"golden dawn hr;;;{s.TELEGRAM_USERNAME}",
                "status": -100,
                "data": None,
            },
        ],
    )
    insert(conn, "chats", [{"uid": TG_GROUP, "name": "园区通知 compound notices", "data": None}])
    insert(conn, "users_data", [{"uid": s.TELEGRAM_USER_ID, "about": "HR / 招聘 / รับสมัครงาน"}])
    insert(conn, "contacts", [{"uid": s.TELEGRAM_USER_ID, "mutual": 1}])
    insert(
        conn,
        "user_contacts_v7",
        [{"key": "k1", "uid": s.TELEGRAM_USER_ID, "fname": "Golden Dawn", "sname": "HR", "imported": 1}],
    )
    # (dialog id, mid, sender, out, when, text)
    hr = s.TELEGRAM_USER_ID
    messages: list[tuple[int, int, int | None, bool, datetime, str]] = [
        (
            hr,
            101,
            None,
            False,
            s.bkk(2, 25, 10, 0),
            "Recruitment ad approved: 'Customer service, Bangkok, 35,000 THB/month, "
            "Chinese speakers welcome'. Post today.",
        ),
        (hr, 102, None, True, s.bkk(2, 25, 10, 20), "发出去了，已经有3个人回复。"),
        (hr, 103, None, False, s.bkk(2, 25, 11, 2), "မြန်မာစကားပြောနိုင်သူ ၂ ယောက် ထပ်လိုအပ်သည်"),
        (
            -TG_GROUP,
            104,
            hr,
            False,
            s.bkk(3, 1, 8, 0),
            "明天上午九点全体开会，手机统一上交。 ประชุมพรุ่งนี้ 9 โมง",
        ),
        (-TG_GROUP, 105, None, True, s.bkk(3, 1, 8, 5), "收到"),
    ]
    rows: list[dict[str, Any]] = []
    for dialog, mid, sender, out, when, text in messages:
        # peer_id is the dialog (the other user, or the group); the client fills from_id with the sender.
        peer = ("user", dialog) if dialog > 0 else ("chat", -dialog)
        sent_by = TG_SELF if out else (sender if sender else dialog)
        blob = tl_message(mid=mid, date=s.unix_s(when), text=text, peer=peer, from_user=sent_by, out=out)
        rows.append(
            {
                "mid": mid,
                "uid": dialog,
                "read_state": 3 if out else 1,
                "send_state": 0,
                "date": s.unix_s(when),
                "data": blob,
                "out": int(out),
                "ttl": 0,
                "media": 0,
                "imp": 0,
                "mention": 0,
                "forwards": 0,
                "thread_reply_id": 0,
                "is_channel": 0,
                "reply_to_message_id": 0,
                "group_id": 0,
            }
        )
    insert(conn, "messages_v2", rows)
    insert(
        conn,
        "dialogs",
        [
            {
                "did": d,
                "date": max(r["date"] for r in rows if r["uid"] == d),
                "last_mid": max(r["mid"] for r in rows if r["uid"] == d),
                "unread_count": 0,
                "inbox_max": 0,
                "outbox_max": 0,
                "pinned": 0,
                "flags": 0,
                "folder_id": 0,
            }
            for d in (hr, -TG_GROUP)
        ],
    )


def viber_messages(conn: sqlite3.Connection) -> None:
    insert(
        conn,
        "conversations",
        [
            {
                "_id": 1,
                "date": s.unix_ms(s.bkk(3, 11, 18, 40)),
                "recipient_number": s.DARA.phone,
                "conversation_type": 0,
            }
        ],
    )
    insert(
        conn,
        "participants_info",
        [
            {
                "_id": 1,
                "participant_type": 0,
                "member_id": "owner",
                "number": s.CHEN.phone,
                "display_name": "Chen",
            },
            {
                "_id": 2,
                "participant_type": 1,
                "member_id": "ZGFyYS1zb2stc2FtcGxl",
                "number": s.DARA.phone,
                "display_name": "Dara driver",
                "contact_name": "Dara driver",
                "viber_name": "Dara",
            },
        ],
    )
    insert(conn, "participants", [{"_id": 1, "conversation_id": 1, "participant_info_id": 2, "active": 0}])
    msgs = [
        (s.bkk(3, 11, 18, 30), 0, "Car at the border gate 7pm. 5 people, no phones."),
        (s.bkk(3, 11, 18, 33), 1, "ok. Ko Min will meet you. ไปรับที่ด่านแม่สอดนะ"),
        (s.bkk(3, 11, 18, 40), 0, "Done. Money to same account?"),
    ]
    insert(
        conn,
        "messages",
        [
            {
                "_id": n,
                "msg_date": s.unix_ms(w),
                "msg_date_real": s.unix_ms(w),
                "address": s.DARA.phone,
                "conversation_id": 1,
                "participant_id": 1 if out else 2,
                "body": body,
                "status": 2,
                "unread": 0,
                "type": out,
                "send_type": out,
                "token": 7_000_000 + n,
                "extra_mime": 0,
                "deleted": 0,
            }
            for n, (w, out, body) in enumerate(msgs, start=1)
        ],
    )


def viber_data(conn: sqlite3.Connection) -> None:
    insert(
        conn,
        "phonebookcontact",
        [
            {
                "_id": 1,
                "native_id": 6,
                "display_name": "Dara driver",
                "low_display_name": "dara driver",
                "viber": 1,
                "has_number": 1,
                "has_name": 1,
            }
        ],
    )
    insert(
        conn,
        "phonebookdata",
        [{"_id": 1, "contact_id": 1, "data1": "+855 92 555 014", "data2": s.DARA.phone, "mime_type": 0}],
    )
    insert(
        conn,
        "vibernumbers",
        [
            {
                "_id": 1,
                "canonized_number": s.DARA.phone,
                "viber_name": "Dara",
                "member_id": "ZGFyYS1zb2stc2FtcGxl",
            }
        ],
    )


def threads_db2(conn: sqlite3.Connection) -> None:
    me = "FACEBOOK:100089555014301"
    her = "FACEBOOK:100077555019902"
    thread = "ONE_TO_ONE:100077555019902:100089555014301"
    insert(
        conn,
        "thread_users",
        [
            {
                "user_key": me,
                "first_name": "Kevin",
                "last_name": "Tan",
                "name": "Kevin Tan",
                "is_messenger_user": 1,
            },
            {
                "user_key": her,
                "first_name": "Pranee",
                "last_name": "Suksai",
                "name": "Pranee Suksai",
                "is_messenger_user": 1,
                "is_friend": 1,
            },
        ],
    )
    msgs = [
        (me, s.bkk(2, 14, 21, 0), "สวัสดีครับ ผมเห็นโปรไฟล์คุณแล้วอยากรู้จักครับ ผมทำธุรกิจนำเข้าอยู่สิงคโปร์", None),
        (her, s.bkk(2, 14, 21, 30), "สวัสดีค่ะ ยินดีที่ได้รู้จักนะคะ", None),
        (me, s.bkk(2, 16, 22, 0), "ผมมีแอปลงทุนทองคำที่ลุงผมใช้ กำไรดีมาก อยากให้คุณลองดูครับ", None),
        (me, s.bkk(2, 16, 22, 1), None, [{"mime_type": "image/jpeg", "filename": "profit_screenshot.jpg"}]),
    ]
    insert(
        conn,
        "messages",
        [
            {
                "msg_id": f"mid.$cAAA{n:04d}samplemsg",
                "thread_key": thread,
                "action_id": 1000 + n,
                "text": text,
                "sender": json.dumps(
                    {"user_key": who, "name": "Kevin Tan" if who == me else "Pranee Suksai"},
                    ensure_ascii=False,
                    sort_keys=True,
                ),
                "timestamp_ms": s.unix_ms(w),
                "timestamp_sent_ms": s.unix_ms(w),
                "attachments": json.dumps(att, sort_keys=True) if att else None,
                "msg_type": 0,
                "source": "messenger",
            }
            for n, (who, w, text, att) in enumerate(msgs, start=1)
        ],
    )
    insert(
        conn,
        "threads",
        [
            {
                "thread_key": thread,
                "thread_fbid": "100077555019902",
                "name": None,
                "snippet": "[photo]",
                "timestamp_ms": s.unix_ms(msgs[-1][1]),
                "folder": "inbox",
                "thread_type": 1,
            }
        ],
    )
    insert(
        conn,
        "thread_participants",
        [{"thread_key": thread, "user_key": u, "type": "PARTICIPANT", "is_admin": 0} for u in (me, her)],
    )

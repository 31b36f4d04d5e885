"""EX-001: a full-file-system extraction of the team leader's Android phone, as a tar.gz.

Paths are as on the device. Every database is built from samples/schemas/android/*.sql; the phone's
owner is Chen (Thai SIM +66 92 555 0143).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from samples import story as s
from samples.archive import Member, write_tar_gz
from samples.encodings import crypt14, sqlcipher_bytes, tron_address
from samples.sqlitebuild import build, delete_rows, insert

DB = "databases"
TELEPHONY = "data/user_de/0/com.android.providers.telephony/databases/mmssms.db"
CONTACTS = "data/data/com.android.providers.contacts/databases/contacts2.db"
CALLLOG = "data/data/com.android.providers.contacts/databases/calllog.db"
WA = "data/data/com.whatsapp/databases"
LINE = "data/data/jp.naver.line.android/databases/naver_line"
TELEGRAM = "data/data/org.telegram.messenger/files/cache4.db"
VIBER = "data/data/com.viber.voip/databases"
MESSENGER = "data/data/com.facebook.orca/databases/threads_db2"
SIGNAL = "data/data/org.thoughtcrime.securesms/databases/signal.db"
CRYPT14 = "sdcard/Android/media/com.whatsapp/WhatsApp/Databases/msgstore.db.crypt14"


def _sms(conn: sqlite3.Connection) -> None:
    insert(conn, "android_metadata", [{"locale": "th_TH"}])
    threads = [
        (1, s.PRANEE.local),
        (2, "KBank"),
        (3, s.LIU.phone),
        (4, s.BOSS_WANG.phone),
        (5, s.KO_MIN.phone),
        (6, s.WICHAI.local),
    ]
    insert(conn, "canonical_addresses", [{"_id": i, "address": a} for i, a in threads])
    sms: list[tuple[int, str, datetime, int, str]] = [
        (1, s.PRANEE.local, s.bkk(2, 20, 19, 5), 1, "สวัสดีค่ะ โอนเงินเข้าบัญชีที่แจ้งแล้วนะคะ 50,000 บาท"),
        (1, s.PRANEE.local, s.bkk(2, 20, 19, 9), 2, "ขอบคุณครับ พรุ่งนี้กำไรจะเข้าพอร์ตของคุณปราณีครับ"),
        (1, s.PRANEE.local, s.bkk(3, 2, 8, 41), 1, "ทำไมถอนเงินไม่ได้คะ ระบบบอกต้องจ่ายค่าธรรมเนียมอีก ช่วยตอบด้วย"),
        (
            2,
            "KBank",
            s.bkk(3, 3, 10, 12),
            1,
            "K PLUS: รหัส OTP 482910 (Ref: DAWN) ใช้ภายใน 5 นาที ห้ามบอกรหัสนี้กับผู้อื่น",
        ),
        (3, s.LIU.phone, s.bkk(3, 5, 21, 30), 1, "新人下周三到湄索，护照已经收了。"),
        (3, s.LIU.phone, s.bkk(3, 5, 21, 34), 2, "收到，车安排好了，到了联系阿敏。"),
        (4, s.BOSS_WANG.phone, s.bkk(3, 8, 9, 0), 1, "Weekly report before Friday. 本周业绩要到200万泰铢。"),
        (4, s.BOSS_WANG.phone, s.bkk(3, 8, 9, 2), 2, "OK boss, will send Thursday night."),
        (6, s.WICHAI.local, s.bkk(3, 10, 14, 15), 2, "ส่งรหัสบัตร ATM กับเล่มบัญชีมาที่ห้อง 5 ด้วย"),
    ]
    rows: list[dict[str, Any]] = []
    for number, (thread, address, when, kind, body) in enumerate(sms, start=1):
        rows.append(
            {
                "_id": number,
                "thread_id": thread,
                "address": address,
                "date": s.unix_ms(when),
                "date_sent": s.unix_ms(when) - 2000 if kind == 1 else 0,
                "protocol": 0 if kind == 1 else None,
                "read": 1,
                "status": -1,
                "type": kind,
                "reply_path_present": 0 if kind == 1 else None,
                "body": body,
                "service_center": "+66890100000" if kind == 1 and address != "KBank" else None,
                "locked": 0,
                "sub_id": 1,
                "error_code": -1 if kind == 2 else 0,
                "creator": "com.samsung.android.messaging",
                "seen": 1,
            }
        )
    insert(conn, "sms", rows)
    # A picture message from Ko Min with no text: MMS pdu + part + addr (pdu.date is seconds).
    when = s.bkk(3, 9, 18, 20)
    insert(
        conn,
        "pdu",
        [
            {
                "_id": 1,
                "thread_id": 5,
                "date": s.unix_s(when),
                "date_sent": s.unix_s(when) - 3,
                "msg_box": 1,
                "read": 1,
                "m_id": "mms-0309-1820-komin",
                "ct_t": "application/vnd.wap.multipart.related",
                "m_cls": "personal",
                "m_type": 132,
                "v": 18,
                "m_size": 48211,
                "pri": 129,
                "rr": 129,
                "tr_id": "T1a2b3c4d5",
                "d_rpt": 129,
                "locked": 0,
                "sub_id": 1,
                "seen": 1,
                "creator": "com.samsung.android.messaging",
                "text_only": 0,
            }
        ],
    )
    insert(
        conn,
        "part",
        [
            {
                "_id": 1,
                "mid": 1,
                "seq": -1,
                "ct": "application/smil",
                "cid": "<smil>",
                "cl": "smil.xml",
                "text": '<smil><body><par dur="5000ms"><img src="IMG_0309.jpg"/></par></body></smil>',
            },
            {
                "_id": 2,
                "mid": 1,
                "seq": 0,
                "ct": "image/jpeg",
                "name": "IMG_0309.jpg",
                "cid": "<IMG_0309>",
                "cl": "IMG_0309.jpg",
                "_data": "/data/user_de/0/com.android.providers.telephony/app_parts/PART_1741519200000",
            },
        ],
    )
    insert(
        conn,
        "addr",
        [
            {"_id": 1, "msg_id": 1, "address": s.KO_MIN.phone, "type": 137, "charset": 106},
            {"_id": 2, "msg_id": 1, "address": s.CHEN.phone, "type": 151, "charset": 106},
        ],
    )
    snippets = {1: 3, 2: 4, 3: 6, 4: 8, 5: 0, 6: 9}  # last SMS of each thread (0: none)
    insert(
        conn,
        "threads",
        [
            {
                "_id": t,
                "date": rows[snippets[t] - 1]["date"] if snippets[t] else s.unix_ms(when),
                "message_count": sum(1 for r in rows if r["thread_id"] == t) + (1 if t == 5 else 0),
                "recipient_ids": str(t),
                "snippet": rows[snippets[t] - 1]["body"] if snippets[t] else None,
                "read": 1,
                "has_attachment": 1 if t == 5 else 0,
            }
            for t, _ in threads
        ],
    )
    # The owner deleted the message asking for ATM cards: the row goes, its bytes stay in free space.
    delete_rows(conn, "sms", "_id = ?", 9)


MIMETYPES = [
    "vnd.android.cursor.item/name",
    "vnd.android.cursor.item/phone_v2",
    "vnd.android.cursor.item/email_v2",
    "vnd.android.cursor.item/note",
    "vnd.android.cursor.item/vnd.com.whatsapp.profile",
    "vnd.android.cursor.item/vnd.com.whatsapp.voip.call",
    "vnd.android.cursor.item/vnd.org.telegram.messenger.android.profile",
    "vnd.android.cursor.item/im",
]


def _contacts(conn: sqlite3.Connection) -> None:
    insert(conn, "android_metadata", [{"locale": "th_TH"}])
    insert(conn, "properties", [{"property_key": "database_time_created", "property_value": "1704067200000"}])
    insert(
        conn,
        "accounts",
        [
            {"_id": 1, "account_name": "vnd.sec.contact.phone", "account_type": "vnd.sec.contact.phone"},
            {"_id": 2, "account_name": "WhatsApp", "account_type": "com.whatsapp"},
            {"_id": 3, "account_name": s.CHEN.phone, "account_type": "org.telegram.messenger"},
        ],
    )
    insert(conn, "mimetypes", [{"_id": i, "mimetype": m} for i, m in enumerate(MIMETYPES, start=1)])
    insert(
        conn,
        "packages",
        [{"_id": 1, "package": "com.whatsapp"}, {"_id": 2, "package": "org.telegram.messenger"}],
    )
    # (raw id, account, display name, phones as written, deleted, extra data rows)
    people: list[tuple[int, int, str, list[str], int]] = [
        (1, 1, s.BOSS_WANG.name, ["+855 96 555 0187"], 0),
        (2, 1, s.LIU.name, ["+86 139 5550 0178"], 0),
        (3, 1, "Ko Min (အလုပ်သမား)", ["+95 9 42555 0188"], 0),
        (4, 1, "ปราณี ลูกค้า VIP", [s.PRANEE.local], 0),
        (5, 1, "Wichai บัญชี", ["+66 89 555 0112", s.WICHAI.local], 1),
        (6, 1, "Dara driver", ["+855 92 555 014"], 0),
        (7, 1, "Somchai การเงิน", [s.SOMCHAI.local], 0),
        (8, 2, s.BOSS_WANG.name, ["+855965550187"], 0),
        (9, 3, "Golden Dawn HR", [], 0),
    ]
    insert(
        conn,
        "contacts",
        [
            {
                "_id": i,
                "name_raw_contact_id": i,
                "has_phone_number": int(bool(p)),
                "lookup": f"0r{i}-{i:04d}",
                "contact_last_updated_timestamp": 1740000000000 + i * 86_400_000,
            }
            for i, _a, _n, p, d in people
            if not d
        ],
    )
    insert(
        conn,
        "raw_contacts",
        [
            {
                "_id": i,
                "account_id": a,
                "sourceid": None if a == 1 else f"src-{i}",
                "deleted": d,
                "contact_id": None if d else i,
                "display_name": n,
                "display_name_alt": n,
                "display_name_source": 40,
                "sort_key": n,
                "aggregation_needed": 0,
                "version": 3,
                "dirty": d,
            }
            for i, a, n, _p, d in people
        ],
    )
    data: list[dict[str, object]] = []
    lookup: list[dict[str, object]] = []
    for i, _a, name, phones, _d in people:
        data.append({"mimetype_id": 1, "raw_contact_id": i, "data1": name, "data2": name.split(" ")[0]})
        for number in phones:
            data.append(
                {"mimetype_id": 2, "raw_contact_id": i, "data1": number, "data2": "2", "is_primary": 1}
            )
            digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
            lookup.append(
                {
                    "data_id": len(data),
                    "raw_contact_id": i,
                    "normalized_number": digits,
                    "min_match": digits[::-1][:7],
                }
            )
    wa_jid = s.BOSS_WANG.phone[1:] + "@s.whatsapp.net"
    data += [
        {
            "mimetype_id": 5,
            "raw_contact_id": 8,
            "package_id": 1,
            "data1": wa_jid,
            "data2": "WhatsApp",
            "data3": "Message " + s.BOSS_WANG.phone,
        },
        {
            "mimetype_id": 6,
            "raw_contact_id": 8,
            "package_id": 1,
            "data1": wa_jid,
            "data2": "WhatsApp",
            "data3": "Voice call " + s.BOSS_WANG.phone,
        },
        {
            "mimetype_id": 7,
            "raw_contact_id": 9,
            "package_id": 2,
            "data1": str(s.TELEGRAM_USER_ID),
            "data2": "Telegram Profile",
            "data3": "@" + s.TELEGRAM_USERNAME,
        },
        {"mimetype_id": 4, "raw_contact_id": 1, "data1": "เจ้านายใหญ่ อยู่สีหนุวิลล์ 西港"},
    ]
    insert(conn, "data", [{"_id": n, **row} for n, row in enumerate(data, start=1)])
    insert(conn, "phone_lookup", lookup)
    insert(
        conn,
        "deleted_contacts",
        [{"contact_id": 5, "contact_deleted_timestamp": s.unix_ms(s.bkk(3, 10, 14, 20))}],
    )


def _calllog(conn: sqlite3.Connection) -> None:
    insert(conn, "android_metadata", [{"locale": "th_TH"}])
    telephony = "com.android.phone/com.android.services.telephony.TelephonyConnectionService"
    calls = [
        (s.BOSS_WANG.phone, s.bkk(3, 1, 22, 10), 312, 1, s.BOSS_WANG.name, "KH", "Cambodia"),
        (s.LIU.phone, s.bkk(3, 4, 11, 0), 95, 2, s.LIU.name, "CN", "China"),
        (s.PRANEE.local, s.bkk(3, 2, 8, 30), 0, 3, "ปราณี ลูกค้า VIP", "TH", "Thailand"),
        (s.PRANEE.local, s.bkk(3, 2, 8, 35), 0, 5, "ปราณี ลูกค้า VIP", "TH", "Thailand"),
        ("+85592555014", s.bkk(3, 11, 18, 45), 41, 2, "Dara driver", "KH", "Cambodia"),
        (s.KO_MIN.phone, s.bkk(3, 12, 7, 55), 128, 1, "Ko Min (အလုပ်သမား)", "MM", "Myanmar"),
        (s.BOSS_WANG.phone, s.bkk(3, 13, 23, 50), 0, 3, s.BOSS_WANG.name, "KH", "Cambodia"),
    ]
    insert(
        conn,
        "calls",
        [
            {
                "_id": n,
                "number": number,
                "date": s.unix_ms(when),
                "duration": duration,
                "type": kind,
                "features": 0,
                "subscription_component_name": telephony,
                "subscription_id": "1",
                "phone_account_address": s.CHEN.phone,
                "new": 0,
                "name": name,
                "numbertype": 2,
                "countryiso": "TH",
                "is_read": 1,
                "geocoded_location": where,
                "normalized_number": number if number.startswith("+") else None,
                "last_modified": s.unix_ms(when) + duration * 1000,
            }
            for n, (number, when, duration, kind, name, _iso, where) in enumerate(calls, start=1)
        ],
    )


def build_android(staging: Path, out: Path) -> None:
    """Build every database of EX-001 under ``staging`` and write the tar.gz to ``out``."""
    from samples import android_apps

    files: dict[str, bytes] = {
        TELEPHONY: build(staging / TELEPHONY, "android/mmssms", _sms),
        CONTACTS: build(staging / CONTACTS, "android/contacts2", _contacts),
        CALLLOG: build(staging / CALLLOG, "android/calllog", _calllog),
        f"{WA}/msgstore.db": build(
            staging / WA / "msgstore.db", "android/whatsapp_msgstore", android_apps.msgstore
        ),
        f"{WA}/wa.db": build(staging / WA / "wa.db", "android/whatsapp_wa", android_apps.wa_db),
        LINE: build(staging / LINE, "android/line_naver_line", android_apps.naver_line),
        TELEGRAM: build(staging / TELEGRAM, "android/telegram_cache4", android_apps.cache4),
        f"{VIBER}/viber_messages": build(
            staging / VIBER / "viber_messages", "android/viber_messages", android_apps.viber_messages
        ),
        f"{VIBER}/viber_data": build(
            staging / VIBER / "viber_data", "android/viber_data", android_apps.viber_data
        ),
        MESSENGER: build(staging / MESSENGER, "android/messenger_threads_db2", android_apps.threads_db2),
        SIGNAL: sqlcipher_bytes("EX-001/signal.db", pages=6),
        CRYPT14: crypt14("EX-001/msgstore.db.crypt14", 24_576, "2.25.4.77", s.CHEN.phone[-2:]),
        "data/data/com.whatsapp/shared_prefs/com.whatsapp_preferences_light.xml": (
            "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n"
            f'    <string name="registration_jid">{s.CHEN.phone[1:]}</string>\n'
            f'    <string name="push_name">{s.CHEN.name}</string>\n</map>\n'
        ).encode(),
        "sdcard/Download/usdt_address.txt": f"USDT (TRC20) 收款地址\n{tron_address(s.TRON_LABEL)}\n".encode(),
    }
    owners = {
        "com.android.providers.telephony": 1001,
        "com.android.providers.contacts": 10014,
        "com.whatsapp": 10231,
        "jp.naver.line.android": 10232,
        "org.telegram.messenger": 10233,
        "com.viber.voip": 10234,
        "com.facebook.orca": 10235,
        "org.thoughtcrime.securesms": 10236,
    }
    members: list[Member] = []
    for path, data in files.items():
        uid = next((u for pkg, u in owners.items() if f"/{pkg}/" in path), 1023)  # 1023 = media_rw (sdcard)
        members.append(Member(path, data, mtime=s.unix_s(s.RAID) - 3600 - len(members) * 60, uid=uid))
    write_tar_gz(out, members)

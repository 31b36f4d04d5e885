"""EX-002: a file-system extraction of the recruiter's iPhone, as a zip (paths as on the device).

The owner is Nang Aye Aye (Myanmar SIM +95 9 765 550123). Every database is built from
samples/schemas/ios/*.sql.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from samples import story as s
from samples.archive import Member, write_zip
from samples.encodings import attributed_body, tron_address
from samples.sqlitebuild import build, core_data_meta, insert

SMS = "private/var/mobile/Library/SMS/sms.db"
ADDRESSBOOK = "private/var/mobile/Library/AddressBook/AddressBook.sqlitedb"
CALLS = "private/var/mobile/Library/CallHistoryDB/CallHistory.storedata"
WA = f"private/var/mobile/Containers/Shared/AppGroup/{s.IOS_WHATSAPP_CONTAINER}"
LINE = (
    f"private/var/mobile/Containers/Shared/AppGroup/{s.IOS_LINE_CONTAINER}/Library/Application Support/"
    f"PrivateStore/P_{s.LINE_MID_CHEN[:1]}9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3/Messages/Line.sqlite"
)
VCARD = (
    f"private/var/mobile/Containers/Shared/AppGroup/{s.IOS_FILES_CONTAINER}/File Provider Storage/team.vcf"
)
WANG_JID = s.BOSS_WANG.phone[1:] + "@s.whatsapp.net"
HR_EMAIL = "golden.dawn.hr@example.com"


def _sms(conn: sqlite3.Connection) -> None:
    insert(conn, "_SqliteDatabaseProperties", [{"key": "_ClientVersion", "value": "17000"}])
    handles = [
        (1, s.CHEN.phone, "TH", "SMS"),
        (2, s.KO_MIN.phone, "MM", "SMS"),
        (3, HR_EMAIL, "us", "iMessage"),
    ]
    insert(
        conn,
        "handle",
        [
            {"ROWID": i, "id": h, "country": c.lower(), "service": svc, "uncanonicalized_id": None}
            for i, h, c, svc in handles
        ],
    )
    insert(
        conn,
        "chat",
        [
            {
                "ROWID": i,
                "guid": f"{svc};-;{h}",
                "style": 45,
                "state": 3,
                "chat_identifier": h,
                "service_name": svc,
                "account_login": "E:" if svc == "iMessage" else "P:" + s.NANG.phone,
                "display_name": "",
                "last_read_message_timestamp": 0,
            }
            for i, h, _c, svc in handles
        ],
    )
    # (chat/handle, from me, when, text, attributed only, seconds-precision date, attachment)
    rows: list[tuple[int, int, datetime, str, bool, bool, bool]] = [
        # An old conversation restored from the previous phone: dates kept in seconds (iOS 10 and older).
        (2, 0, datetime(2017, 6, 2, 9, 15, tzinfo=s.BKK), "မင်္ဂလာပါ အစ်မ ထိုင်းမှာ အလုပ်ရှိလား", False, True, False),
        (2, 1, datetime(2017, 6, 2, 9, 40, tzinfo=s.BKK), "ရှိတယ် ညီလေး၊ ဖုန်းဆက်မယ်", False, True, False),
        (1, 0, s.bkk(3, 3, 19, 0), "พรุ่งนี้มีคนใหม่ 5 คน พาไปห้อง 3 นะ", False, False, False),
        (1, 1, s.bkk(3, 3, 19, 4), "ค่ะ รับทราบ จะเก็บพาสปอร์ตไว้ที่ตู้เซฟ", False, False, False),
        (2, 0, s.bkk(3, 10, 22, 10), "အစ်မ ကျွန်တော့်ပတ်စပို့ ပြန်ပေးပါ။ အိမ်ပြန်ချင်ပြီ", False, False, False),
        (2, 1, s.bkk(3, 10, 22, 30), "နောက်လ ပေးမယ်။ အလုပ်ကို အရင်ပြီးအောင်လုပ်", False, False, False),
        (
            3,
            0,
            s.bkk(3, 11, 9, 0),
            f"New phones for the Burmese team arrive Friday. Telegram: @{s.TELEGRAM_USERNAME} 有事找我",
            True,
            False,
            False,
        ),
        (1, 0, s.bkk(3, 12, 20, 15), "\ufffc", False, False, True),
        (2, 1, s.bkk(3, 13, 23, 58), "ဘယ်သူ့ကိုမှ မပြောနဲ့", False, False, False),
    ]
    messages = []
    for n, (handle, me, when, text, attributed_only, seconds, attachment) in enumerate(rows, start=1):
        date = int(s.mac_s(when)) if seconds else s.mac_ns(when)
        service = "iMessage" if handle == 3 else "SMS"
        messages.append(
            {
                "ROWID": n,
                "guid": f"5A1E{n:04d}-0000-4000-8000-0000000000{n:02d}",
                "text": None if attributed_only else text,
                "handle_id": handle,
                "service": service,
                "attributedBody": attributed_body(text),
                "account": "E:" if service == "iMessage" else "p:0",
                "date": date,
                "date_read": 0 if me else date + (60 if seconds else 60_000_000_000),
                "date_delivered": date if me else 0,
                "is_delivered": 1,
                "is_finished": 1,
                "is_from_me": me,
                "is_read": 0 if me else 1,
                "is_sent": me,
                "cache_has_attachments": int(attachment),
                "version": 10,
                "type": 0,
                "part_count": 1,
            }
        )
    insert(conn, "message", messages)
    insert(
        conn,
        "chat_message_join",
        [{"chat_id": m["handle_id"], "message_id": m["ROWID"], "message_date": m["date"]} for m in messages],
    )
    insert(conn, "chat_handle_join", [{"chat_id": i, "handle_id": i} for i, *_ in handles])
    when = s.bkk(3, 12, 20, 15)
    insert(
        conn,
        "attachment",
        [
            {
                "ROWID": 1,
                "guid": "at_0_5A1E0008",
                "created_date": int(s.mac_s(when)),
                "filename": "~/Library/SMS/Attachments/3c/12/at_0_5A1E0008/IMG_0412.HEIC",
                "uti": "public.heic",
                "mime_type": "image/heic",
                "transfer_state": 5,
                "is_outgoing": 0,
                "transfer_name": "IMG_0412.HEIC",
                "total_bytes": 1_204_331,
                "original_guid": "at_0_5A1E0008",
            }
        ],
    )
    insert(conn, "message_attachment_join", [{"message_id": 8, "attachment_id": 1}])
    # The owner deleted her last message to Ko Min: it sits in "Recently Deleted".
    insert(
        conn,
        "chat_recoverable_message_join",
        [{"chat_id": 2, "message_id": 9, "delete_date": int(s.mac_s(s.bkk(3, 14, 0, 5)))}],
    )


def _addressbook(conn: sqlite3.Connection) -> None:
    insert(conn, "_SqliteDatabaseProperties", [{"key": "__ABSchemaVersion", "value": "2200"}])
    insert(conn, "ABStore", [{"ROWID": 1, "Name": "Local", "Type": 0, "Enabled": 1}])
    labels = ["_$!<Mobile>!$_", "_$!<Work>!$_", "_$!<Home>!$_"]
    insert(conn, "ABMultiValueLabel", [{"value": v} for v in labels])
    insert(conn, "ABMultiValueEntryKey", [{"value": v} for v in ("service", "username", "url")])
    people = [
        (1, "Chen", "Boss", "陈志强", [(3, 1, "+66 92 555 0143")]),
        (2, "Ko Min", "Thu", None, [(3, 1, "09 42555 0188")]),
        (3, "Liu", "Yang", "HR Shenzhen", [(3, 2, "+86 139 5550 0178")]),
        (4, "Golden Dawn", "HR", "Telegram only", [(4, 2, HR_EMAIL), (13, 2, s.TELEGRAM_USERNAME)]),
    ]
    created = int(s.mac_s(s.bkk(1, 20, 10, 0)))
    insert(
        conn,
        "ABPerson",
        [
            {
                "ROWID": i,
                "First": f,
                "Last": last,
                "Note": note,
                "Kind": 0,
                "StoreID": 1,
                "DisplayName": None,
                "CreationDate": created + i * 3600,
                "ModificationDate": created + i * 7200,
                "FirstSort": f,
                "LastSort": last,
                "guid": f"{i:08X}-A1B2-4C3D-8E9F-{i:012X}:ABPerson",
            }
            for i, f, last, note, _ in people
        ],
    )
    uid = 0
    for i, *_rest, values in people:
        for prop, label, value in values:
            uid += 1
            insert(
                conn,
                "ABMultiValue",
                [
                    {
                        "UID": uid,
                        "record_id": i,
                        "property": prop,
                        "identifier": 0,
                        "label": label,
                        "value": value if prop != 13 else None,
                        "guid": f"MV-{uid:04d}",
                    }
                ],
            )
            if prop == 13:
                insert(
                    conn,
                    "ABMultiValueEntry",
                    [
                        {"parent_id": uid, "key": 1, "value": "Telegram"},
                        {"parent_id": uid, "key": 2, "value": value},
                    ],
                )


def _calls(conn: sqlite3.Connection) -> None:
    calls = [
        (s.CHEN.phone, s.bkk(3, 3, 18, 50), 184.0, 0, 1, 1, "com.apple.Telephony", "th"),
        (s.KO_MIN.phone, s.bkk(3, 10, 22, 5), 0.0, 0, 0, 1, "com.apple.Telephony", "mm"),
        (s.LIU.phone, s.bkk(3, 4, 12, 0), 62.0, 1, 1, 1, "com.apple.Telephony", "cn"),
        (s.BOSS_WANG.phone, s.bkk(3, 7, 21, 30), 203.0, 0, 1, 0, "net.whatsapp.WhatsApp", "kh"),
    ]
    insert(
        conn,
        "ZCALLRECORD",
        [
            {
                "Z_PK": n,
                "Z_ENT": 2,
                "Z_OPT": 1,
                "ZANSWERED": answered,
                "ZCALL_CATEGORY": 1,
                "ZCALLTYPE": kind,
                "ZDISCONNECTED_CAUSE": 0 if answered else 6,
                "ZHANDLE_TYPE": 2,
                "ZNUMBER_AVAILABILITY": 0,
                "ZORIGINATED": out,
                "ZREAD": 1,
                "ZDATE": s.mac_s(when),
                "ZDURATION": duration,
                "ZADDRESS": number,
                "ZISO_COUNTRY_CODE": iso,
                "ZSERVICE_PROVIDER": provider,
                "ZUNIQUE_ID": f"{n:08X}-C0DE-4A11-9B00-{n:012X}",
            }
            for n, (number, when, duration, out, answered, kind, provider, iso) in enumerate(calls, start=1)
        ],
    )
    insert(
        conn,
        "ZHANDLE",
        [
            {"Z_PK": n, "Z_ENT": 4, "Z_OPT": 1, "ZTYPE": 2, "ZNORMALIZEDVALUE": c[0], "ZVALUE": c[0]}
            for n, c in enumerate(calls, start=1)
        ],
    )
    insert(
        conn,
        "Z_2REMOTEPARTICIPANTHANDLES",
        [
            {"Z_2REMOTEPARTICIPANTCALLS": n, "Z_4REMOTEPARTICIPANTHANDLES": n}
            for n in range(1, len(calls) + 1)
        ],
    )
    core_data_meta(
        conn,
        [
            ("CallDBProperties", 0),
            ("CallRecord", len(calls)),
            ("EmergencyMediaItem", 0),
            ("Handle", len(calls)),
        ],
        "7B1C2D3E-4F5A-4B6C-8D7E-9F0A1B2C3D4E",
    )


def _chatstorage(conn: sqlite3.Connection) -> None:
    tron2 = tron_address(s.TRON_LABEL_2)
    group = "120363099555001@g.us"
    sessions = [(1, WANG_JID, "王老板 Boss Wang", 0), (2, group, "Recruit MM-TH 招聘", 1)]
    # (session, from me, sender member, when, type, text)
    msgs: list[tuple[int, int, int | None, datetime, int, str | None]] = [
        (
            1,
            0,
            None,
            s.bkk(3, 5, 9, 0),
            0,
            "Nang, the Myawaddy batch arrives Wednesday. Keep their passports. 护照收好。",
        ),
        (1, 1, None, s.bkk(3, 5, 9, 3), 0, "ဟုတ်ကဲ့ ဘော့စ်။ OK boss."),
        (1, 0, None, s.bkk(3, 7, 21, 40), 0, f"Pay the agents in USDT from {tron2}, 300 each."),
        (1, 0, None, s.bkk(3, 7, 21, 41), 1, None),
        (1, 0, None, s.bkk(3, 7, 21, 45), 14, None),
        (2, 0, 1, s.bkk(3, 8, 8, 10), 0, "ဒီအပတ် လူသစ် ၈ ယောက် ရောက်မယ်"),
        (2, 0, 2, s.bkk(3, 8, 8, 12), 0, "ห้องพักชั้น 4 เตรียมไว้แล้ว"),
        (2, 1, None, s.bkk(3, 8, 8, 20), 0, "ကောင်းပြီ၊ ဖုန်းတွေ သိမ်းထားပါ"),
    ]
    insert(
        conn,
        "ZWAMESSAGE",
        [
            {
                "Z_PK": n,
                "Z_ENT": 9,
                "Z_OPT": 3,
                "ZISFROMME": me,
                "ZMESSAGESTATUS": 8 if me else 0,
                "ZMESSAGETYPE": kind,
                "ZSORT": n,
                "ZSTARRED": 0,
                "ZCHATSESSION": sess,
                "ZGROUPMEMBER": member,
                "ZFLAGS": 0,
                "ZMEDIAITEM": 1 if kind == 1 else None,
                "ZMESSAGEDATE": s.mac_s(when),
                "ZSENTDATE": s.mac_s(when),
                "ZFROMJID": None if me else (sessions[sess - 1][1]),
                "ZTOJID": sessions[sess - 1][1] if me else None,
                "ZSTANZAID": f"3A{n:04X}C0FFEE{n:06X}",
                "ZTEXT": text,
                "ZPUSHNAME": None if me or sess == 2 else "王老板",
            }
            for n, (sess, me, member, when, kind, text) in enumerate(msgs, start=1)
        ],
    )
    insert(
        conn,
        "ZWAMEDIAITEM",
        [
            {
                "Z_PK": 1,
                "Z_ENT": 10,
                "Z_OPT": 2,
                "ZFILESIZE": 221_904,
                "ZMESSAGE": 4,
                "ZLATITUDE": 16.7131,
                "ZLONGITUDE": 98.5708,
                "ZMEDIALOCALPATH": "Media/855965550187@s.whatsapp.net/a/3/a3f1-sample.jpg",
                "ZTITLE": None,
                "ZMEDIAURL": None,
            }
        ],
    )
    insert(
        conn,
        "ZWACHATSESSION",
        [
            {
                "Z_PK": i,
                "Z_ENT": 4,
                "Z_OPT": 5,
                "ZARCHIVED": 0,
                "ZHIDDEN": 0,
                "ZREMOVED": 0,
                "ZSESSIONTYPE": kind,
                "ZUNREADCOUNT": 0,
                "ZMESSAGECOUNTER": sum(1 for m in msgs if m[0] == i),
                "ZLASTMESSAGE": max(n for n, m in enumerate(msgs, start=1) if m[0] == i),
                "ZLASTMESSAGEDATE": max(s.mac_s(m[3]) for m in msgs if m[0] == i),
                "ZCONTACTJID": jid,
                "ZPARTNERNAME": name,
                "ZGROUPINFO": 1 if kind else None,
            }
            for i, jid, name, kind in sessions
        ],
    )
    insert(
        conn,
        "ZWAGROUPINFO",
        [
            {
                "Z_PK": 1,
                "Z_ENT": 6,
                "Z_OPT": 1,
                "ZSTATE": 0,
                "ZCHATSESSION": 2,
                "ZCREATIONDATE": s.mac_s(s.bkk(1, 15, 10, 0)),
                "ZCREATORJID": WANG_JID,
                "ZOWNERJID": WANG_JID,
                "ZSUBJECTOWNERJID": WANG_JID,
            }
        ],
    )
    insert(
        conn,
        "ZWAGROUPMEMBER",
        [
            {
                "Z_PK": 1,
                "Z_ENT": 7,
                "Z_OPT": 1,
                "ZISACTIVE": 1,
                "ZISADMIN": 0,
                "ZCHATSESSION": 2,
                "ZCONTACTNAME": "Ko Min",
                "ZFIRSTNAME": "Ko Min",
                "ZMEMBERJID": s.KO_MIN.phone[1:] + "@s.whatsapp.net",
            },
            {
                "Z_PK": 2,
                "Z_ENT": 7,
                "Z_OPT": 1,
                "ZISACTIVE": 1,
                "ZISADMIN": 1,
                "ZCHATSESSION": 2,
                "ZCONTACTNAME": "Chen Boss",
                "ZFIRSTNAME": "Chen",
                "ZMEMBERJID": s.CHEN.phone[1:] + "@s.whatsapp.net",
            },
        ],
    )
    insert(
        conn,
        "ZWAPROFILEPUSHNAME",
        [{"Z_PK": 1, "Z_ENT": 11, "Z_OPT": 1, "ZJID": WANG_JID, "ZPUSHNAME": "王老板"}],
    )
    core_data_meta(
        conn,
        [
            ("WAChatSession", 2),
            ("WAGroupInfo", 1),
            ("WAGroupMember", 2),
            ("WAMessage", len(msgs)),
            ("WAMediaItem", 1),
            ("WAProfilePushName", 1),
        ],
        "1E2D3C4B-5A69-4788-9766-554433221100",
    )


def _contacts_v2(conn: sqlite3.Connection) -> None:
    insert(
        conn,
        "ZWAADDRESSBOOKCONTACT",
        [
            {
                "Z_PK": 1,
                "Z_ENT": 1,
                "Z_OPT": 2,
                "ZLASTUPDATED": s.mac_s(s.bkk(3, 1, 0, 0)),
                "ZFULLNAME": "王老板 Boss Wang",
                "ZGIVENNAME": "王老板",
                "ZLASTNAME": "Boss Wang",
                "ZLID": s.ANDROID_WHATSAPP_LID + "@lid",
                "ZLOCALIZEDPHONENUMBER": "+855 96 555 0187",
                "ZPHONENUMBER": s.BOSS_WANG.phone,
                "ZPHONENUMBERLABEL": "mobile",
                "ZWHATSAPPID": WANG_JID,
                "ZABOUTTEXT": "Busy",
            },
            {
                "Z_PK": 2,
                "Z_ENT": 1,
                "Z_OPT": 2,
                "ZLASTUPDATED": s.mac_s(s.bkk(3, 1, 0, 0)),
                "ZFULLNAME": "Ko Min Thu",
                "ZGIVENNAME": "Ko Min",
                "ZLASTNAME": "Thu",
                "ZLOCALIZEDPHONENUMBER": "09 42555 0188",
                "ZPHONENUMBER": s.KO_MIN.phone,
                "ZPHONENUMBERLABEL": "mobile",
                "ZWHATSAPPID": s.KO_MIN.phone[1:] + "@s.whatsapp.net",
            },
        ],
    )
    core_data_meta(conn, [("WAAddressBookContact", 2)], "2F3E4D5C-6B7A-4899-8A77-665544332211")


def _wa_calls(conn: sqlite3.Connection) -> None:
    events = [(1, s.bkk(3, 7, 21, 30), 203.0, 1, 0, 0, 1), (2, s.bkk(3, 9, 23, 15), 0.0, 1, 1, 1, 2)]
    insert(
        conn,
        "ZWAAGGREGATECALLEVENT",
        [
            {
                "Z_PK": n,
                "Z_ENT": 1,
                "Z_OPT": 1,
                "ZINCOMING": inc,
                "ZMISSED": missed,
                "ZVIDEO": video,
                "ZFIRSTDATE": s.mac_s(w),
            }
            for n, w, _d, inc, missed, video, _o in events
        ],
    )
    insert(
        conn,
        "ZWACDCALLEVENT",
        [
            {
                "Z_PK": n,
                "Z_ENT": 2,
                "Z_OPT": 1,
                "ZBYTESRECEIVED": int(d * 6000),
                "ZBYTESSENT": int(d * 5500),
                "ZOUTCOME": outcome,
                "Z1CALLEVENTS": n,
                "ZDATE": s.mac_s(w),
                "ZDURATION": d,
                "ZCALLIDSTRING": f"CALL-IOS-{n:04d}",
            }
            for n, w, d, _i, _m, _v, outcome in events
        ],
    )
    # Primary keys of the aggregate event and its call event are equal, so either join reading works.
    insert(
        conn,
        "ZWACDCALLEVENTPARTICIPANT",
        [
            {
                "Z_PK": n,
                "Z_ENT": 3,
                "Z_OPT": 1,
                "ZOUTCOME": outcome,
                "Z1PARTICIPANTS": n,
                "ZJIDSTRING": WANG_JID,
            }
            for n, _w, _d, _i, _m, _v, outcome in events
        ],
    )
    core_data_meta(
        conn,
        [("WAAggregateCallEvent", 2), ("WACDCallEvent", 2), ("WACDCallEventParticipant", 2)],
        "3A4B5C6D-7E8F-4A0B-9C1D-2E3F4A5B6C7D",
    )


def _line(conn: sqlite3.Connection) -> None:
    insert(
        conn,
        "ZUSER",
        [
            {
                "Z_PK": 1,
                "Z_ENT": 13,
                "Z_OPT": 1,
                "ZCONTACTTYPE": 0,
                "ZISFRIEND": 1,
                "ZMID": s.LINE_MID_CHEN,
                "ZNAME": "Chen 陈",
                "ZCUSTOMNAME": "หัวหน้า Chen",
            }
        ],
    )
    insert(
        conn,
        "ZCHAT",
        [
            {
                "Z_PK": 1,
                "Z_ENT": 2,
                "Z_OPT": 1,
                "ZTYPE": 0,
                "ZUNREAD": 0,
                "ZMID": s.LINE_MID_CHEN,
                "ZLASTUPDATED": s.mac_s(s.bkk(3, 12, 9, 5)),
            }
        ],
    )
    msgs = [
        (1, s.bkk(3, 12, 9, 0), "ส่งรายชื่อคนงานใหม่มาด้วย พร้อมรูปพาสปอร์ต"),
        (None, s.bkk(3, 12, 9, 5), "ส่งแล้วค่ะ 8 คน ဗမာ ၆ ယောက်၊ ထိုင်း ၂ ယောက်"),
    ]
    insert(
        conn,
        "ZMESSAGE",
        [
            {
                "Z_PK": n,
                "Z_ENT": 8,
                "Z_OPT": 1,
                "ZCONTENTTYPE": 0,
                "ZREADCOUNT": 1,
                "ZSENDSTATUS": 3,
                "ZCHAT": 1,
                "ZSENDER": sender,
                "ZTIMESTAMP": s.unix_ms(w),
                "ZID": str(520_000_000_000 + n),
                "ZTEXT": text,
            }
            for n, (sender, w, text) in enumerate(msgs, start=1)
        ],
    )
    core_data_meta(
        conn, [("Chat", 1), ("Group", 0), ("Message", 2), ("User", 1)], "4B5C6D7E-8F90-4A1B-8C2D-3E4F5A6B7C8D"
    )


def vcard() -> bytes:
    cards = [
        ("王老板 Boss Wang", "Wang;Boss;;;", "+855 96 555 0187", None),
        ("Dara Sok", "Sok;Dara;;;", "+855 92 555 014", None),
        ("Ko Min Thu", "Thu;Ko Min;;;", "+95 9 42555 0188", None),
        ("Golden Dawn HR", "HR;Golden Dawn;;;", None, s.TELEGRAM_USERNAME),
    ]
    out = []
    for full, name, tel, telegram in cards:
        out += ["BEGIN:VCARD", "VERSION:3.0", f"N:{name}", f"FN:{full}"]
        if tel:
            out.append(f"TEL;type=CELL;type=VOICE;type=pref:{tel}")
        if telegram:
            out.append(f"X-SOCIALPROFILE;type=telegram;x-user={telegram}:https://t.me/{telegram}")
        out.append("END:VCARD")
    return ("\r\n".join(out) + "\r\n").encode("utf-8")


def build_ios(staging: Path, out: Path) -> None:
    files = {
        SMS: build(staging / SMS, "ios/sms", _sms),
        ADDRESSBOOK: build(staging / ADDRESSBOOK, "ios/addressbook", _addressbook),
        CALLS: build(staging / CALLS, "ios/callhistory", _calls),
        f"{WA}/ChatStorage.sqlite": build(
            staging / WA / "ChatStorage.sqlite", "ios/whatsapp_chatstorage", _chatstorage
        ),
        f"{WA}/ContactsV2.sqlite": build(
            staging / WA / "ContactsV2.sqlite", "ios/whatsapp_contactsv2", _contacts_v2
        ),
        f"{WA}/CallHistory.sqlite": build(
            staging / WA / "CallHistory.sqlite", "ios/whatsapp_callhistory", _wa_calls
        ),
        LINE: build(staging / LINE, "ios/line", _line),
        VCARD: vcard(),
    }
    base = s.unix_s(s.RAID) - 7200
    write_zip(
        out, [Member(path, data, mtime=base + n * 60) for n, (path, data) in enumerate(sorted(files.items()))]
    )

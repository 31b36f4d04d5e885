"""android.contacts on the current AOSP layout, the older one, and the corpus database."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from evidence_intake.artefacts.query import query
from evidence_intake.parsers.android.contacts import AndroidContactsParser
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree
from tests.parsers.util import make_db, store_rows

DB = "data/data/com.android.providers.contacts/databases/contacts2.db"

# As ContactsDatabaseHelper creates them (Android 11+), trimmed to the tables the parser reads plus
# neighbours it must ignore.
MODERN_SQL = """
CREATE TABLE accounts (_id INTEGER PRIMARY KEY AUTOINCREMENT,account_name TEXT, account_type TEXT,
  data_set TEXT);
CREATE TABLE raw_contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT,account_id INTEGER REFERENCES accounts(_id),
  sourceid TEXT,backup_id TEXT,raw_contact_is_read_only INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
  dirty INTEGER NOT NULL DEFAULT 0,deleted INTEGER NOT NULL DEFAULT 0,
    metadata_dirty INTEGER NOT NULL DEFAULT 0,
  contact_id INTEGER REFERENCES contacts(_id),aggregation_mode INTEGER NOT NULL DEFAULT 0,
  aggregation_needed INTEGER NOT NULL DEFAULT 1,custom_ringtone TEXT,
    send_to_voicemail INTEGER NOT NULL DEFAULT 0,
  x_times_contacted INTEGER NOT NULL DEFAULT 0,x_last_time_contacted INTEGER,
    times_contacted INTEGER NOT NULL DEFAULT 0,
  last_time_contacted INTEGER,starred INTEGER NOT NULL DEFAULT 0,pinned INTEGER NOT NULL DEFAULT 0,
  display_name TEXT,display_name_alt TEXT,display_name_source INTEGER NOT NULL DEFAULT 0,phonetic_name TEXT,
  phonetic_name_style TEXT,sort_key TEXT,phonebook_label TEXT,phonebook_bucket INTEGER,sort_key_alt TEXT,
  phonebook_label_alt TEXT,phonebook_bucket_alt INTEGER,name_verified INTEGER NOT NULL DEFAULT 0,
  sync1 TEXT, sync2 TEXT, sync3 TEXT, sync4 TEXT);
CREATE TABLE mimetypes (_id INTEGER PRIMARY KEY AUTOINCREMENT,mimetype TEXT NOT NULL);
CREATE TABLE data (_id INTEGER PRIMARY KEY AUTOINCREMENT,package_id INTEGER REFERENCES package(_id),
  mimetype_id INTEGER REFERENCES mimetype(_id) NOT NULL,
    raw_contact_id INTEGER REFERENCES raw_contacts(_id) NOT NULL,
  hash_id TEXT,is_read_only INTEGER NOT NULL DEFAULT 0,is_primary INTEGER NOT NULL DEFAULT 0,
  is_super_primary INTEGER NOT NULL DEFAULT 0,data_version INTEGER NOT NULL DEFAULT 0,data1 TEXT,data2 TEXT,
  data3 TEXT,data4 TEXT,data5 TEXT,data6 TEXT,data7 TEXT,data8 TEXT,data9 TEXT,data10 TEXT,data11 TEXT,
    data12 TEXT,
  data13 TEXT,data14 TEXT,data15 TEXT,data_sync1 TEXT, data_sync2 TEXT, data_sync3 TEXT, data_sync4 TEXT,
  carrier_presence INTEGER NOT NULL DEFAULT 0, preferred_phone_account_component_name TEXT,
  preferred_phone_account_id TEXT);
CREATE TABLE phone_lookup (data_id INTEGER REFERENCES data(_id) NOT NULL,raw_contact_id INTEGER
  REFERENCES raw_contacts(_id) NOT NULL,normalized_number TEXT NOT NULL,min_match TEXT NOT NULL);
"""
MIMETYPES = [
    (1, "vnd.android.cursor.item/name"),
    (2, "vnd.android.cursor.item/phone_v2"),
    (3, "vnd.android.cursor.item/email_v2"),
    (4, "vnd.android.cursor.item/organization"),
    (5, "vnd.android.cursor.item/note"),
    (6, "vnd.android.cursor.item/vnd.com.whatsapp.profile"),
    (7, "vnd.android.cursor.item/vnd.org.telegram.messenger.android.profile"),
]


def insert(path: Path, table: str, rows: list[dict[str, object]]) -> None:
    conn = sqlite3.connect(path)
    for row in rows:
        names = ", ".join(row)
        conn.execute(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )
    conn.commit()
    conn.close()


def raw(_id: int, account: int | None, name: str, deleted: int = 0) -> dict[str, object]:
    return {"_id": _id, "account_id": account, "display_name": name, "deleted": deleted, "contact_id": _id}


def data(
    _id: int, raw_id: int, mime: int, d1: str, d2: str | None = None, d3: str | None = None
) -> dict[str, object]:
    return {"_id": _id, "raw_contact_id": raw_id, "mimetype_id": mime, "data1": d1, "data2": d2, "data3": d3}


def build_modern(root: Path) -> Path:
    path = make_db(root / DB, MODERN_SQL)
    insert(
        path,
        "accounts",
        [
            {"_id": 1, "account_name": "somchai.j@gmail.com", "account_type": "com.google"},
            {"_id": 2, "account_name": "WhatsApp", "account_type": "com.whatsapp"},
            {"_id": 3, "account_name": "+66812345678", "account_type": "org.telegram.messenger"},
        ],
    )
    insert(path, "mimetypes", [{"_id": i, "mimetype": m} for i, m in MIMETYPES])
    insert(
        path,
        "raw_contacts",
        [
            raw(1, None, "พี่นก"),
            raw(2, 1, "Li Wei"),
            raw(3, 2, "พี่นก"),
            raw(4, 3, "Ko Aung"),
            raw(5, None, "ลบแล้ว", 1),
        ],
    )
    insert(
        path,
        "data",
        [
            data(1, 1, 1, "พี่นก", "นก"),
            data(2, 1, 2, "089-999-0000", "2"),
            data(3, 1, 2, "02 123 4567", "0", "บ้านแม่"),
            data(4, 1, 3, "Nok@Example.COM", "1"),
            data(5, 1, 4, "บริษัท ทดสอบ จำกัด"),
            data(6, 2, 2, "+86 131 2345 6789", "2"),
            data(7, 2, 5, "met in Mae Sot"),
            data(8, 3, 2, "+66899990000", "2"),
            data(9, 3, 6, "66899990000@s.whatsapp.net", "WhatsApp", "Message +66 89 999 0000"),
            data(10, 4, 7, "5012345678", "Telegram Profile", "+95 9 212 3456"),
            data(11, 4, 2, "+95 9 212 3456", "2"),
            data(12, 5, 2, "0811111111", "2"),
        ],
    )
    return root


def contacts(case: FakeCase) -> list[dict[str, object]]:
    return store_rows(case, "SELECT * FROM contacts ORDER BY record_rowid")


def test_current_layout(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(FolderTree(build_modern(tmp_path / "ev")), AndroidContactsParser)
    assert not report.failed
    rows = contacts(case)
    assert [r["name"] for r in rows] == ["พี่นก", "Li Wei", "พี่นก", "Ko Aung", "ลบแล้ว"]
    assert [r["app"] for r in rows] == ["Contacts", "Contacts", "WhatsApp", "Telegram", "Contacts"]
    assert rows[1]["account"] == "com.google/somchai.j@gmail.com" and rows[0]["account"] is None
    phones = json.loads(str(rows[0]["phones"]))
    assert phones == [
        {"number": "089-999-0000", "label": "mobile", "e164": "+66899990000"},
        {"number": "02 123 4567", "label": "บ้านแม่", "e164": "+6621234567"},
    ]
    assert json.loads(str(rows[0]["emails"])) == ["Nok@Example.COM"]
    assert rows[0]["organization"] == "บริษัท ทดสอบ จำกัด" and rows[1]["notes"] == "met in Mae Sot"
    assert json.loads(str(rows[2]["handles"])) == [
        {"app": "WhatsApp", "user_id": "66899990000@s.whatsapp.net", "username": None}
    ]
    assert rows[4]["is_deleted"] == 1 and rows[0]["is_deleted"] == 0
    assert (rows[0]["record_table"], rows[0]["record_rowid"]) == ("raw_contacts", 1)

    accounts = store_rows(
        case, "SELECT app, email, phone, phone_e164, username FROM accounts ORDER BY record_rowid"
    )
    assert accounts == [
        {
            "app": "Google",
            "email": "somchai.j@gmail.com",
            "phone": None,
            "phone_e164": None,
            "username": None,
        },
        {"app": "WhatsApp", "email": None, "phone": None, "phone_e164": None, "username": "WhatsApp"},
        {
            "app": "Telegram",
            "email": None,
            "phone": "+66812345678",
            "phone_e164": "+66812345678",
            "username": None,
        },
    ]
    # the same person on the phone book and WhatsApp meet in the identifiers table
    same = store_rows(
        case, "SELECT kind, role, app FROM identifiers WHERE value = '+66899990000' ORDER BY id"
    )
    assert [(s["app"], s["role"]) for s in same] == [("Contacts", "phone"), ("WhatsApp", "phone")]
    emails = store_rows(case, "SELECT kind, value FROM identifiers WHERE type = 'email' ORDER BY id")
    assert emails == [
        {"kind": "accounts", "value": "somchai.j@gmail.com"},  # the typed unit is merged first
        {"kind": "contacts", "value": "nok@example.com"},
    ]
    assert store_rows(case, "SELECT value FROM identifiers WHERE type = 'user_id' AND kind = 'contacts'") == [
        {"value": "66899990000@s.whatsapp.net"},
        {"value": "5012345678"},
    ]
    found = query(case.artefacts_path, "contacts", search="นก")  # two Thai characters: scanned
    assert [r["record_rowid"] for r in found.rows] == [1, 3] and found.notes


def test_older_layout_with_accounts_on_each_raw_contact(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    sql = """
    CREATE TABLE raw_contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT,is_restricted INTEGER DEFAULT 0,
      account_name STRING DEFAULT NULL, account_type STRING DEFAULT NULL, sourceid TEXT,
      version INTEGER NOT NULL DEFAULT 1,dirty INTEGER NOT NULL DEFAULT 0,deleted INTEGER NOT NULL DEFAULT 0,
      contact_id INTEGER REFERENCES contacts(_id),display_name TEXT);
    CREATE TABLE mimetypes (_id INTEGER PRIMARY KEY AUTOINCREMENT,mimetype TEXT NOT NULL);
    CREATE TABLE data (_id INTEGER PRIMARY KEY AUTOINCREMENT,package_id INTEGER,mimetype_id INTEGER NOT NULL,
      raw_contact_id INTEGER NOT NULL,is_primary INTEGER NOT NULL DEFAULT 0,data1 TEXT,data2 TEXT,data3 TEXT);
    """
    make_db(
        tmp_path / "ev" / DB,
        sql,
        {
            "raw_contacts": [(1, 0, "Line", "jp.naver.line.android", None, 1, 0, 0, 1, None)],
            "mimetypes": MIMETYPES,
            "data": [(1, None, 1, 1, 0, "ป้าแดง", None, None), (2, None, 2, 1, 0, "0812345678", "2", None)],
        },
    )
    run_extract(FolderTree(tmp_path / "ev"), AndroidContactsParser)
    (row,) = contacts(case)
    assert (row["name"], row["app"], row["account"]) == ("ป้าแดง", "LINE", "jp.naver.line.android/Line")
    assert json.loads(str(row["phones"]))[0]["e164"] == "+66812345678"


def test_corpus_database_has_no_raw_contacts(
    corpus: Path, tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    target = tmp_path / "ev" / Path(DB).parent
    target.mkdir(parents=True)
    shutil.copy(corpus / "android" / "contacts2.db", target)
    report = run_extract(FolderTree(tmp_path / "ev"), AndroidContactsParser)
    summary = report.exhibits[0].parsers["android.contacts"]
    assert (summary.unsupported, summary.errors, summary.records) == (1, 0, 0)
    (source,) = store_rows(case, "SELECT detail FROM sources")
    assert "lacks raw_contacts" in str(source["detail"]) and "calls" in str(source["detail"])


def test_invalid_utf8_in_an_account_name_stays_flagged(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = build_modern(tmp_path / "ev")
    raw = b" somchai\xff "  # written with the spaces a sync adapter may leave around it
    conn = sqlite3.connect(root / DB)
    conn.execute("UPDATE accounts SET account_name = CAST(? AS TEXT) WHERE _id = 2", (raw,))
    conn.commit()
    conn.close()
    report = run_extract(FolderTree(root), AndroidContactsParser)
    assert not report.failed
    (got,) = store_rows(case, "SELECT username, has_undecodable_text FROM accounts WHERE record_rowid = 2")
    assert got == {"username": "somchai\ufffd", "has_undecodable_text": 1}
    kept = store_rows(case, "SELECT column_name, raw FROM undecodable_text WHERE kind = 'accounts'")
    assert kept == [{"column_name": "username", "raw": b"somchai\xff"}]

"""android.calllog on the corpus's legacy calls table and on the current calllog.db layout."""

from __future__ import annotations

import shutil
from pathlib import Path

from evidence_intake.parsers.android.calllog import AndroidCallLogParser
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree
from tests.parsers.util import make_db, store_rows

# The store's columns for how long a call lasted, in seconds and as the app stored it (data, not timing).
CALL_LENGTH, AS_STORED = "duration_s", "duration_raw"

# CallLogDatabaseHelper (Android 12+), the columns up to the ones the parser reads and a few after
CALLLOG_SQL = """
CREATE TABLE calls (_id INTEGER PRIMARY KEY AUTOINCREMENT,number TEXT,presentation INTEGER NOT NULL DEFAULT 1,
  post_dial_digits TEXT NOT NULL DEFAULT '',via_number TEXT NOT NULL DEFAULT '',date INTEGER,duration INTEGER,
  data_usage INTEGER,type INTEGER,features INTEGER NOT NULL DEFAULT 0,subscription_component_name TEXT,
  subscription_id TEXT,phone_account_address TEXT,phone_account_hidden INTEGER NOT NULL DEFAULT 0,
  sub_id INTEGER DEFAULT -1,new INTEGER,name TEXT,numbertype INTEGER,numberlabel TEXT,countryiso TEXT,
  voicemail_uri TEXT,is_read INTEGER,geocoded_location TEXT,lookup_uri TEXT,matched_number TEXT,
  normalized_number TEXT,photo_id INTEGER NOT NULL DEFAULT 0,photo_uri TEXT,formatted_number TEXT,
  add_for_all_users INTEGER NOT NULL DEFAULT 1,last_modified INTEGER DEFAULT 0,_data TEXT,has_content INTEGER,
  mime_type TEXT,source_data TEXT,source_package TEXT,transcription TEXT,
    transcription_state INTEGER NOT NULL DEFAULT 0,
  state INTEGER,dirty INTEGER NOT NULL DEFAULT 0,deleted INTEGER NOT NULL DEFAULT 0,
    backed_up INTEGER NOT NULL DEFAULT 0,
  restore_version INTEGER NOT NULL DEFAULT 0,archived INTEGER NOT NULL DEFAULT 0,
    is_omtp_voicemail INTEGER NOT NULL DEFAULT 0,
  call_screening_component_name TEXT,call_screening_app_name TEXT,block_reason INTEGER NOT NULL DEFAULT 0,
  missed_reason INTEGER NOT NULL DEFAULT 0,priority INTEGER NOT NULL DEFAULT 0,subject TEXT,
    location_id INTEGER,
  composer_photo_uri TEXT,is_business_call INTEGER NOT NULL DEFAULT 0,asserted_display_name TEXT);
"""
TELEPHONY = "com.android.phone/com.android.services.telephony.TelephonyConnectionService"
COLUMNS = (
    "_id",
    "number",
    "date",
    "duration",
    "type",
    "features",
    "subscription_component_name",
    "name",
    "countryiso",
    "geocoded_location",
    "deleted",
)


def test_corpus_legacy_calls_table(corpus: Path, tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    target = tmp_path / "ev/data/data/com.android.providers.contacts/databases"
    target.mkdir(parents=True)
    shutil.copy(corpus / "android" / "contacts2.db", target)
    report = run_extract(FolderTree(tmp_path / "ev"), AndroidCallLogParser)
    assert report.exhibits[0].parsers["android.calllog"].records == 3 and not report.failed
    calls = store_rows(case, "SELECT * FROM calls ORDER BY record_rowid")
    assert [c["number"] for c in calls] == ["5404561685"] * 3
    assert [c["number_e164"] for c in calls] == ["+15404561685"] * 3  # countryiso US, not the case's TH
    assert [(c["direction"], c["status"], c[CALL_LENGTH]) for c in calls] == [
        ("incoming", "missed", 0),
        ("outgoing", "dialled", 126),
        ("incoming", "answered", 639),
    ]
    assert (
        calls[0]["started_at"] == "2013-11-06T21:17:16.690000Z"
        and calls[0]["started_at_raw"] == 1383772636690
    )
    assert (calls[0]["name"], calls[0]["location"], calls[0]["record_rowid"]) == ("Barney", "Bedrock", 714)


def test_current_layout(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    path = tmp_path / "ev/data/user_de/0/com.android.providers.contacts/databases/calllog.db"
    make_db(path, CALLLOG_SQL)
    import sqlite3

    conn = sqlite3.connect(path)
    rows = [
        (1, "0812345678", 1700000000000, 65, 2, 0, TELEPHONY, "พี่นก", "TH", "Thailand", 0),
        (2, "+8613123456789", 1700000100000, 0, 3, 0, TELEPHONY, None, "TH", "China", 0),
        (3, "0899990000", 1700000200000, 300, 1, 1, TELEPHONY, None, "", None, 0),  # video
        (4, "+95 9 212 3456", 1700000300000, 0, 6, 0, TELEPHONY, None, "MM", "Myanmar", 1),
        (
            5,
            "66899990000",
            1700000400000,
            42,
            1,
            0,
            "com.whatsapp/com.whatsapp.calling.SelfManagedConnectionService",
            None,
            None,
            None,
            0,
        ),
    ]
    conn.executemany(
        f"INSERT INTO calls ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows
    )
    conn.commit()
    conn.close()
    run_extract(FolderTree(tmp_path / "ev"), AndroidCallLogParser)
    calls = store_rows(case, "SELECT * FROM calls ORDER BY record_rowid")
    assert [c["number_e164"] for c in calls] == [
        "+66812345678",
        "+8613123456789",
        "+66899990000",
        "+9592123456",
        "+66899990000",
    ]
    assert [c["status"] for c in calls] == ["dialled", "missed", "answered", "blocked", "answered"]
    assert [c["call_type"] for c in calls] == ["voice", "voice", "video", "voice", "voice"]
    assert [c["app"] for c in calls] == ["Phone", "Phone", "Phone", "Phone", "com.whatsapp"]
    assert calls[3]["is_deleted"] == 1 and calls[0]["name"] == "พี่นก"


def test_contacts2_without_calls_is_not_applicable(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    make_db(
        tmp_path / "ev/data/data/com.android.providers.contacts/databases/contacts2.db",
        "CREATE TABLE raw_contacts (_id INTEGER PRIMARY KEY, deleted INTEGER);",
    )
    make_db(
        tmp_path / "ev/data/data/com.android.providers.contacts/databases/calllog.db",
        "CREATE TABLE calls (_id);",
    )
    report = run_extract(FolderTree(tmp_path / "ev"), AndroidCallLogParser)
    summary = report.exhibits[0].parsers["android.calllog"]
    assert (summary.not_applicable, summary.unsupported) == (1, 1)  # calllog.db's calls lacks columns
    sources = store_rows(case, "SELECT source_path, status, detail FROM sources ORDER BY source_path")
    assert sources[1]["status"] == "not applicable" and "calls" in str(sources[1]["detail"])
    assert sources[0]["status"] == "unsupported schema"


def test_duration_is_kept_as_stored(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    import sqlite3

    path = tmp_path / "ev/data/user_de/0/com.android.providers.contacts/databases/calllog.db"
    make_db(path, CALLLOG_SQL)
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO calls (_id, number, date, duration, type) VALUES (?, ?, ?, ?, ?)",
        [
            (1, "0812345678", 1700000000000, 65, 2),
            (2, "0899990000", 1700000100000, "1:05", 1),  # text a writer left in the INTEGER column
            (3, "+95 9 212 3456", 1700000200000, None, 3),
        ],
    )
    conn.commit()
    conn.close()
    run_extract(FolderTree(tmp_path / "ev"), AndroidCallLogParser)
    calls = store_rows(case, f"SELECT {CALL_LENGTH}, {AS_STORED} FROM calls ORDER BY record_rowid")
    # "1:05" is not read as 1 second (what CAST would give): no seconds, the stored text kept
    assert [c[CALL_LENGTH] for c in calls] == [65, None, None]
    assert [c[AS_STORED] for c in calls] == [65, "1:05", None]

"""android.sms on the corpus database, on the current AOSP layout, and on damaged input."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from evidence_intake.artefacts.query import query
from evidence_intake.parsers.android.sms import AndroidSmsParser
from evidence_intake.timeutil import parse_iso_utc
from tests.parsers.android.mmssms_schema import MMSSMS_SQL, sms_row
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree, MemoryTree
from tests.parsers.util import make_db, sha256_tree, store_rows

DB = "data/user_de/0/com.android.providers.telephony/databases/mmssms.db"


def sms(case: FakeCase) -> list[dict[str, object]]:
    return store_rows(case, "SELECT * FROM messages WHERE app = 'SMS' ORDER BY record_rowid")


def test_corpus_database(corpus: Path, tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    evidence = tmp_path / "evidence"
    target = evidence / "data/data/com.android.providers.telephony/databases"
    target.mkdir(parents=True)
    shutil.copy(corpus / "android" / "mmssms.db", target)
    before = sha256_tree(corpus / "android")
    report = run_extract(FolderTree(evidence), AndroidSmsParser)
    assert not report.failed
    rows = sms(case)
    assert len(rows) == 9
    first = rows[0]
    assert first["body"] == "Yo Fred this is my new number."
    assert parse_iso_utc(str(first["sent_at"])) == parse_iso_utc("2013-10-29T16:56:28.038Z")
    assert first["sent_at_raw"] == 1383065788038
    assert (first["direction"], first["status"], first["recipients"]) == (
        "outgoing",
        "sent",
        '["1 555-521-5554"]',
    )
    incoming = rows[2]
    assert (incoming["direction"], incoming["sender"], incoming["body"]) == (
        "incoming",
        "15555215554",
        "What message?",
    )
    assert incoming["sent_at"] == "2013-10-29T17:05:40.000000Z"  # date_sent: the network's time
    assert incoming["received_at"] == "2013-10-29T17:05:41.303000Z"  # date: when the phone stored it
    assert report.exhibits[0].parsers["android.sms"].records == 9
    assert sha256_tree(corpus / "android") == before


def build(tmp_path: Path, sms_rows: list[tuple[object, ...]], *, mms: bool = True) -> Path:
    evidence = tmp_path / "evidence"
    rows: dict[str, list[tuple[object, ...]]] = {"sms": sms_rows}
    if mms:
        rows["pdu"] = [
            # incoming MMS with text and a photo; pdu.date is in seconds
            (
                1,
                7,
                1700000000,
                1699999990,
                1,
                1,
                "m1",
                "งานด่วน",
                106,
                None,
                None,
                None,
                "personal",
                132,
                18,
                1000,
                129,
                129,
                129,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                0,
                1,
                1,
                None,
                0,
            ),
            # outgoing MMS to two people
            (
                2,
                8,
                1700000100,
                0,
                2,
                1,
                "m2",
                None,
                None,
                None,
                None,
                None,
                "personal",
                128,
                18,
                1000,
                129,
                129,
                129,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                0,
                1,
                1,
                None,
                0,
            ),
            # a delivery report: not a message
            (
                3,
                8,
                1700000200,
                0,
                1,
                1,
                "m2",
                None,
                None,
                None,
                None,
                None,
                None,
                134,
                18,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                0,
                1,
                1,
                None,
                0,
            ),
        ]
        rows["addr"] = [
            (1, 1, None, "+66 81 234 5678", 0x89, 106),
            (2, 1, None, "+66 89 999 0000", 0x97, 106),
            (3, 2, None, "insert-address-token", 0x89, 106),
            (4, 2, None, "0812345678", 0x97, 106),
            (5, 2, None, "+86 131 2345 6789", 0x97, 106),
        ]
        rows["part"] = [
            (
                1,
                1,
                0,
                "application/smil",
                None,
                None,
                None,
                None,
                None,
                "smil.xml",
                None,
                None,
                None,
                "<smil/>",
            ),
            (2, 1, 1, "text/plain", None, 106, None, None, None, "text_0.txt", None, None, None, "ดูรูปนี้"),
            (
                3,
                1,
                2,
                "image/jpeg",
                "IMG_1.jpg",
                None,
                None,
                "IMG_1.jpg",
                None,
                "IMG_1.jpg",
                None,
                None,
                "/data/user_de/0/com.android.providers.telephony/app_parts/PART_1",
                None,
            ),
            (
                4,
                2,
                0,
                "text/plain",
                None,
                106,
                None,
                None,
                None,
                "text_0.txt",
                None,
                None,
                None,
                "明天给你转账",
            ),
        ]
    make_db(evidence / DB, MMSSMS_SQL, rows)
    return evidence


ROWS = [
    sms_row(1, "+66812345678", 1700000000000, 1, "พรุ่งนี้โอนเงินให้แล้วนะ", date_sent=1699999999000),
    sms_row(2, "0812345678", 1700000060000, 2, "ok ครับ"),
    sms_row(3, "+8613123456789", 1700000120000, 1, "明天给你转账"),
    sms_row(4, "AIS", 1700000180000, 1, "แพ็กเกจเน็ตของคุณใกล้หมด"),  # operator sender id: not a number
    sms_row(5, "0899990000", 1700000240000, 3, "draft not sent"),
    sms_row(6, "0899990000", 1700000300000, 5, "failed"),
]


def test_current_layout_sms_and_mms(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(FolderTree(build(tmp_path, ROWS)), AndroidSmsParser)
    assert not report.failed
    rows = sms(case)
    assert [r["direction"] for r in rows] == [
        "incoming",
        "outgoing",
        "incoming",
        "incoming",
        "outgoing",
        "outgoing",
    ]
    assert [r["status"] for r in rows] == ["received", "sent", "received", "received", "draft", "failed"]
    assert rows[0]["sender_phone"] == "+66812345678" and rows[0]["sent_at"] == "2023-11-14T22:13:19.000000Z"
    assert rows[1]["recipient_phones"] == '["+66812345678"]' and rows[1]["sender"] is None
    assert rows[3]["sender"] == "AIS" and rows[3]["sender_phone"] is None

    mms = store_rows(case, "SELECT * FROM messages WHERE app = 'MMS' ORDER BY record_rowid")
    assert [m["record_rowid"] for m in mms] == [1, 2]  # the delivery report (m_type 134) is skipped
    inbound, outbound = mms
    assert inbound["body"] == "Subject: งานด่วน\nดูรูปนี้" and inbound["direction"] == "incoming"
    assert inbound["sender_phone"] == "+66812345678" and inbound["recipients"] == '["+66 89 999 0000"]'
    assert (
        inbound["sent_at"] == "2023-11-14T22:13:10.000000Z"
        and inbound["received_at"] == "2023-11-14T22:13:20.000000Z"
    )
    assert '"mime_type":"image/jpeg"' in str(inbound["attachments"]) and "PART_1" in str(
        inbound["attachments"]
    )
    assert outbound["sender"] is None and outbound["recipient_phones"] == '["+66812345678","+8613123456789"]'
    assert outbound["body"] == "明天给你转账" and outbound["sent_at"] == "2023-11-14T22:15:00.000000Z"
    identifiers = store_rows(
        case, "SELECT value, count(*) AS n FROM identifiers GROUP BY value ORDER BY value"
    )
    assert {"value": "+66812345678", "n": 4} in identifiers  # two SMS and two MMS, in and out


def test_search_finds_thai_and_chinese_inside_sentences(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    run_extract(FolderTree(build(tmp_path, ROWS)), AndroidSmsParser)
    thai = query(case.artefacts_path, "messages", search="โอนเงิน")
    assert [r["body"] for r in thai.rows] == ["พรุ่งนี้โอนเงินให้แล้วนะ"] and thai.notes == []
    chinese = query(case.artefacts_path, "messages", search="转账")  # two characters: below a trigram
    assert sorted(r["app"] for r in chinese.rows) == ["MMS", "SMS"]
    assert "shorter than 3 characters" in chinese.notes[0]
    assert [r["body"] for r in query(case.artefacts_path, "messages", search="给你转账").rows] == [
        "明天给你转账"
    ] * 2
    assert next(query(case.artefacts_path, "messages", search="OK ครับ").rows)["body"] == "ok ครับ"
    assert list(query(case.artefacts_path, "messages", search="โอนเงินไป").rows) == []


def run_on(tmp_path: Path, data: bytes, run_extract: Runner) -> object:
    return run_extract(MemoryTree({"/" + DB: data}), AndroidSmsParser)


def errors(case: FakeCase) -> list[str]:
    return [
        r["error"] for r in store_rows(case, "SELECT error FROM extraction_errors WHERE severity = 'error'")
    ]


def test_not_sqlite_is_an_error_naming_the_file(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    report = run_on(tmp_path, os.urandom(8192), run_extract)
    assert report.failed  # type: ignore[attr-defined]
    (message,) = errors(case)
    assert "is not a SQLite database" in message and DB in message
    assert case.actions("parser_error")[0].details["source_path"] == "/" + DB


def many(n: int) -> list[tuple[object, ...]]:
    return [
        sms_row(i, f"08{i:08d}", 1700000000000 + i, 1 + i % 2, f"ข้อความที่ {i} " + "x" * 200)
        for i in range(1, n + 1)
    ]


def test_truncated_database_keeps_rows_before_the_cut(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = make_db(tmp_path / "full.db", MMSSMS_SQL, {"sms": many(3000)})
    data = path.read_bytes()
    run_on(tmp_path, data[: len(data) * 6 // 10], run_extract)
    (source,) = store_rows(case, "SELECT status, records, detail FROM sources")
    assert source["status"] == "error", source
    assert 0 < int(source["records"]) < 3000, source  # a partial result, never silently empty
    assert "malformed" in str(source["detail"]) and "kept" in str(source["detail"])


def test_pages_of_garbage_give_an_error_and_a_partial_result(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = make_db(tmp_path / "full.db", MMSSMS_SQL, {"sms": many(3000)})
    data = bytearray(path.read_bytes())
    page = 4096
    rng = random.Random(6)
    for n in range(len(data) // page // 2, len(data) // page // 2 + 5):
        data[n * page : (n + 1) * page] = bytes(rng.getrandbits(8) for _ in range(page))
    run_on(tmp_path, bytes(data), run_extract)
    (source,) = store_rows(case, "SELECT status, records FROM sources")
    assert source["status"] == "error" and 0 < int(source["records"]) < 3000
    assert errors(case)


def test_missing_columns_are_an_unsupported_schema(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    evidence = tmp_path / "evidence"
    make_db(
        evidence / DB, "CREATE TABLE sms (_id INTEGER PRIMARY KEY, address TEXT, date INTEGER, type INTEGER);"
    )
    report = run_extract(FolderTree(evidence), AndroidSmsParser)
    assert report.exhibits[0].parsers["android.sms"].unsupported == 1 and not report.failed
    (source,) = store_rows(case, "SELECT status, detail FROM sources")
    assert source["status"] == "unsupported schema" and "sms.body" in str(source["detail"])


def test_huge_text_is_stored_whole(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    body = "โอนเงิน " * 400_000  # about 9 MiB of Thai text
    run_extract(
        FolderTree(build(tmp_path, [sms_row(1, "0812345678", 1700000000000, 1, body)], mms=False)),
        AndroidSmsParser,
    )
    (row,) = sms(case)
    assert row["body"] == body


def test_invalid_utf8_is_replaced_flagged_and_kept(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    raw = "โอน".encode() + b"\xff\xfe" + "เงิน".encode()
    evidence = build(tmp_path, [sms_row(1, "0812345678", 1700000000000, 1, "ok")], mms=False)
    conn = sqlite3.connect(evidence / DB)
    conn.execute("UPDATE sms SET body = CAST(? AS TEXT) WHERE _id = 1", (raw,))
    conn.commit()
    conn.close()
    report = run_extract(FolderTree(evidence), AndroidSmsParser)
    (row,) = sms(case)
    assert row["body"] == "โอน\ufffd\ufffdเงิน" and row["has_undecodable_text"] == 1
    (kept,) = store_rows(case, "SELECT * FROM undecodable_text")
    assert (kept["raw"], kept["column_name"], kept["record_rowid"]) == (raw, "body", 1)
    assert report.exhibits[0].parsers["android.sms"].warnings == 1 and not report.failed
    (warning,) = store_rows(case, "SELECT error FROM extraction_errors WHERE severity = 'warning'")
    assert "not valid UTF-8" in warning["error"]


def test_timestamps_out_of_range_are_warned_and_kept(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    rows = [
        sms_row(1, "0812345678", 99_999_999_999_999_999, 2, "year 3 million"),
        sms_row(2, "0812345678", -5_000_000_000_000, 2, "before 1900"),
        sms_row(3, "0812345678", 1700000000000, 2, "fine"),
    ]
    report = run_extract(FolderTree(build(tmp_path, rows, mms=False)), AndroidSmsParser)
    got = sms(case)
    assert [r["sent_at"] for r in got][:2] == [None, None] and got[2]["sent_at"] is not None
    assert [r["sent_at_raw"] for r in got][:2] == [99_999_999_999_999_999, -5_000_000_000_000]
    assert not report.failed and report.exhibits[0].parsers["android.sms"].warnings == 1
    (warning,) = store_rows(case, "SELECT error, record_rowid FROM extraction_errors")
    assert (
        "2 messages have a sent_at that is out of range" in warning["error"] and warning["record_rowid"] == 1
    )


@pytest.mark.parametrize("jobs", [0, 2])
def test_same_result_inline_and_in_a_pool(
    tmp_path: Path, case: FakeCase, run_extract: Runner, jobs: int
) -> None:
    run_extract(FolderTree(build(tmp_path, ROWS)), AndroidSmsParser, jobs=jobs)
    assert len(store_rows(case, "SELECT id FROM messages")) == 8


def test_invalid_utf8_in_an_mms_subject_stays_flagged_in_the_composed_body(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    raw = b"\xe0\xb8\xaa\xffA"  # a Thai letter, a byte that is never UTF-8, then A
    evidence = build(tmp_path, [sms_row(1, "0812345678", 1700000000000, 1, "ok")])
    conn = sqlite3.connect(evidence / DB)
    conn.execute("UPDATE pdu SET sub = CAST(? AS TEXT) WHERE _id = 1", (raw,))
    conn.commit()
    conn.close()
    report = run_extract(FolderTree(evidence), AndroidSmsParser)
    assert not report.failed
    (mms,) = store_rows(
        case, "SELECT body, has_undecodable_text FROM messages WHERE app = 'MMS' AND record_rowid = 1"
    )
    assert mms == {"body": "Subject: ส\ufffdA\nดูรูปนี้", "has_undecodable_text": 1}
    (kept,) = store_rows(case, "SELECT record_table, record_rowid, column_name, raw FROM undecodable_text")
    # the raw bytes of the whole body: the parser's words in UTF-8 around the subject's own bytes
    assert kept == {
        "record_table": "pdu",
        "record_rowid": 1,
        "column_name": "body",
        "raw": b"Subject: " + raw + b"\n" + "ดูรูปนี้".encode(),
    }

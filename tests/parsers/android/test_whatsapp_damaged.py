"""android.whatsapp on damaged and hostile input: the engine's rules, ridden by this parser."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.parsers.android.whatsapp import WhatsAppParser
from tests.parsers.android.chatdb import build, errors, garbled, rows, set_raw_text, sources, truncated
from tests.parsers.android.whatsapp_rows import DB, SCHEMA, T, current_rows, evidence, message
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree, MemoryTree
from tests.parsers.util import store_rows


def many(n: int) -> dict[str, list[dict[str, Any]]]:
    data = current_rows()
    data["message"] = [message(i, 2, i % 2, T + i, text=f"ข้อความ {i} " + "x" * 200) for i in range(1, n + 1)]
    data["message_media"] = []
    data["message_location"] = []
    return data


def run_on(data: bytes, run_extract: Runner) -> Any:
    return run_extract(MemoryTree({"/" + DB: data}), WhatsAppParser)


def test_not_sqlite_is_an_error_naming_the_file(case: FakeCase, run_extract: Runner) -> None:
    report = run_on(os.urandom(8192), run_extract)
    assert report.failed
    (message_,) = errors(case)
    assert "is not a SQLite database" in message_ and DB in message_


def test_truncated_database_keeps_the_rows_before_the_cut(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = build(tmp_path / "full.db", SCHEMA, many(3000))
    run_on(truncated(path.read_bytes()), run_extract)
    got = store_rows(case, "SELECT status, records, detail FROM sources")
    assert got[0]["status"] == "error" and 0 < int(got[0]["records"]) < 3000 + 5, got
    assert "malformed" in str(got[0]["detail"])


def test_pages_of_garbage_give_an_error_and_a_partial_result(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    path = build(tmp_path / "full.db", SCHEMA, many(3000))
    run_on(garbled(path.read_bytes()), run_extract)
    (source,) = store_rows(case, "SELECT status, records FROM sources")
    assert source["status"] == "error" and 0 < int(source["records"]) < 3000 + 5
    assert errors(case)


def test_missing_columns_are_an_unsupported_schema_with_the_tables_seen(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = tmp_path / "evidence"
    sql = """
        CREATE TABLE jid (_id INTEGER PRIMARY KEY, user TEXT, server TEXT, raw_string TEXT);
        CREATE TABLE chat (_id INTEGER PRIMARY KEY, jid_row_id INTEGER, subject TEXT);
        CREATE TABLE message (_id INTEGER PRIMARY KEY, chat_row_id INTEGER, from_me INTEGER, key_id TEXT,
          sender_jid_row_id INTEGER, status INTEGER, timestamp INTEGER, received_timestamp INTEGER,
          message_type INTEGER, body_of_a_future_version TEXT);
    """
    build(root / DB, sql, {})
    report = run_extract(FolderTree(root), WhatsAppParser)
    assert report.exhibits[0].parsers["android.whatsapp"].unsupported == 1 and not report.failed
    (source,) = sources(case)
    assert source["status"] == "unsupported schema"
    assert "tables seen: chat, jid, message" in str(source["detail"])
    assert "'current' lacks message.text_data" in str(source["detail"])


def test_huge_text_is_stored_whole(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    body = "โอนเงิน USDT " * 300_000  # about 7 MiB
    data = current_rows()
    data["message"] = [message(1, 2, 0, T, text=body)]
    run_extract(FolderTree(evidence(tmp_path, data=data)), WhatsAppParser)
    assert rows(case, "messages", ("body",)) == [(body,)]


def test_invalid_utf8_is_replaced_flagged_and_kept(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    root = evidence(tmp_path)
    raw = "โอน".encode() + b"\xff\xfe" + "เงิน".encode()
    set_raw_text(root / DB, "message", "text_data", 1, raw)
    report = run_extract(FolderTree(root), WhatsAppParser)
    assert not report.failed
    assert rows(case, "messages", ("body", "has_undecodable_text"), "record_rowid = 1") == [
        ("โอน\ufffd\ufffdเงิน", 1)
    ]
    (kept,) = store_rows(case, "SELECT raw, column_name, record_rowid FROM undecodable_text")
    assert (kept["raw"], kept["column_name"], kept["record_rowid"]) == (raw, "body", 1)


def test_timestamps_out_of_range_are_warned_and_kept(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    data = current_rows()
    data["message"] = [
        message(1, 2, 1, 99_999_999_999_999_999, text="year 3 million"),
        message(2, 2, 1, -5_000_000_000_000, text="before 1900"),
        message(3, 2, 1, T, text="fine"),
    ]
    report = run_extract(FolderTree(evidence(tmp_path, data=data)), WhatsAppParser)
    assert rows(case, "messages", ("sent_at", "sent_at_raw")) == [
        (None, 99_999_999_999_999_999),
        (None, -5_000_000_000_000),
        ("2025-03-06T13:01:00.000000Z", T),
    ]
    assert not report.failed
    (warning,) = errors(case, "warning")
    assert "2 messages have a sent_at that is out of range" in warning


@pytest.mark.parametrize("jobs", [0, 2])
def test_same_rows_inline_and_in_a_pool(
    tmp_path: Path, case: FakeCase, run_extract: Runner, jobs: int
) -> None:
    run_extract(FolderTree(evidence(tmp_path)), WhatsAppParser, jobs=jobs)
    assert len(rows(case, "messages", ("id",))) == 10 and len(rows(case, "calls", ("id",))) == 5

"""Extracting a file again: its rows are replaced only by a complete run, and the indexes stay exact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from evidence_intake.parsers.android.sms import AndroidSmsParser
from evidence_intake.parsers.vcard import VCardParser
from tests.parsers.android.test_sms import DB, ROWS, build
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.trees import FolderTree
from tests.parsers.util import store_rows

# a card with a number and no name at all: a contact whose name is NULL (not in the name index)
NAMELESS = b"BEGIN:VCARD\r\nVERSION:3.0\r\nTEL:0812345678\r\nEND:VCARD\r\n"
NAMED = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Somchai\r\nTEL:0812345679\r\nEND:VCARD\r\n"


def _varint(data: bytes) -> int:
    """SQLite's variable-length integer (as FTS5 writes its row total)."""
    value = 0
    for n, byte in enumerate(data[:9]):
        if n == 8:
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            break
    return value


def fts_ok(case: FakeCase) -> None:
    """Both full-text indexes pass FTS5's integrity check, and each counts exactly the rows that have
    text (the check itself does not look at that count, which a wrong 'delete' puts off)."""
    conn = sqlite3.connect(case.artefacts_path)
    try:
        for table, rows, column in (
            ("messages_fts", "message_rows", "body"),
            ("contacts_fts", "contact_rows", "name"),
        ):
            conn.execute(f"INSERT INTO {table}({table}) VALUES('integrity-check')")
            (averages,) = conn.execute(f"SELECT block FROM {table}_data WHERE id = 1").fetchone()
            (with_text,) = conn.execute(f"SELECT count(*) FROM {rows} WHERE {column} IS NOT NULL").fetchone()
            assert _varint(averages) == with_text, table
    finally:
        conn.close()


def test_rows_without_text_are_replaced_on_a_rerun_and_the_search_index_stays_sound(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    evidence = build(tmp_path, ROWS)
    db = sqlite3.connect(evidence / DB)
    db.execute("DELETE FROM part WHERE mid = 2")  # the outgoing MMS loses its only text part
    db.commit()
    db.close()
    (evidence / "sdcard").mkdir()
    (evidence / "sdcard/contacts.vcf").write_bytes(NAMELESS + NAMED)
    first = run_extract(FolderTree(evidence), AndroidSmsParser, VCardParser)
    assert not first.failed
    before = store_rows(case, "SELECT app, body FROM messages ORDER BY app, record_rowid")
    assert ("MMS", None) in [(r["app"], r["body"]) for r in before]
    names = store_rows(case, "SELECT name FROM contacts ORDER BY record_offset")
    assert [r["name"] for r in names] == [None, "Somchai"]
    fts_ok(case)

    second = run_extract(FolderTree(evidence), AndroidSmsParser, VCardParser)
    assert not second.failed and second.exhibits[0].status == "completed"
    assert store_rows(case, "SELECT app, body FROM messages ORDER BY app, record_rowid") == before
    assert len(store_rows(case, "SELECT id FROM contacts")) == 2
    fts_ok(case)
    hits = store_rows(case, "SELECT rowid FROM messages_fts WHERE body LIKE '%给你转账%'")
    assert len(hits) == 1  # the SMS, once (the MMS that said it has no text now)
    for _ in range(8):  # each re-run counted one row too many off the index: then it was "malformed"
        again = run_extract(FolderTree(evidence), AndroidSmsParser, VCardParser)
        assert again.exhibits[0].status == "completed"
    fts_ok(case)

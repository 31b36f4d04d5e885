"""Content types come from the bytes, not the name."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from evidence_intake.evidence.filetype import HEAD_SIZE, matches, mime_type


def sqlite_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "renamed.jpg"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE messages (_id INTEGER PRIMARY KEY, body TEXT)")
        db.execute("INSERT INTO messages (body) VALUES ('โอนเงิน USDT')")
    return path.read_bytes()


def test_renamed_sqlite_is_still_sqlite(tmp_path: Path) -> None:
    assert mime_type(sqlite_bytes(tmp_path)) == "application/vnd.sqlite3"


def test_common_types() -> None:
    assert mime_type(b"") == "application/x-empty"
    assert mime_type("ข้อความภาษาไทย\n".encode()) == "text/plain"
    assert mime_type(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)).startswith("image/png")
    assert mime_type(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") == "application/pdf"


def test_only_the_head_counts_and_results_are_stable(tmp_path: Path) -> None:
    data = sqlite_bytes(tmp_path) + b"\x00" * (2 * HEAD_SIZE)
    assert mime_type(data) == mime_type(data[:HEAD_SIZE]) == "application/vnd.sqlite3"
    assert mime_type(data) == "application/vnd.sqlite3"  # second answer from the cache


def test_matches_patterns() -> None:
    assert matches("application/vnd.sqlite3", "application/vnd.sqlite3")
    assert matches("image/jpeg", "image/*")
    assert matches("application/vnd.sqlite3", "*SQLITE*")
    assert not matches("image/jpeg", "application/*")

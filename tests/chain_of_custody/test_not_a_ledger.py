"""A file that is not a ledger, or a damaged one, is refused by name and never written to."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from chain_of_custody import Ledger, NotALedgerError
from chain_of_custody.schema import APPLICATION_ID


def fingerprint(folder: Path) -> dict[str, str]:
    """Name → SHA-256 of every file in the folder: proves that nothing was written or added."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def refuse(path: Path, message: str, *, readonly: bool = False) -> None:
    before = fingerprint(path.parent)
    with pytest.raises(NotALedgerError, match=message) as caught:
        Ledger.open(path, readonly=readonly)
    assert str(path) in str(caught.value)
    assert caught.value.path == path
    assert fingerprint(path.parent) == before


@pytest.mark.parametrize("readonly", [False, True])
def test_text_file(tmp_path: Path, readonly: bool) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_text("Exhibit list, raid of 28 Nov: 412 phones, 37 laptops\n" * 20, encoding="utf-8")
    refuse(path, "not an SQLite database at all", readonly=readonly)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.touch()
    refuse(path, "empty")


def test_folder(tmp_path: Path) -> None:
    refuse_dir = tmp_path / "ledger.sqlite"
    refuse_dir.mkdir()
    with pytest.raises(NotALedgerError, match="not a file"):
        Ledger.open(refuse_dir)


@pytest.mark.parametrize("readonly", [False, True])
def test_other_sqlite_database(tmp_path: Path, readonly: bool) -> None:
    # A chat database of the kind found on seized phones: SQLite, but not ours.
    path = tmp_path / "msgstore.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "PRAGMA journal_mode=DELETE;"
        "CREATE TABLE messages (_id INTEGER PRIMARY KEY, key_remote_jid TEXT, data TEXT, timestamp INTEGER);"
        "INSERT INTO messages VALUES (1, '66812345678@s.whatsapp.net', 'โอนเงินแล้ว', 1732752000000);"
    )
    conn.close()
    refuse(path, "SQLite database of another kind", readonly=readonly)


def test_sqlite_database_pretending_with_our_application_id(tmp_path: Path) -> None:
    path = tmp_path / "fake.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    conn.commit()
    conn.close()
    refuse(path, "not its tables")


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_ledger(build_ledger: Callable[..., Path], keep: float) -> None:
    path = build_ledger(400)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    refuse(path, "truncated")


def test_ledger_with_garbage_over_its_pages(build_ledger: Callable[..., Path]) -> None:
    path = build_ledger(50)
    data = bytearray(path.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)  # page 1 intact, everything else noise
    path.write_bytes(bytes(data))
    refuse(path, "the ledger is damaged: SQLite cannot read it")


def test_refused_file_is_not_switched_to_wal(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(NotALedgerError):
        Ledger.open(path)
    assert path.read_bytes()[18:20] == b"\x01\x01"  # still a rollback-journal database, never made WAL

"""Scratch copies: every byte hashed on the way, the copy re-hashed, the -wal read, evidence untouched."""

from __future__ import annotations

import hashlib
import io
import sqlite3
from pathlib import Path
from typing import BinaryIO

import pytest

from evidence_intake.errors import EvidenceError, IntegrityError
from evidence_intake.evidence.model import Entry
from evidence_intake.parsers import source as source_mod
from evidence_intake.parsers.schema import SchemaInfo
from evidence_intake.parsers.source import Source, SourceFile, copy_entry, copy_with_companions, open_readonly
from tests.parsers.trees import FolderTree, MemoryTree
from tests.parsers.util import sha256_tree

WAL_MAIN_SHA = "8a437d48ab5df194ef3545ccdc72c63b894200cba10937656e8fba936d75a7f6"
WAL_LOG_SHA = "1d886ad3f5993bc307872349d80f626059e8bbc954d14382768444775992b1f9"


def entries(tree: FolderTree) -> dict[str, Entry]:
    return {e.path: e for e in tree.walk()}


def test_wal_database_gives_eleven_rows_through_the_scratch_copy(corpus: Path, tmp_path: Path) -> None:
    folder = corpus / "sqlite-wal"
    before = sha256_tree(folder)
    assert before["wal_database.db"] == WAL_MAIN_SHA and before["wal_database.db-wal"] == WAL_LOG_SHA
    tree = FolderTree(folder)
    found = entries(tree)
    main, companions = copy_with_companions(
        tree, found["/wal_database.db"], [found["/wal_database.db-wal"]], tmp_path / "copy"
    )
    assert main.sha256 == WAL_MAIN_SHA
    assert [(c.role, c.sha256) for c in companions] == [("-wal", WAL_LOG_SHA)]
    assert Path(str(main.local_path) + "-wal").is_file()

    conn = open_readonly(main.local_path)
    texts = [r[0] for r in conn.execute("SELECT * FROM MyTable")]
    conn.close()
    assert len(texts) == 11
    assert {"Modified Committed Text 3", "New Text 1", "New Text 2"} <= set(texts)
    assert "Deleted Text 1" not in texts
    # what a careless reader would get: immutable=1 ignores the log
    ignoring = sqlite3.connect(main.local_path.resolve().as_uri() + "?immutable=1", uri=True)
    assert ignoring.execute("SELECT count(*) FROM MyTable").fetchone()[0] == 10
    ignoring.close()
    # reading applied the log without folding it into the copy, and the evidence never changed
    assert hashlib.sha256(main.local_path.read_bytes()).hexdigest() == WAL_MAIN_SHA
    assert sha256_tree(folder) == before


def test_copy_is_rehashed_and_a_mismatch_stops_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = MemoryTree({"/a.db": b"x" * 5000})
    entry = next(tree.walk())
    good = copy_entry(tree, entry, tmp_path / "good")
    assert good.sha256 == hashlib.sha256(b"x" * 5000).hexdigest() and good.size == 5000

    monkeypatch.setattr(source_mod, "sha256_file", lambda path: "0" * 64)  # the disk gave back other bytes
    with pytest.raises(IntegrityError, match="does not match what was read"):
        copy_entry(tree, entry, tmp_path / "bad")


class ShortTree(MemoryTree):
    """A file system that claims more bytes than it can deliver (a damaged file)."""

    def open(self, entry: Entry) -> BinaryIO:
        return io.BytesIO(self.files[entry.path][:10])


def test_short_read_is_an_evidence_error_naming_the_file(tmp_path: Path) -> None:
    tree = ShortTree({"/data/x.db": b"y" * 100}, volume="p2")
    with pytest.raises(EvidenceError, match=r"p2:/data/x.db: read 10 bytes but the file system gives 100"):
        copy_entry(tree, next(tree.walk()), tmp_path / "x")


def test_source_gives_rows_by_name_and_lossy_text(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t(a TEXT)")
    conn.execute("INSERT INTO t VALUES (CAST(X'61FF62' AS TEXT))")  # 'a', an invalid byte, 'b'
    conn.commit()
    info = SchemaInfo.read(conn)
    conn.close()
    file = SourceFile(
        exhibit="EX-001",
        region="TH",
        path="/s.db",
        location="/s.db",
        volume="",
        filesystem="",
        inode=None,
        size=db.stat().st_size,
        sha256="",
        local_path=db,
        info=info,
        is_sqlite=True,
    )
    src = Source(file)
    (row,) = list(src.rows("SELECT a FROM t"))
    assert row["a"] == "a\ufffdb" and row["a"].raw == b"a\xffb"
    assert src.has_column("t", "a") and not src.has_table("u")
    src.close()


def _frozen(tmp_path: Path, conn: sqlite3.Connection, name: str) -> Path:
    """The database and its -wal as they are now, copied aside while the writer still holds them."""
    frozen = tmp_path / name
    frozen.mkdir()
    for suffix in ("", "-wal"):
        (frozen / f"live.db{suffix}").write_bytes((tmp_path / f"live.db{suffix}").read_bytes())
    return frozen / "live.db"


def test_a_healthy_log_after_checkpoints_gets_no_warning(tmp_path: Path) -> None:
    """After a checkpoint SQLite writes the log again from its start: frames of the earlier generation
    stay beyond the new ones, and journal_size_limit (Android's 512 KiB) cuts the file anywhere among
    them. That is a healthy log: nothing of the current transactions is skipped, nothing is said."""
    conn = sqlite3.connect(tmp_path / "live.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("PRAGMA journal_size_limit=524288")
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.executemany("INSERT INTO t VALUES (randomblob(3000))", [()] * 200)
    conn.commit()
    assert source_mod.wal_problem(tmp_path / "live.db") is None  # every frame is applied
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    conn.execute("INSERT INTO t VALUES (x'00')")  # restarts the log; the limit then cuts the file
    conn.commit()
    db = _frozen(tmp_path, conn, "restarted")
    conn.close()
    size = Path(str(db) + "-wal").stat().st_size
    assert size == 524288 and (size - 32) % (24 + 4096)  # cut mid-frame, among the older frames
    assert source_mod.wal_problem(db) is None
    check = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)
    assert check.execute("SELECT count(*) FROM t").fetchone()[0] == 201
    check.close()


def test_a_last_transaction_without_its_commit_is_counted(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "live.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.commit()
    conn.executemany("INSERT INTO t VALUES (randomblob(3000))", [()] * 4)  # a transaction of several pages
    conn.commit()
    db = _frozen(tmp_path, conn, "cut")
    conn.close()
    wal = Path(str(db) + "-wal")
    frame = 24 + 4096
    wal.write_bytes(wal.read_bytes()[:-frame])  # its commit frame lost: the transaction is not applied
    said = source_mod.wal_problem(db)
    frames = (wal.stat().st_size - 32) // frame
    assert said is not None and said.startswith(f"the -wal ({wal.stat().st_size} bytes) ends with ")
    uncommitted = frames - 2  # the table's creation (two frames, committed) stays applied
    assert f"{uncommitted} frame(s) after its last committed transaction" in said
    check = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)
    assert check.execute("SELECT count(*) FROM t").fetchone()[0] == 0  # what SQLite reads
    check.close()

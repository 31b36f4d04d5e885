"""Extracting a file again: its rows are replaced only by a complete run, and the indexes stay exact."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from evidence_intake.artefacts.model import Artefact
from evidence_intake.artefacts.store import ArtefactStore
from evidence_intake.errors import InsufficientSpaceError
from evidence_intake.evidence.model import Entry
from evidence_intake.parsers import APPLIES, Applicability, Source, engine, not_applicable
from evidence_intake.parsers.android.sms import AndroidSmsParser
from evidence_intake.parsers.vcard import VCardParser
from tests.parsers.android.test_sms import DB, ROWS, build
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.sample_parsers import NOTES_SQL, BulkNotes, TypedNotes
from tests.parsers.trees import FolderTree
from tests.parsers.util import make_db, store_rows

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


# -- a re-run that does not complete replaces nothing ----------------------------------------------

NOTES = "data/data/test.notes/databases/notes.db"
NOTE_ROWS = [
    (1, "Somchai", "081 234 5678", "พรุ่งนี้โอนเงินให้แล้วนะ", 1700000000000),
    (2, "Li Wei", "+86 138 0013 8000", "明天给你转账", 1700000001000),
    (3, "Ko Aung", "+95 9 212 3456", "hello", 1700000002000),
    (4, "Nok", "089 999 0000", "ok", 1700000003000),
]


class Flaky(TypedNotes):
    """test.notes that, once ``fail`` is set, fails after two rows (a value it did not expect)."""

    fail = False

    def applies(self, source: Source) -> Applicability:
        marked = source.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'marker'").fetchone()
        return not_applicable("a marked notes file") if marked else APPLIES

    def parse(self, source: Source) -> Iterator[Artefact]:
        for n, artefact in enumerate(super().parse(source)):
            if n == 2 and Flaky.fail:
                raise ValueError("unexpected value in notes.created")
            yield artefact


class Unreadable(FolderTree):
    """The same folder, whose files can no longer be read (a damaged container, a bad disk)."""

    def open(self, entry: Entry) -> BinaryIO:
        raise OSError(errno.EIO, "Input/output error")


@pytest.fixture()
def notes(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    make_db(root / NOTES, NOTES_SQL, {"notes": NOTE_ROWS})
    return root


def first_run(case: FakeCase, notes: Path, run_extract: Runner) -> list[dict[str, Any]]:
    report = run_extract(FolderTree(notes), Flaky, BulkNotes)
    assert report.exhibits[0].status == "completed"
    rows = store_rows(case, "SELECT * FROM messages ORDER BY parser, record_rowid")
    assert len(rows) == 8
    return rows


def only_older_rows(case: FakeCase, before: list[dict[str, Any]]) -> None:
    """The views hold exactly the first run's rows, indexed once, with nothing of the second run."""
    assert store_rows(case, "SELECT * FROM messages ORDER BY parser, record_rowid") == before
    assert store_rows(case, "SELECT count(*) AS n FROM message_rows")[0]["n"] == 8
    assert store_rows(case, "SELECT count(*) AS n FROM identifiers")[0]["n"] == 8
    hits = store_rows(case, "SELECT rowid FROM messages_fts WHERE body LIKE '%โอนเงิน%'")
    assert sorted(h["rowid"] for h in hits) == sorted(r["id"] for r in before if "โอนเงิน" in r["body"])
    fts_ok(case)


@pytest.mark.parametrize("how", ["unreadable", "unsupported schema", "not applicable"])
def test_a_rerun_that_cannot_start_on_the_file_keeps_what_the_earlier_run_read(
    case: FakeCase, notes: Path, tmp_path: Path, run_extract: Runner, how: str
) -> None:
    before = first_run(case, notes, run_extract)
    tree: FolderTree
    if how == "unreadable":
        tree = Unreadable(notes)
    else:
        changed = tmp_path / "changed"
        shutil.copytree(notes, changed)
        db = sqlite3.connect(changed / NOTES)
        if how == "unsupported schema":
            db.execute("ALTER TABLE notes RENAME COLUMN created TO created_ms")
        else:
            db.execute("CREATE TABLE marker (x)")  # Flaky declines a file with this table
        db.commit()
        db.close()
        tree = FolderTree(changed)
    report = run_extract(tree, Flaky, BulkNotes)
    assert report.failed == (how == "unreadable")
    typed = [r for r in before if r["parser"] == "test.notes"]
    assert (
        store_rows(case, "SELECT * FROM messages WHERE parser = 'test.notes' ORDER BY record_rowid") == typed
    )
    (latest,) = store_rows(case, "SELECT * FROM sources WHERE id > 2 AND parser = 'test.notes'")
    assert latest["status"] == {"unreadable": "error"}.get(how, how) and latest["records"] == 0
    (older,) = store_rows(case, "SELECT * FROM sources WHERE id <= 2 AND parser = 'test.notes'")
    assert older["superseded_by"] is None and older["status"] == "parsed"  # still the current rows
    if how != "not applicable":
        only_older_rows(case, before)
    fts_ok(case)


def test_a_rerun_whose_parser_fails_midway_keeps_the_earlier_rows_and_drops_its_own(
    case: FakeCase, notes: Path, run_extract: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = first_run(case, notes, run_extract)
    monkeypatch.setattr(Flaky, "fail", True)
    report = run_extract(FolderTree(notes), Flaky, BulkNotes)
    summary = report.exhibits[0]
    assert summary.status == "partial" and summary.parsers["test.notes"].errors == 1
    assert summary.parsers["test.notes"].records == 0
    rows = store_rows(case, "SELECT * FROM messages ORDER BY parser, record_rowid")
    run2 = summary.extraction_id
    bulk_rows = [r for r in rows if r["parser"] == "test.bulknotes"]  # this one completed: replaced
    assert len(bulk_rows) == 4 and {r["extraction_id"] for r in bulk_rows} == {run2}
    typed = [r for r in rows if r["parser"] == "test.notes"]
    assert typed == [r for r in before if r["parser"] == "test.notes"]  # the first run's, unchanged
    (older_id,) = {r["source_id"] for r in typed}
    (failed,) = store_rows(
        case, "SELECT * FROM sources WHERE parser = 'test.notes' AND extraction_id = ?", (run2,)
    )
    assert failed["status"] == "error" and failed["records"] == 0 and failed["row_ranges"] == "{}"
    assert "unexpected value" in failed["detail"]
    assert f"earlier run (source {older_id}) are kept" in failed["detail"]
    (entry,) = case.actions("parser_error")
    assert entry.details["records_kept"] == 0
    fts_ok(case)


def test_a_first_run_that_fails_midway_keeps_what_it_read(
    case: FakeCase, notes: Path, run_extract: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Flaky, "fail", True)
    run_extract(FolderTree(notes), Flaky)
    assert [r["record_rowid"] for r in store_rows(case, "SELECT record_rowid FROM messages")] == [1, 2]
    (source,) = store_rows(case, "SELECT status, records FROM sources")
    assert source == {"status": "error", "records": 2}


# -- a re-run stopped halfway (Ctrl-C, a full disk) leaves the earlier rows, alone ---------------------


def stop_second_merge(monkeypatch: pytest.MonkeyPatch, parser: str, exc: BaseException) -> None:
    """The second shard merged for ``parser``'s source fails with ``exc`` (the first one is stored)."""
    merge = ArtefactStore.merge_shard
    merged: dict[int, int] = {}

    def stopping(self: ArtefactStore, shard: Path, source_id: int) -> dict[str, int]:
        (name,) = self.conn.execute("SELECT parser FROM sources WHERE id = ?", (source_id,)).fetchone()
        if name == parser:
            merged[source_id] = merged.get(source_id, 0) + 1
            if merged[source_id] == 2:
                raise exc
        return merge(self, shard, source_id)

    monkeypatch.setattr(ArtefactStore, "merge_shard", stopping)


@pytest.mark.parametrize(
    ("exc", "raised", "status"),
    [
        (KeyboardInterrupt(), KeyboardInterrupt, "interrupted"),
        (OSError(errno.ENOSPC, "No space left on device"), InsufficientSpaceError, "failed"),
    ],
)
def test_a_rerun_stopped_halfway_leaves_exactly_the_earlier_rows(
    case: FakeCase,
    notes: Path,
    run_extract: Runner,
    monkeypatch: pytest.MonkeyPatch,
    exc: BaseException,
    raised: type[BaseException],
    status: str,
) -> None:
    monkeypatch.setattr(engine, "BULK_CHUNK_ROWS", 1)  # one unit per note: four merges for the file
    monkeypatch.setattr(engine, "BULK_RAMP", ())
    before = first_run(case, notes, run_extract)
    stop_second_merge(monkeypatch, "test.bulknotes", exc)
    with pytest.raises(raised):
        run_extract(FolderTree(notes), Flaky, BulkNotes)
    (run1, run2) = store_rows(case, "SELECT id, status FROM extraction_runs ORDER BY started_at, rowid")
    assert run2["status"] == status
    # the bulk parser (the file's first) was stopped after one of its four units; the other never began
    assert store_rows(case, "SELECT * FROM messages ORDER BY parser, record_rowid") == before
    assert store_rows(case, "SELECT count(*) AS n FROM message_rows")[0]["n"] == 8
    assert store_rows(case, "SELECT count(*) AS n FROM identifiers")[0]["n"] == 8
    (stopped,) = store_rows(
        case, "SELECT * FROM sources WHERE extraction_id = ? AND parser = 'test.bulknotes'", (run2["id"],)
    )
    assert stopped["status"] == "incomplete" and stopped["records"] == 0 and stopped["row_ranges"] == "{}"
    assert (
        f"the run stopped ({status})" in stopped["detail"] and "1 rows this run had read" in stopped["detail"]
    )
    (kept,) = store_rows(
        case, "SELECT * FROM sources WHERE extraction_id = ? AND parser = 'test.bulknotes'", (run1["id"],)
    )
    assert kept["superseded_by"] is None
    fts_ok(case)
    [failed] = case.actions("extraction_failed")
    assert failed.details["status"] == status
    why = {"interrupted": "interrupted (Ctrl-C", "failed": "No space left on device"}[status]
    assert why in failed.details["reason"]
    (error,) = store_rows(case, "SELECT parser, error FROM extraction_errors")
    assert error["parser"] is None and why in error["error"]


def test_a_first_run_stopped_halfway_keeps_what_it_read_marked_incomplete(
    case: FakeCase, notes: Path, run_extract: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BULK_CHUNK_ROWS", 1)
    monkeypatch.setattr(engine, "BULK_RAMP", ())
    stop_second_merge(monkeypatch, "test.bulknotes", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        run_extract(FolderTree(notes), BulkNotes)
    assert [r["record_rowid"] for r in store_rows(case, "SELECT record_rowid FROM messages")] == [1]
    (source,) = store_rows(case, "SELECT status, records FROM sources")
    assert source == {"status": "incomplete", "records": 1}
    fts_ok(case)


def test_a_file_that_fails_every_time_keeps_the_latest_attempt_that_read_as_much(
    case: FakeCase, notes: Path, run_extract: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same bytes, neither run complete: the later run replaces the earlier (a newer parser's best on a
    file damaged for good), once, and the search index stays exact. One that read less does not."""
    monkeypatch.setattr(Flaky, "fail", True)
    first = run_extract(FolderTree(notes), Flaky).exhibits[0].extraction_id
    second = run_extract(FolderTree(notes), Flaky).exhibits[0].extraction_id
    rows = store_rows(case, "SELECT record_rowid, extraction_id FROM messages ORDER BY record_rowid")
    assert rows == [
        {"record_rowid": 1, "extraction_id": second},
        {"record_rowid": 2, "extraction_id": second},
    ]
    sources = store_rows(
        case, "SELECT extraction_id, status, records, superseded_by FROM sources ORDER BY id"
    )
    assert [(s["extraction_id"], s["status"], s["records"]) for s in sources] == [
        (first, "error", 2),
        (second, "error", 2),
    ]
    assert sources[0]["superseded_by"] is not None and sources[1]["superseded_by"] is None
    fts_ok(case)

    def fails_at_once(self: Flaky, source: Source) -> Iterator[Artefact]:
        raise ValueError("unexpected value in notes.created")
        yield  # pragma: no cover

    monkeypatch.setattr(Flaky, "parse", fails_at_once)
    run_extract(FolderTree(notes), Flaky)
    kept = store_rows(case, "SELECT DISTINCT extraction_id FROM messages")
    assert kept == [{"extraction_id": second}]  # the attempt that read nothing replaced nothing
    fts_ok(case)

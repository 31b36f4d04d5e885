"""The extraction engine: isolation, statuses, idempotence, provenance, the pool, the ledger."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evidence_intake.errors import NotFoundError
from evidence_intake.evidence.model import Entry
from evidence_intake.parsers import engine
from evidence_intake.parsers.registry import ParserRegistry
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.sample_parsers import (
    NOTES_SQL,
    BadBulk,
    BulkNotes,
    Elsewhere,
    Exploding,
    ExplodingAfterOddTime,
    Other,
    Picky,
    TypedNotes,
    WrongKind,
)
from tests.parsers.trees import FolderTree, MemoryTree
from tests.parsers.util import make_db, sha256_tree, store_rows

NOTES = "data/data/test.notes/databases/notes.db"
ROWS = [
    (1, "Somchai", "081 234 5678", "พรุ่งนี้โอนเงินให้แล้วนะ", 1700000000000),
    (2, "Li Wei", "+86 138 0013 8000", "明天给你转账", 1700000001000),
    (3, "Ko Aung", "+95 9 212 3456", "hello", 1700000002000),
    (4, "picky", None, "picky note", 0),
]


@pytest.fixture()
def evidence(tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    make_db(root / NOTES, NOTES_SQL, {"notes": ROWS})
    return root


def messages(case: FakeCase, parser: str) -> list[dict[str, Any]]:
    return store_rows(case, "SELECT * FROM messages WHERE parser = ? ORDER BY record_rowid", (parser,))


def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    drop = {"id", "extraction_id", "source_id", "parser", "parser_version"}
    return [{k: v for k, v in r.items() if k not in drop} for r in rows]


def test_typed_parser_rows_carry_provenance(case: FakeCase, evidence: Path, run_extract: Runner) -> None:
    report = run_extract(FolderTree(evidence, volume="p3", filesystem="ext4"), TypedNotes)
    assert not report.failed
    rows = messages(case, "test.notes")
    assert [r["body"] for r in rows] == [r[3] for r in ROWS]
    first = rows[0]
    sha = sha256_tree(evidence)[NOTES]
    assert first["parser_version"] == "1.2" and first["source_sha256"] == sha
    assert (first["source_partition"], first["source_filesystem"]) == ("p3", "ext4")
    assert first["source_path"] == "/" + NOTES
    assert (first["record_table"], first["record_rowid"]) == ("notes", 1)
    assert first["extraction_id"] == report.exhibits[0].extraction_id
    assert first["sent_at"] == "2023-11-14T22:13:20.000000Z" and first["sent_at_raw"] == 1700000000000
    assert first["sender_phone"] == "+66812345678"  # exhibit EX-001 takes the case's region, TH
    assert rows[1]["sender_phone"] == "+8613800138000"
    assert rows[3]["sent_at"] is None and rows[3]["sent_at_raw"] == 0  # 0 means unknown: no warning
    assert store_rows(case, "SELECT count(*) AS n FROM extraction_errors")[0]["n"] == 0
    ids = store_rows(case, "SELECT value, role, type, raw FROM identifiers ORDER BY id")
    assert ids[0] == {"value": "+66812345678", "role": "sender", "type": "phone", "raw": "Somchai"}


def test_bulk_path_gives_the_same_rows_as_the_typed_path(
    case: FakeCase, evidence: Path, run_extract: Runner
) -> None:
    run_extract(FolderTree(evidence), TypedNotes, BulkNotes)
    assert comparable(messages(case, "test.bulknotes")) == comparable(messages(case, "test.notes"))


def test_bulk_query_split_in_rowid_ranges_gives_the_same_rows(
    case: FakeCase, evidence: Path, run_extract: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_extract(FolderTree(evidence), BulkNotes)
    whole = comparable(messages(case, "test.bulknotes"))
    monkeypatch.setattr(engine, "BULK_CHUNK_ROWS", 1)
    run_extract(FolderTree(evidence), BulkNotes)
    sources = store_rows(case, "SELECT row_ranges FROM sources WHERE superseded_by IS NULL")
    assert sources[0]["row_ranges"].count("[") == 1 + 4  # four ranges of one row
    assert comparable(messages(case, "test.bulknotes")) == whole


def test_a_failing_parser_is_isolated_recorded_and_keeps_what_it_read(
    case: FakeCase, evidence: Path, run_extract: Runner
) -> None:
    report = run_extract(FolderTree(evidence), Exploding, TypedNotes)
    assert report.failed and report.exhibits[0].status == "partial"
    summary = report.exhibits[0].parsers
    assert (summary["test.exploding"].errors, summary["test.exploding"].records) == (1, 2)
    assert (summary["test.notes"].errors, summary["test.notes"].records) == (0, 4)
    assert len(messages(case, "test.exploding")) == 2  # what it yielded before failing is kept
    (error,) = store_rows(case, "SELECT * FROM extraction_errors WHERE parser = 'test.exploding'")
    assert "KeyError" in error["error"] and "unexpected_field" in error["error"]
    assert error["source_path"] == "/" + NOTES and error["source_sha256"] == sha256_tree(evidence)[NOTES]
    (ledger,) = case.actions("parser_error")
    assert ledger.details["parser"] == "test.exploding" and ledger.details["parser_version"] == "0.1"
    assert ledger.details["source_sha256"] == error["source_sha256"] and ledger.details["records_kept"] == 2
    (source,) = store_rows(
        case, "SELECT status, records, errors FROM sources WHERE parser = 'test.exploding'"
    )
    assert source == {"status": "error", "records": 2, "errors": 1}


def test_a_failing_parser_keeps_the_warnings_of_the_rows_it_kept(
    case: FakeCase, evidence: Path, run_extract: Runner
) -> None:
    report = run_extract(FolderTree(evidence), ExplodingAfterOddTime)
    summary = report.exhibits[0].parsers["test.exploding-odd-time"]
    assert (summary.records, summary.errors, summary.warnings) == (1, 1, 1)
    rows = store_rows(case, "SELECT severity, error FROM extraction_errors ORDER BY severity")
    assert [r["severity"] for r in rows] == ["error", "warning"]
    assert "out of range or not a number" in rows[1]["error"] and "'not a time'" in rows[1]["error"]


def test_statuses_not_applicable_unsupported_schema_no_files(
    case: FakeCase, evidence: Path, run_extract: Runner
) -> None:
    report = run_extract(FolderTree(evidence), Other, Elsewhere, TypedNotes)
    summary = report.exhibits[0].parsers
    assert summary["test.other"].unsupported == 1 and summary["test.other"].errors == 0
    assert summary["test.elsewhere"].files == 0
    assert not report.failed  # an unknown layout is reported, but is not a parser failure
    (source,) = store_rows(
        case, "SELECT status, detail, tables_seen FROM sources WHERE parser = 'test.other'"
    )
    assert source["status"] == "unsupported schema"
    assert "tables seen: notes" in source["detail"] and "lacks notes_v9" in source["detail"]
    assert source["tables_seen"] == '["notes"]'

    make_db(evidence / "x/test.notes/databases/notes.db", NOTES_SQL, {"notes": [(1, "a", None, "plain", 1)]})
    report = run_extract(FolderTree(evidence), Picky)
    picky = report.exhibits[0].parsers["test.picky"]
    assert (picky.files, picky.parsed, picky.not_applicable) == (2, 1, 1)
    statuses = store_rows(case, "SELECT status, detail FROM sources WHERE parser = 'test.picky' ORDER BY id")
    assert statuses == [
        {"status": "parsed", "detail": None},
        {"status": "not applicable", "detail": "no picky notes"},
    ]


def test_wrong_kind_and_bad_bulk_columns_are_errors(
    case: FakeCase, evidence: Path, run_extract: Runner
) -> None:
    report = run_extract(FolderTree(evidence), WrongKind, BadBulk)
    summary = report.exhibits[0].parsers
    assert summary["test.wrongkind"].errors == 1 and summary["test.wrongkind"].records == 1
    errors = {
        r["parser"]: r["error"] for r in store_rows(case, "SELECT parser, error FROM extraction_errors")
    }
    assert "yielded a Account" in errors["test.wrongkind"]
    assert "unknown columns ['text']" in errors["test.badbulk"]


def test_rerun_replaces_rows_without_duplicates(case: FakeCase, evidence: Path, run_extract: Runner) -> None:
    first = run_extract(FolderTree(evidence), TypedNotes, BulkNotes)
    rows_before = comparable(messages(case, "test.notes"))
    second = run_extract(FolderTree(evidence), TypedNotes, BulkNotes)
    assert comparable(messages(case, "test.notes")) == rows_before
    assert store_rows(case, "SELECT count(*) AS n FROM message_rows")[0]["n"] == 8
    assert store_rows(case, "SELECT count(*) AS n FROM identifiers")[0]["n"] == 6  # 3 phones x 2 parsers
    hits = store_rows(case, "SELECT rowid FROM messages_fts WHERE body LIKE '%โอนเงิน%'")
    assert len(hits) == 2
    sources = store_rows(case, "SELECT extraction_id, superseded_by FROM sources ORDER BY id")
    first_id, second_id = first.exhibits[0].extraction_id, second.exhibits[0].extraction_id
    assert [s["extraction_id"] for s in sources] == [first_id, first_id, second_id, second_id]
    assert [s["superseded_by"] is not None for s in sources] == [True, True, False, False]
    assert {r["extraction_id"] for r in messages(case, "test.notes")} == {second_id}


def test_process_pool_gives_the_same_rows(case: FakeCase, evidence: Path, run_extract: Runner) -> None:
    run_extract(FolderTree(evidence), TypedNotes, BulkNotes, jobs=0)
    inline = comparable(store_rows(case, "SELECT * FROM messages ORDER BY parser, record_rowid"))
    report = run_extract(FolderTree(evidence), TypedNotes, BulkNotes, jobs=2)
    assert not report.failed
    assert comparable(store_rows(case, "SELECT * FROM messages ORDER BY parser, record_rowid")) == inline


def test_evidence_is_unchanged_and_scratch_is_emptied(
    case: FakeCase, evidence: Path, run_extract: Runner
) -> None:
    wal = evidence / NOTES
    conn = sqlite3.connect(wal)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("INSERT INTO notes VALUES (5, 'wal', NULL, 'only in the log', 1700000009000)")
    conn.commit()
    # keep the -wal: copy the files aside while the writer still holds them open
    frozen = evidence.parent / "frozen"
    import shutil

    shutil.copytree(evidence, frozen)
    conn.close()
    before = sha256_tree(frozen)
    assert any(name.endswith("notes.db-wal") for name in before)
    run_extract(FolderTree(frozen), TypedNotes)
    assert sha256_tree(frozen) == before
    assert [r["body"] for r in messages(case, "test.notes")][-1] == "only in the log"
    (source,) = store_rows(case, "SELECT companions FROM sources")
    assert '"role":"-wal"' in source["companions"] and before[NOTES + "-wal"] in source["companions"]
    assert list(case.scratch_dir.iterdir()) == []


def test_deleted_entries_are_not_parsed(case: FakeCase, evidence: Path, run_extract: Runner) -> None:
    data = (evidence / NOTES).read_bytes()
    tree = MemoryTree({"/" + NOTES: data}, deleted={"/" + NOTES})
    report = run_extract(tree, TypedNotes)
    assert report.exhibits[0].parsers["test.notes"].files == 0


def test_ledger_entries_carry_versions_and_counts(
    case: FakeCase, evidence: Path, run_extract: Runner
) -> None:
    report = run_extract(FolderTree(evidence), TypedNotes, Elsewhere)
    started, completed = case.actions("extraction_started"), case.actions("extraction_completed")
    assert len(started) == 1 and len(completed) == 1
    assert started[0].details["parsers"] == {"test.notes": "1.2", "test.elsewhere": "0.1"}
    details = completed[0].details
    assert details["extraction_id"] == report.exhibits[0].extraction_id and details["status"] == "completed"
    assert (
        details["counts"]["test.notes"]["records"] == 4 and details["counts"]["test.elsewhere"]["files"] == 0
    )
    run = store_rows(case, "SELECT status, ledger_seq, parsers FROM extraction_runs")[0]
    assert run["status"] == "completed" and run["ledger_seq"] == completed[0].seq


def test_two_exhibits_keep_their_own_regions(case: FakeCase, tmp_path: Path, run_extract: Runner) -> None:
    us = tmp_path / "us"
    make_db(us / NOTES, NOTES_SQL, {"notes": [(1, "Fred", "540-456-1685", "hi", 1)]})
    th = tmp_path / "th"
    make_db(th / NOTES, NOTES_SQL, {"notes": [(1, "Nok", "081 234 5678", "hi", 1)]})
    run_extract(
        {"EX-001": FolderTree(th), "EX-002": FolderTree(us)}, TypedNotes, exhibits=("EX-001", "EX-002")
    )
    phones = {
        r["exhibit"]: r["sender_phone"]
        for r in store_rows(case, "SELECT exhibit, sender_phone FROM messages")
    }
    assert phones == {"EX-001": "+66812345678", "EX-002": "+15404561685"}


def test_unknown_exhibit_is_refused_before_anything_is_written(case: FakeCase, evidence: Path) -> None:
    with pytest.raises(NotFoundError, match="EX-404"):
        engine.extract(
            case,
            ["EX-404"],
            examiner="x",
            registry=ParserRegistry.of(TypedNotes),
            jobs=0,
            open_tree=lambda c, e: FolderTree(evidence),
        )
    assert case.entries == []


def test_an_exhibit_that_cannot_be_opened_fails_alone(case: FakeCase, evidence: Path) -> None:
    from evidence_intake.errors import EvidenceError

    def opener(_case: Any, exhibit: str) -> FolderTree:
        if exhibit == "EX-002":
            raise EvidenceError("EX-002 has no completed acquisition", hint="acquire it first")
        return FolderTree(evidence)

    report = engine.extract(
        case,
        ["EX-002", "EX-001"],
        examiner="x",
        registry=ParserRegistry.of(TypedNotes),
        jobs=0,
        open_tree=opener,
    )
    assert [e.status for e in report.exhibits] == ["failed", "completed"] and report.failed
    assert "no completed acquisition" in report.exhibits[0].problems[0]


def test_a_run_that_fails_is_recorded_as_extraction_failed(case: Any, run_extract: Any) -> None:
    class BrokenTree(MemoryTree):
        def walk(self) -> Iterator[Entry]:
            yield from super().walk()
            raise OSError(5, "Input/output error while walking the evidence")

    tree = BrokenTree({"/data/x.txt": b"x"})
    with pytest.raises(OSError):
        run_extract(tree, TypedNotes)
    [failed] = case.actions("extraction_failed")
    assert failed.details["status"] == "failed"
    assert case.actions("extraction_started")


def _frozen_with_wal(evidence: Path, statements: list[str], name: str) -> tuple[Path, bytes, bytes]:
    """A copy of ``evidence`` whose notes.db has a -wal holding ``statements`` (not checkpointed):
    (the copy's root, the -wal's bytes, the main file's bytes)."""
    import shutil

    work = evidence.parent / f"{name}-work"
    shutil.copytree(evidence, work)
    conn = sqlite3.connect(work / NOTES)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    frozen = evidence.parent / name
    shutil.copytree(work, frozen)  # while the writer holds the -wal open, so it is not folded in
    conn.close()
    return frozen, (frozen / (NOTES + "-wal")).read_bytes(), (frozen / NOTES).read_bytes()


def _warnings(case: FakeCase) -> list[str]:
    """The warnings of the latest run."""
    sql = (
        "SELECT error FROM extraction_errors WHERE severity = 'warning' AND extraction_id = "
        "(SELECT id FROM extraction_runs ORDER BY rowid DESC LIMIT 1)"
    )
    return [r["error"] for r in store_rows(case, sql)]


def test_a_wal_that_sqlite_skips_is_said_and_a_foreign_one_is_left_out(
    case: FakeCase, evidence: Path, run_extract: Runner
) -> None:
    """SQLite ignores a -wal with a bad header or a cut-off transaction without a word, and finds a
    database malformed with another database's -wal: each is a warning naming what was not read, and
    the database's own rows are extracted."""
    only_in_log = "INSERT INTO notes VALUES (5, 'wal', NULL, 'only in the log', 1700000009000)"
    good, log, main = _frozen_with_wal(evidence, [only_in_log], "good")
    run_extract(FolderTree(good), TypedNotes)
    assert [r["body"] for r in messages(case, "test.notes")][-1] == "only in the log"
    assert _warnings(case) == []

    cases = {
        "garbage": bytes(range(256)) * 40,
        "cut": log[: len(log) - 100],  # the commit frame's page is cut off
    }
    # another database's log: a table of its own over the pages notes.db uses
    other = evidence.parent / "other"
    make_db(other / NOTES, "CREATE TABLE filler (x BLOB); CREATE TABLE more (y BLOB);", {})
    fill = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8) "
        "INSERT INTO filler SELECT randomblob(3000) FROM n"
    )
    _, foreign_log, _ = _frozen_with_wal(other, [fill], "foreign-src")
    cases["foreign"] = foreign_log
    expected = {
        "garbage": "does not start with a valid write-ahead log header",
        "cut": "a frame cut off at its end",
        "foreign": "malformed with its -wal",
    }
    for name, wal_bytes in cases.items():
        root = evidence.parent / f"t-{name}"
        (root / NOTES).parent.mkdir(parents=True)
        (root / NOTES).write_bytes(main)
        (root / (NOTES + "-wal")).write_bytes(wal_bytes)
        before = sha256_tree(root)
        report = run_extract(FolderTree(root), TypedNotes)
        assert not report.failed, name
        bodies = [r["body"] for r in messages(case, "test.notes")]
        assert bodies == [r[3] for r in ROWS], name  # the main file's rows, nothing more
        (warning,) = _warnings(case)
        assert expected[name] in warning and "-wal" in warning, (name, warning)
        assert sha256_tree(root) == before  # the evidence is untouched; only the scratch copy was set aside


def test_a_database_damaged_apart_from_its_log_is_still_read_with_the_log(
    case: FakeCase, evidence: Path, run_extract: Runner
) -> None:
    """A bad page in a table no parser reads, and a sound -wal with new rows: the rows are all read
    (the log is not blamed for damage that is there without it too)."""
    conn = sqlite3.connect(evidence / NOTES)
    conn.execute("CREATE TABLE filler (x BLOB)")
    conn.executemany("INSERT INTO filler VALUES (randomblob(3000))", [()] * 20)
    conn.commit()
    (root_page,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'filler'").fetchone()
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    only_in_log = "INSERT INTO notes VALUES (5, 'wal', NULL, 'only in the log', 1700000009000)"
    frozen, _, main = _frozen_with_wal(evidence, [only_in_log], "damaged-main")
    broken = bytearray(main)
    offset = (root_page - 1) * page_size
    broken[offset : offset + 64] = b"\xa5" * 64  # the filler table's root page: not a b-tree page any more
    (frozen / NOTES).write_bytes(bytes(broken))
    report = run_extract(FolderTree(frozen), TypedNotes)
    assert not report.failed
    assert [r["body"] for r in messages(case, "test.notes")] == [*(r[3] for r in ROWS), "only in the log"]
    assert not any("-wal" in w for w in _warnings(case))

"""One parser failing on one file, in whatever way, never ends the run: bad input never crashes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evidence_intake.artefacts.store import ArtefactStore
from evidence_intake.parsers.vcard import VCardParser
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.sample_parsers import NOTES_SQL, BulkNotes, TypedNotes
from tests.parsers.trees import FolderTree, MemoryTree
from tests.parsers.util import make_db, store_rows

GOOD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Somchai\r\nTEL:0812345678\r\nEND:VCARD\r\n"
OTHER = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Malee\r\nTEL:0812345679\r\nEND:VCARD\r\n"
# a line of bytes that are not UTF-8 and have no colon: the vCard reader's message quotes them
BROKEN = b"BEGIN:VCARD\r\nVERSION:3.0\r\n\xdf\xff broken line without colon\r\nEND:VCARD\r\n"


def test_an_error_message_that_is_not_valid_text_is_stored_escaped_and_the_run_goes_on(
    case: FakeCase, run_extract: Runner
) -> None:
    trees = {
        "EX-001": MemoryTree(
            {
                "/sdcard/Download/a-good.vcf": GOOD,
                "/sdcard/Download/b-bad.vcf": BROKEN,
                "/sdcard/Download/c-good.vcf": OTHER,
            }
        ),
        "EX-002": MemoryTree({"/sdcard/Download/d.vcf": OTHER}),
    }
    report = run_extract(trees, VCardParser, exhibits=("EX-001", "EX-002"))
    assert [e.status for e in report.exhibits] == ["partial", "completed"] and report.failed
    names = store_rows(case, "SELECT exhibit, name FROM contacts ORDER BY exhibit, source_path")
    assert [(r["exhibit"], r["name"]) for r in names] == [
        ("EX-001", "Somchai"),
        ("EX-001", "Malee"),
        ("EX-002", "Malee"),
    ]
    sources = store_rows(case, "SELECT source_path, status FROM sources ORDER BY id")
    assert [s["status"] for s in sources] == ["parsed", "error", "parsed", "parsed"]
    (error,) = store_rows(case, "SELECT source_path, error FROM extraction_errors WHERE severity = 'error'")
    assert error["source_path"] == "/sdcard/Download/b-bad.vcf"
    assert "\\xdf\\xff broken line" in error["error"]  # the bytes, escaped: nothing lost, nothing guessed
    (entry,) = case.actions("parser_error")
    assert "\\xdf\\xff broken line" in entry.details["errors"][0]
    assert len(case.actions("extraction_completed")) == 2


def test_a_failure_while_recording_a_parsers_error_fails_that_parser_alone(
    case: FakeCase, run_extract: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    evidence = tmp_path / "evidence"
    make_db(
        evidence / "data/data/test.notes/databases/notes.db",
        NOTES_SQL,
        {"notes": [(1, "Somchai", "081 234 5678", "hello", 1700000000000)]},
    )
    (evidence / "sdcard").mkdir()
    (evidence / "sdcard/bad.vcf").write_bytes(BROKEN)
    add_error = ArtefactStore.add_error

    def failing(self: ArtefactStore, **kwargs: Any) -> None:
        if kwargs["parser"] == "vcard":
            raise RuntimeError("the store refused the error row")
        add_error(self, **kwargs)

    monkeypatch.setattr(ArtefactStore, "add_error", failing)
    report = run_extract(FolderTree(evidence), VCardParser, TypedNotes, BulkNotes)
    (summary,) = report.exhibits
    assert summary.status == "partial"
    assert summary.parsers["vcard"].errors == 1
    assert summary.parsers["test.notes"].records == 1 and summary.parsers["test.bulknotes"].records == 1
    assert any("the store refused the error row" in p for p in summary.problems)
    statuses = {r["parser"]: r["status"] for r in store_rows(case, "SELECT parser, status FROM sources")}
    assert statuses == {"vcard": "error", "test.notes": "parsed", "test.bulknotes": "parsed"}
    (entry,) = case.actions("parser_error")  # the ledger has the error the store could not take
    assert entry.details["parser"] == "vcard" and "refused the error row" in entry.details["not_stored"]
    assert case.actions("extraction_completed")

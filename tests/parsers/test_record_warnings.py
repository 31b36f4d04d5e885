"""``Source.warn``: a typed parser reports records it read only in part; the run stores and counts them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence_intake.artefacts.model import Artefact, Direction, Locator, Message
from evidence_intake.parsers import Parser, Schema, Source
from evidence_intake.parsers import source as source_module
from tests.parsers.conftest import Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.sample_parsers import NOTES_SQL
from tests.parsers.trees import FolderTree
from tests.parsers.util import make_db, store_rows

NOTES = "data/data/test.notes/databases/notes.db"


class HalfReadNotes(Parser):
    """Yields every note; a note whose body is NULL is yielded without text and warned about."""

    name = "test.halfread"
    version = "1.0"
    title = "notes, some only in part"
    kinds = (Message,)
    globs = ("**/test.notes/databases/notes.db",)
    schemas = (Schema("v1", {"notes": {"_id", "body"}}),)
    limitations = "test parser"

    def parse(self, source: Source) -> Iterator[Artefact]:
        for row in source.rows("SELECT _id, body FROM notes ORDER BY _id"):
            locator = Locator(table="notes", rowid=row["_id"])
            if row["body"] is None:
                source.warn(f"note {row['_id']}: body not decoded", locator)
            yield Message(locator=locator, app="Notes", direction=Direction.INCOMING, body=row["body"])
            if row["body"] == "boom":
                raise RuntimeError("the parser fails after yielding")


def evidence(tmp_path: Path, bodies: list[str | None]) -> Path:
    root = tmp_path / "evidence"
    make_db(root / NOTES, NOTES_SQL, {"notes": [(i, None, None, b, 0) for i, b in enumerate(bodies, 1)]})
    return root


def test_warnings_are_stored_with_their_record_and_counted(
    tmp_path: Path, case: FakeCase, run_extract: Runner
) -> None:
    report = run_extract(FolderTree(evidence(tmp_path, ["a", None, "c", None])), HalfReadNotes)
    summary = report.exhibits[0].parsers["test.halfread"]
    assert (summary.records, summary.warnings, summary.errors, summary.parsed) == (4, 2, 0, 1)
    rows = store_rows(
        case, "SELECT severity, error, record_table, record_rowid FROM extraction_errors ORDER BY id"
    )
    assert [tuple(r.values()) for r in rows] == [
        ("warning", "note 2: body not decoded", "notes", 2),
        ("warning", "note 4: body not decoded", "notes", 4),
    ]
    (source,) = store_rows(case, "SELECT status, warnings FROM sources")
    assert source == {"status": "parsed", "warnings": 2}


def test_warnings_before_a_failure_are_kept(tmp_path: Path, case: FakeCase, run_extract: Runner) -> None:
    report = run_extract(FolderTree(evidence(tmp_path, [None, "boom", "never"])), HalfReadNotes, jobs=0)
    summary = report.exhibits[0].parsers["test.halfread"]
    assert (summary.records, summary.warnings, summary.errors) == (2, 1, 1)
    rows = store_rows(case, "SELECT severity FROM extraction_errors ORDER BY id")
    assert sorted(r["severity"] for r in rows) == ["error", "warning"]


def test_a_flood_of_warnings_is_capped_and_counted(
    tmp_path: Path, case: FakeCase, run_extract: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_module, "MAX_RECORD_WARNINGS", 3)
    run_extract(FolderTree(evidence(tmp_path, [None] * 7)), HalfReadNotes)
    errors = [r["error"] for r in store_rows(case, "SELECT error FROM extraction_errors ORDER BY id")]
    assert errors[:3] == [f"note {i}: body not decoded" for i in (1, 2, 3)]
    assert len(errors) == 4 and errors[3].startswith("4 more record warnings")

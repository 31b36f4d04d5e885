"""The case's disk fills up during an extraction: exit 7, the store as it was, the run can be repeated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from evidence_intake.artefacts.store import ArtefactStore
from evidence_intake.case import Case
from evidence_intake.errors import InsufficientSpaceError
from evidence_intake.parsers.android.sms import AndroidSmsParser
from evidence_intake.parsers.engine import InlineExecutor, extract
from evidence_intake.parsers.registry import ParserRegistry
from tests.helpers import add_exhibit, make_case, small_disk
from tests.parsers.android.mmssms_schema import MMSSMS_SQL
from tests.parsers.trees import FolderTree
from tests.parsers.util import make_db
from tests.reports.artefact_case import EXAMINER, SMS_DB, thai_sms


def _extract_sms(case: Case, evidence: Path) -> None:
    """The SMS parser over the folder ``evidence``, in this process (a full disk is met in order)."""
    extract(
        case,
        ["EX-001"],
        examiner=EXAMINER,
        registry=ParserRegistry.of(AndroidSmsParser),
        jobs=0,
        executor=InlineExecutor(),
        open_tree=lambda _case, _exhibit: FolderTree(evidence),
    )


def test_a_disk_too_full_for_the_scratch_copy_stops_the_extraction_with_exit_7(tmp_path: Path) -> None:
    """The scratch copy of the database does not fit: not an evidence error, a full disk (exit 7)."""
    size, message = "1m", "no space left to copy .*mmssms.db"
    evidence = tmp_path / "evidence"
    rows, _ = thai_sms(20_000)
    make_db(evidence / SMS_DB, MMSSMS_SQL, {"sms": rows})
    with small_disk(tmp_path / "disk", size) as disk:
        root = make_case(disk / "case", examiner=EXAMINER)
        add_exhibit(root, "EX-001")
        with (
            Case.open(root) as case,
            pytest.raises(InsufficientSpaceError, match=message) as caught,
        ):
            _extract_sms(case, evidence)
        assert caught.value.exit_code == 7
        store = sqlite3.connect(root / "artefacts.sqlite")
        assert store.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        store.close()


def test_a_store_write_that_fills_the_disk_is_exit_7_and_the_store_stays_as_it_was(tmp_path: Path) -> None:
    """SQLite rolls back by itself after 'disk is full'; the store must not then fail on its own ROLLBACK."""
    with small_disk(tmp_path / "disk", "512k") as disk:
        path = disk / "artefacts.sqlite"
        with ArtefactStore(path) as store:
            before = store.conn.execute("SELECT count(*) FROM extraction_runs").fetchone()
            full = pytest.raises(InsufficientSpaceError, match="could not be written")
            with full as caught, store.transaction() as conn:
                for n in range(1000):
                    conn.execute(
                        "INSERT INTO extraction_runs (id, exhibit, status, started_at, software, parsers) "
                        "VALUES (?, 'EX-001', 'running', '2025', 'x', ?)",
                        (f"r{n}", "x" * 10_000),
                    )
            assert caught.value.exit_code == 7
            assert store.conn.execute("SELECT count(*) FROM extraction_runs").fetchone() == before
            assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_rows_that_do_not_fit_in_the_parsers_shard_are_a_full_disk_not_a_parser_error(tmp_path: Path) -> None:
    """The scratch copy fits but the parser's rows do not: exit 7 like any full disk (it was exit 8, as if
    the parser had failed), the run recorded as failed, scratch emptied, the store intact."""
    evidence = tmp_path / "evidence"
    rows, _ = thai_sms(5_000)
    make_db(evidence / SMS_DB, MMSSMS_SQL, {"sms": rows})
    with small_disk(tmp_path / "disk", "1500k") as disk:
        root = make_case(disk / "case", examiner=EXAMINER)
        add_exhibit(root, "EX-001")
        with Case.open(root) as case:
            with pytest.raises(
                InsufficientSpaceError,
                match=r"no space left for the rows of android\.sms from .*mmssms\.db: the disk of",
            ) as caught:
                _extract_sms(case, evidence)
            assert caught.value.exit_code == 7
            assert "android.sms" in caught.value.message and "mmssms.db" in caught.value.message
            last = case.ledger.last()
            assert last is not None and last.action == "extraction_failed"
            # the case says why it stopped: the ledger entry, and the errors table (it fitted here)
            reason = last.details["reason"]
            assert "no space left for the rows of android.sms" in reason and str(root / "scratch") in reason
        assert not [p for p in (root / "scratch").rglob("*") if p.is_file()]
        store = sqlite3.connect(root / "artefacts.sqlite")
        assert store.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        errors = store.execute("SELECT parser, severity, error FROM extraction_errors").fetchall()
        assert errors == [(None, "error", f"the extraction stopped: {reason}")]
        assert store.execute("SELECT status FROM extraction_runs").fetchall() == [("failed",)]
        store.close()


@pytest.mark.parametrize("spare", [2, 3, 4, 5])
def test_a_disk_out_of_inodes_is_a_full_disk_wherever_it_runs_out(tmp_path: Path, spare: int) -> None:
    """No inode left for the scratch folder (2), the scratch copy (3), the store's journal (4) or the
    parser's shard (5): SQLite says "unable to open database file", the tool says exit 7."""
    evidence = tmp_path / "evidence"
    rows, _ = thai_sms(200)
    make_db(evidence / SMS_DB, MMSSMS_SQL, {"sms": rows})
    with small_disk(tmp_path / "disk", "64m", inodes=10_000) as disk:
        root = make_case(disk / "case", examiner=EXAMINER)
        add_exhibit(root, "EX-001")
        with Case.open(root) as case:
            case.ledger.last()  # the case's own files are open before the disk runs out
            filler = disk / "filler"
            filler.mkdir()
            made = 0
            while True:
                try:
                    (filler / str(made)).touch()
                except OSError:
                    break
                made += 1
            for index in range(spare):
                (filler / str(made - 1 - index)).unlink()
            with pytest.raises(InsufficientSpaceError) as caught:
                _extract_sms(case, evidence)
            assert caught.value.exit_code == 7
            last = case.ledger.last()  # stopped before it began (no store), or recorded as failed
            assert last is not None and last.action in ("exhibit_registered", "extraction_failed")

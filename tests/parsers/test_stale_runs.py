"""An extraction whose process was killed (kill -9, a power cut) is closed by the next one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evidence_intake import host_name
from evidence_intake.artefacts.store import ArtefactStore
from evidence_intake.parsers import engine
from tests.parsers.conftest import EXAMINER, Runner
from tests.parsers.fakecase import FakeCase
from tests.parsers.sample_parsers import NOTES_SQL, BulkNotes
from tests.parsers.test_reruns import NOTE_ROWS, NOTES, fts_ok, stop_second_merge
from tests.parsers.trees import FolderTree
from tests.parsers.util import make_db, store_rows


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def killed_rerun(case: FakeCase, evidence: Path, run_extract: Runner, monkeypatch: pytest.MonkeyPatch) -> str:
    """A re-run stopped after one of its units was stored, that could not clean up or close anything
    (as when its process is killed); its run row then names a process that no longer exists."""
    with monkeypatch.context() as m:
        m.setattr(engine, "BULK_CHUNK_ROWS", 1)
        m.setattr(engine, "BULK_RAMP", ())
        stop_second_merge(m, "test.bulknotes", KeyboardInterrupt())
        m.setattr(engine.Extraction, "_finish", lambda self, status, reason=None: None)
        m.setattr(engine.shutil, "rmtree", lambda *a, **k: None)
        with pytest.raises(KeyboardInterrupt):
            run_extract(FolderTree(evidence), BulkNotes)
    (run,) = store_rows(case, "SELECT id, status, pid, host FROM extraction_runs WHERE status = 'running'")
    assert run["pid"] == os.getpid() and run["host"] == host_name()
    with ArtefactStore(case.artefacts_path) as store:
        store.conn.execute("UPDATE extraction_runs SET pid = ? WHERE id = ?", (dead_pid(), run["id"]))
    return str(run["id"])


def test_a_run_left_running_by_a_killed_process_is_closed_by_the_next_extraction(
    case: FakeCase, tmp_path: Path, run_extract: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = tmp_path / "evidence"
    make_db(evidence / NOTES, NOTES_SQL, {"notes": NOTE_ROWS})
    first = run_extract(FolderTree(evidence), BulkNotes)
    before = store_rows(case, "SELECT * FROM messages ORDER BY record_rowid")
    killed = killed_rerun(case, evidence, run_extract, monkeypatch)
    scratch = case.scratch_dir / f"extract-{killed[:12]}"
    assert [p for p in scratch.rglob("*") if p.is_file()]  # its copies of the evidence and shards
    assert len(store_rows(case, "SELECT id FROM messages")) == 5  # its one stored unit beside the rows
    # another extraction going on (its process is alive) is not touched
    with ArtefactStore(case.artefacts_path) as store:
        store.conn.execute(
            "INSERT INTO extraction_runs (id, exhibit, status, started_at, software, parsers, host, pid) "
            "VALUES ('alive', 'EX-002', 'running', '2025-03-06T00:00:00.000000Z', 'x', '{}', ?, ?)",
            (host_name(), os.getppid()),
        )
        closed = engine.close_stale_runs(case, store, examiner=EXAMINER)
    assert closed == [killed]
    assert not scratch.exists()
    runs = {r["id"]: r for r in store_rows(case, "SELECT * FROM extraction_runs")}
    assert runs[killed]["status"] == "interrupted" and runs[killed]["completed_at"]
    assert runs["alive"]["status"] == "running"
    assert store_rows(case, "SELECT * FROM messages ORDER BY record_rowid") == before  # no duplicates
    (source,) = store_rows(case, "SELECT * FROM sources WHERE extraction_id = ?", (killed,))
    assert source["status"] == "incomplete" and source["records"] == 0
    fts_ok(case)
    (entry,) = case.actions("extraction_failed")
    assert entry.details["extraction_id"] == killed and entry.details["status"] == "interrupted"
    assert "ended without finishing" in entry.details["reason"] and entry.details["sources_incomplete"] == 1
    assert runs[killed]["ledger_seq"] == entry.seq

    # the next extraction itself closes such runs first, and then works as usual
    with ArtefactStore(case.artefacts_path) as store:
        store.conn.execute("DELETE FROM extraction_runs WHERE id = 'alive'")
    again = killed_rerun(case, evidence, run_extract, monkeypatch)
    last = run_extract(FolderTree(evidence), BulkNotes)
    assert last.exhibits[0].status == "completed"
    statuses = {r["id"]: r["status"] for r in store_rows(case, "SELECT id, status FROM extraction_runs")}
    assert statuses[again] == "interrupted" and statuses[first.exhibits[0].extraction_id] == "completed"
    assert store_rows(case, "SELECT count(*) AS n FROM sources WHERE status = 'running'")[0]["n"] == 0
    started = {e.details["extraction_id"] for e in case.actions("extraction_started")}
    closing = ("extraction_completed", "extraction_failed")
    ended = {e.details["extraction_id"] for e in case.entries if e.action in closing}
    assert started == ended  # every run has its closing entry
    assert len(store_rows(case, "SELECT id FROM messages")) == 4
    assert list(case.scratch_dir.iterdir()) == []

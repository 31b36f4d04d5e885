"""A case on read-only storage (a disc for the court, a write-protected drive, a read-only share).

What only reads works there and gives what it gives on the writable case; what would record anything
is refused at once with exit status 9 and what to do; and not one byte of the case changes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from evidence_intake.case import Case
from tests.helpers import add_exhibit, cli, cli_json, make_case, read_only_view

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

READING = (
    ("case", "show"),
    ("exhibit", "list"),
    ("exhibit", "show", "EX-001"),
    ("custody", "show"),
    ("custody", "verify"),
    ("custody", "prove", "--entry", "2"),
    ("files", "--exhibit", "EX-001", "--path", "*.db"),
    ("artefacts", "--kind", "messages", "--search", "USDT"),
)


def _snapshot(root: Path) -> dict[str, str]:
    """Every file of the case by relative path, with its SHA-256 (folders as such)."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        if path.is_file()
        else "dir"
        for path in sorted(root.rglob("*"))
    }


def _extracted_case(tmp_path: Path) -> Path:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    cli("acquire", SAMPLES / "android-EX-001.tar.gz", "--exhibit", "EX-001", "--case", root)
    cli("extract", "--exhibit", "EX-001", "--case", root)
    return root


def test_reading_commands_work_on_read_only_storage_and_change_nothing(tmp_path: Path) -> None:
    root = _extracted_case(tmp_path)
    expected = {command: cli_json(*command, "--case", root) for command in READING}
    before = _snapshot(root)
    assert not Case.open(root).read_only
    with read_only_view(root, tmp_path / "disc") as disc:
        assert Case.open(disc).read_only
        for command in READING:
            shown = cli(*command, "--case", disc, "--json").stdout
            assert json.loads(shown.replace(str(disc), str(root))) == expected[command], command
        assert expected[READING[4]]["ok"] is True
        assert expected[READING[7]], "the search found messages"
    assert _snapshot(root) == before  # no -shm, -wal or journal left beside the databases either


def test_commands_that_record_are_refused_before_any_work(tmp_path: Path) -> None:
    root = _extracted_case(tmp_path)
    source = tmp_path / "card.dd"
    source.write_bytes(bytes(range(256)) * 64)
    before = _snapshot(root)
    with read_only_view(root, tmp_path / "disc") as disc:
        for command in (
            ("acquire", source, "--exhibit", "EX-001"),
            ("verify", "--exhibit", "EX-001"),
            ("extract", "--exhibit", "EX-001"),
            ("exhibit", "add", "--exhibit", "EX-002", "--kind", "phone", "--description", "second"),
            ("custody", "log", "--exhibit", "EX-001", "--action", "note", "--reason", "seen"),
            ("custody", "head"),
            ("export-file", "--exhibit", "EX-001", "/data/x", "--out", tmp_path / "out"),
            ("report", "custody", "--out", tmp_path / "custody.pdf"),
            ("export", "case-uco", "--out", tmp_path / "case.jsonld"),
        ):
            result = cli(*command, "--case", disc, expect=9)
            assert "cannot be written here" in result.stderr, command
            assert "copy the case folder to writable storage" in result.stderr, command
    assert _snapshot(root) == before
    assert not (tmp_path / "out").exists() and not (tmp_path / "custody.pdf").exists()


def test_a_ledger_copied_with_entries_in_its_write_ahead_log(tmp_path: Path) -> None:
    """Copied while a command was writing: with its -shm the entry in the -wal is read; without, a clear
    error says to copy the case to writable storage, never "damaged" and never an entry left out."""
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001")
    with Case.open(root) as case:
        case.record("note", examiner="Pol.Lt. Somchai Jaidee", exhibit="EX-001", reason="in the log only")
        with_index = tmp_path / "copy" / "with-index"
        shutil.copytree(root, with_index)  # while the ledger is open: its -wal holds the last entry
    assert (with_index / "ledger.sqlite-wal").stat().st_size > 0
    without_index = tmp_path / "copy" / "without-index"
    shutil.copytree(with_index, without_index)
    (without_index / "ledger.sqlite-shm").unlink()
    entries = len(json.loads(cli("custody", "show", "--json", "--case", root).stdout))
    with read_only_view(tmp_path / "copy", tmp_path / "disc") as disc:
        shown = cli_json("custody", "show", "--case", disc / "with-index")
        assert len(shown) == entries and shown[-1]["reason"] == "in the log only"
        result = cli("custody", "verify", "--case", disc / "without-index", expect=1)
        assert "ledger.sqlite-wal holds entries" in result.stderr
        assert "damaged" not in result.stderr.replace("nothing is damaged", "")


def test_an_artefact_store_that_cannot_be_written_makes_the_case_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """extract wrote extraction_started and then failed on a read-only artefacts.sqlite; now the case is
    read-only before any work. (File modes do not bind root, so the check itself is stood in for.)"""
    import os

    root = make_case(tmp_path / "case")
    (root / "artefacts.sqlite").write_bytes(b"")
    real = os.access
    monkeypatch.setattr(
        "evidence_intake.case.os.access",
        lambda path, mode: real(path, mode) and Path(path).name != "artefacts.sqlite",
    )
    entries = len(cli_json("custody", "show", "--case", root))
    result = cli("extract", "--all", "--case", root, expect=9)
    assert "cannot be written here" in result.stderr
    assert len(cli_json("custody", "show", "--case", root)) == entries

"""An output the ledger does not record is not left behind, and a case file that cannot be read is named.

Reports, exports and packages are recorded in the ledger once written. If that entry cannot be
written (a full disk, a ledger another process holds too long), the file is deleted, so that no
report circulates that the chain of custody does not know of.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chain_of_custody import LedgerError
from chain_of_custody.ledger import Ledger
from tests.helpers import cli
from tests.reports import artefact_case
from tests.reports.case_builder import build_case


def _failing_record(
    monkeypatch: pytest.MonkeyPatch, actions: tuple[str, ...] = ("report_generated", "exported")
) -> None:
    """The ledger refuses the entry that records the output (and only that one)."""
    real = Ledger.append

    def append(self: Ledger, action: str, **kwargs: object) -> object:
        if action in actions:
            raise LedgerError(f"{self.path} could not be written: disk I/O error")
        return real(self, action, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "append", append)


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (["report", "custody", "--format", "html"], "custody.html"),
        (["export", "case-uco"], "case.jsonld"),
        (["export", "bundle", "--exhibit", "EX-002", "--with-images"], "EX-002.zip"),
        (["export", "bundle", "--exhibit", "EX-002"], "EX-002-folder"),
    ],
)
def test_an_output_whose_ledger_entry_fails_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], name: str
) -> None:
    built = build_case(tmp_path)
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    _failing_record(monkeypatch)
    result = cli(*command, "--case", built.root, "--out", outputs / name, expect=1)
    assert "did not record" in result.stderr and "could not be written" in result.stderr
    assert list(outputs.iterdir()) == []


@pytest.mark.parametrize(("fmt", "name"), [("html", "artefacts.html"), ("csv", "artefacts-csv")])
def test_an_artefact_report_whose_ledger_entry_fails_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, name: str
) -> None:
    root = artefact_case.build_case(tmp_path, sms=5)
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    _failing_record(monkeypatch)
    result = cli("report", "artefacts", "--format", fmt, "--case", root, "--out", outputs / name, expect=1)
    assert "did not record" in result.stderr
    assert list(outputs.iterdir()) == []


def test_a_full_ledger_disk_is_exit_7_naming_what_was_not_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chain_of_custody.errors import LedgerFullError

    built = build_case(tmp_path)

    def full(self: Ledger, *_args: object, **_kwargs: object) -> object:
        raise LedgerFullError(f"{self.path}: database or disk is full")

    monkeypatch.setattr(Ledger, "append", full)
    result = cli("custody", "log", "--case", built.root, "--exhibit", "EX-001", "--action", "stored",
                 "--location", "Room 4", expect=7)  # fmt: skip
    assert "did not record stored" in result.stderr and "free space" in result.stderr


def test_photographs_whose_ledger_entry_fails_are_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = build_case(tmp_path)
    photo = tmp_path / "seal.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 jpeg bytes")
    folder = built.root / "photos" / "EX-001"
    before = sorted(folder.iterdir()) if folder.exists() else []
    _failing_record(monkeypatch, ("photographed",))
    result = cli("exhibit", "photo", "--exhibit", "EX-001", photo, "--case", built.root, expect=1)
    assert "did not record photographed" in result.stderr
    assert (sorted(folder.iterdir()) if folder.exists() else []) == before

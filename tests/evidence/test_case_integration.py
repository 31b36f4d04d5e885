"""files and export-file on a real case: register an exhibit, acquire an image, list it, export from it.

These need the case workspace and its ledger (chain_of_custody). Until both are on the branch
this file skips with that reason; once they are, it runs everywhere, CI included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip(
    "evidence_intake.case",
    reason="the case workspace needs the chain_of_custody ledger, which is not merged here yet",
    exc_type=ImportError,
)

from evidence_intake.evidence.export import export_file
from evidence_intake.evidence.listing import list_files
from tests.evidence.imaging import make_disk, make_fat, place, run

Tools = Callable[..., dict[str, str]]


def test_list_and_export_on_a_real_case(tools: Tools, tmp_path: Path) -> None:
    from evidence_intake.acquisition.physical import PhysicalOptions, acquire_physical
    from evidence_intake.case import Case
    from evidence_intake.exhibits import ExhibitInput, register_exhibit

    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel")
    content = "บัญชี USDT: TQ5…".encode()
    source = make_fat(t, tmp_path / "sd.img", folders=["NOTES"], files={"NOTES/wallet.txt": content})
    case = Case.init(
        tmp_path / "case", case_number="TCSD 1/2568", title="Operation Dawn", examiner="Pol.Lt. A"
    )
    register_exhibit(
        case, ExhibitInput(exhibit_id="EX-001", kind="storage", description="SD card"), examiner="Pol.Lt. A"
    )
    acquisition = acquire_physical(
        case, source, exhibit="EX-001", examiner="Pol.Lt. A", options=PhysicalOptions()
    ).acquisition

    with list_files(case, "EX-001", path_glob="*.txt") as listing:
        assert listing.acquisition.id == acquisition.id
        assert [item.entry.path for item in listing.entries()] == ["/NOTES/wallet.txt"]

    out = tmp_path / "exports"
    result = export_file(case, "EX-001", "/NOTES/wallet.txt", out, examiner="Pol.Lt. B")
    assert result.sha256 == hashlib.sha256(content).hexdigest()
    last = case.ledger.last()
    assert (
        last is not None
        and last.action == "exported"
        and last.exhibit == "EX-001"
        and last.actor == "Pol.Lt. B"
    )
    assert last.details["sha256"] == result.sha256 and last.details["acquisition"] == acquisition.id
    assert last.details["destination"] == str(out / "NOTES" / "wallet.txt")


def test_through_the_cli_with_an_e01_and_a_logical_extraction(tools: Tools, tmp_path: Path) -> None:
    from tests.helpers import add_exhibit, cli, cli_json, make_case

    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "sfdisk", "fls")
    fat = make_fat(
        t,
        tmp_path / "p1.img",
        folders=["WhatsApp"],
        files={"WhatsApp/msgstore.db": b"SQLite format 3\x00" + bytes(300)},
    )
    disk = make_disk(t, tmp_path / "phone.img", "dos", [(2048, 8192, "c")], sectors=12288)
    place(disk, fat, 2048)
    case = make_case(tmp_path / "case")
    add_exhibit(case, "EX-001", "phone")
    cli("acquire", disk, "--case", case, "--exhibit", "EX-001", "--format", "e01")

    listing = cli_json("files", "--case", case, "--exhibit", "EX-001", "--path", "*.db")
    assert [e["location"] for e in listing["entries"]] == ["p1:/WhatsApp/msgstore.db"]
    assert listing["problems"] == []
    body = cli("files", "--case", case, "--exhibit", "EX-001", "--format", "bodyfile").stdout
    reference = run(t["fls"], "-r", "-m", "p1:/", "-o", "2048", disk)
    assert sorted(body.splitlines()) == sorted(reference.splitlines())

    out = tmp_path / "exports"
    exported = cli_json(
        "export-file", "--case", case, "--exhibit", "EX-001", "p1:/WhatsApp/msgstore.db", "--out", out
    )
    assert exported["sha256"] == hashlib.sha256(b"SQLite format 3\x00" + bytes(300)).hexdigest()
    again = cli(
        "export-file",
        "--case",
        case,
        "--exhibit",
        "EX-001",
        "p1:/WhatsApp/msgstore.db",
        "--out",
        out,
        expect=6,
    )
    assert "never overwrites" in again.stderr
    missing = cli("files", "--case", case, "--exhibit", "EX-404", expect=3)
    assert "EX-404" in missing.stderr

    extraction = tmp_path / "extraction"
    (extraction / "Documents").mkdir(parents=True)
    (extraction / "Documents" / "note.txt").write_text("TRON address", encoding="utf-8")
    add_exhibit(case, "EX-002", "phone")
    cli("acquire", extraction, "--case", case, "--exhibit", "EX-002")
    listing = cli_json("files", "--case", case, "--exhibit", "EX-002", "--type", "text/plain")
    assert [e["path"] for e in listing["entries"]] == ["/Documents/note.txt"]


def test_help_has_examples() -> None:
    from tests.helpers import cli

    for command in ("files", "export-file"):
        assert "Example: evidence-intake " + command in cli(command, "--help").stdout

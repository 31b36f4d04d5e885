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
from tests.evidence.imaging import make_fat

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

"""``acquire --format e01`` end to end: the engine drives EwfWriter, records and verifies the image."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from evidence_intake.evidence.ewf_info import read_ewf_info
from tests.acquisition.ewf_builders import media
from tests.helpers import add_exhibit, cli, cli_json, make_case


@pytest.mark.parametrize("size", [3 * 1024 * 1024, 3 * 1024 * 1024 + 100], ids=["whole-sectors", "partial"])
def test_acquire_e01_records_and_verifies(tmp_path: Path, size: int) -> None:
    root = make_case(tmp_path / "case")
    add_exhibit(root, "EX-001", "storage")
    data = media(size)
    source = tmp_path / "card.dd"
    source.write_bytes(data)
    result = cli_json("acquire", source, "--exhibit", "EX-001", "--case", root, "--format", "e01")
    acq = result["acquisition"]
    assert acq["status"] == "completed" and acq["format"] == "e01" and acq["size"] == size
    assert acq["hashes"]["sha256"] == hashlib.sha256(data).hexdigest()  # the bytes read, not padded
    assert result["verification"]["image"] == "match"
    first = Path(acq["paths"][0])
    info = read_ewf_info(first)
    assert info.evidence_number == "EX-001"
    padded = data + bytes(-size % 512)
    assert info.md5 == hashlib.md5(padded).hexdigest()  # what E01 readers recompute
    [check] = cli_json("verify", "--case", root, "--exhibit", "EX-001")
    assert check["status"] == "verified", check["problems"]


def test_verify_records_a_truncated_e01_as_failed_and_goes_on_with_the_next(tmp_path: Path) -> None:
    root = make_case(tmp_path / "case")
    for exhibit in ("EX-001", "EX-002"):
        add_exhibit(root, exhibit, "storage")
        source = tmp_path / f"{exhibit}.dd"
        source.write_bytes(media(2 * 1024 * 1024))
        cli_json("acquire", source, "--exhibit", exhibit, "--case", root, "--format", "e01")
    [segment] = (root / "evidence" / "EX-001").glob("*.E01")
    segment.chmod(0o644)
    with open(segment, "r+b") as fh:
        fh.truncate(segment.stat().st_size // 2)
    result = cli("verify", "--case", root, "--json", expect=5)
    outcomes = {o["exhibit"]: o for o in json.loads(result.stdout)}
    assert outcomes["EX-001"]["status"] == "verification_failed" and outcomes["EX-001"]["problems"]
    assert outcomes["EX-002"]["status"] == "verified"

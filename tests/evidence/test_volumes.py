"""Encrypted and foreign containers are recognised and reported, never crashed on, never guessed at."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evidence_intake.evidence.images import open_image
from evidence_intake.evidence.libyal import detect_container, luks_description
from evidence_intake.evidence.tsk import TskTree
from tests.evidence.imaging import luks1_header, make_apfs, make_disk, make_fat, place, place_sparse

Tools = Callable[..., dict[str, str]]
SECRET = "111111-222222-333333-444444-555555-666666-777777-888888"


def bitlocker_boot_sector() -> bytes:
    sector = bytearray(512)
    sector[0:3] = b"\xeb\x58\x90"
    sector[3:11] = b"-FVE-FS-"
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def apfs_superblock() -> bytes:
    block = bytearray(4096)
    block[32:36] = b"NXSB"
    return bytes(block)


def test_detect_container_signatures() -> None:
    assert detect_container(bitlocker_boot_sector()) == "bitlocker"
    assert detect_container(luks1_header()) == "luks"
    assert detect_container(apfs_superblock()) == "apfs"
    assert detect_container(bytes(4096)) is None
    assert luks_description(luks1_header()) == "LUKS1 aes-xts-plain64"


def _disk_with(tools: Tools, tmp_path: Path, second: bytes) -> Path:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "sfdisk")
    fat = make_fat(t, tmp_path / "p1.img", files={"CLEAR.TXT": b"readable"})
    disk = make_disk(t, tmp_path / "disk.img", "dos", [(2048, 8192, "c"), (10240, 8192, "83")], sectors=20480)
    place(disk, fat, 2048)
    place(disk, second, 10240)
    return disk


def test_luks_partition_is_reported_encrypted(tools: Tools, tmp_path: Path) -> None:
    disk = _disk_with(tools, tmp_path, luks1_header())
    with TskTree(open_image([disk])) as tree:
        entries = list(tree.walk())
        p2 = next(v for v in tree.volumes() if v.name == "p2")
        assert p2.filesystem is None and p2.problem is not None
        assert p2.problem.kind == "encrypted" and "LUKS1" in p2.problem.reason
        assert {e.location for e in entries if e.name == "CLEAR.TXT"} == {"p1:/CLEAR.TXT"}
        assert [p.where for p in tree.problems] == ["p2"]


def test_bare_luks_image(tmp_path: Path) -> None:
    image = tmp_path / "luks.img"
    image.write_bytes(luks1_header() + bytes(1 << 20))
    with TskTree(open_image([image])) as tree:
        assert list(tree.walk()) == []
        assert tree.problems[0].where == "image" and tree.problems[0].kind == "encrypted"


def test_bitlocker_without_key_is_reported_encrypted(tools: Tools, tmp_path: Path) -> None:
    disk = _disk_with(tools, tmp_path, bitlocker_boot_sector())
    with TskTree(open_image([disk])) as tree:
        problem = next(p for p in tree.problems if p.where == "p2")
        assert (
            problem.kind == "encrypted"
            and "BitLocker" in problem.reason
            and "recovery password" in problem.reason
        )
        assert any(e.location == "p1:/CLEAR.TXT" for e in tree.walk())


def test_bitlocker_key_that_does_not_open_is_said_and_never_shown(tools: Tools, tmp_path: Path) -> None:
    disk = _disk_with(tools, tmp_path, bitlocker_boot_sector())
    with TskTree(open_image([disk]), keys={"p2": SECRET}) as tree:
        problem = next(p for p in tree.problems if p.where == "p2")
        assert problem.kind == "encrypted" and "does not open" in problem.reason
        text = repr(tree.problems) + repr(tree.volumes())
        assert SECRET not in text and "111111" not in text


def test_damaged_apfs_container_is_a_problem_not_a_crash(tools: Tools, tmp_path: Path) -> None:
    disk = _disk_with(tools, tmp_path, apfs_superblock())
    with TskTree(open_image([disk])) as tree:
        problem = next(p for p in tree.problems if p.where == "p2")
        assert "APFS" in problem.reason and problem.kind == "corrupt"
        assert any(e.location == "p1:/CLEAR.TXT" for e in tree.walk())


APFS_TYPE = "7C3457EF-0000-11AA-AA11-00306543ECAC"


def test_apfs_container_in_a_gpt_partition_is_opened(tools: Tools, tmp_path: Path) -> None:
    """A container made by mkapfs: pyfsapfs opens it and its volume is walked beside the FAT."""
    t = tools("mkapfs", "mkfs.vfat", "mmd", "mcopy", "mdel", "sfdisk")
    apfs = make_apfs(t, tmp_path / "apfs.img", label="iPhone Data")
    sectors = apfs.stat().st_size // 512
    fat = make_fat(t, tmp_path / "p1.img", files={"CLEAR.TXT": b"readable"})
    disk = make_disk(
        t,
        tmp_path / "mac-disk.img",
        "gpt",
        [(2048, 8192, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"), (10240, sectors, APFS_TYPE)],
        sectors=10240 + sectors + 2048,
    )
    place(disk, fat, 2048)
    place_sparse(disk, apfs, 10240)
    with TskTree(open_image([disk])) as tree:
        entries = list(tree.walk())
        assert tree.problems == []
        p2 = next(v for v in tree.volumes() if v.name == "p2")
        assert p2.filesystem == "apfs" and p2.problem is None
        assert p2.description.endswith('APFS container with volumes p2.v1 "iPhone Data"')
        assert {e.location for e in entries if e.name == "CLEAR.TXT"} == {"p1:/CLEAR.TXT"}
        # mkapfs cannot add files: the volume is walked and holds nothing but its root.
        assert [e for e in entries if e.volume.startswith("p2")] == []


def test_empty_partition_is_said_to_be_empty(tools: Tools, tmp_path: Path) -> None:
    disk = _disk_with(tools, tmp_path, bytes(4096))
    with TskTree(open_image([disk])) as tree:
        problem = next(p for p in tree.problems if p.where == "p2")
        assert "zeros" in problem.reason

"""File systems beyond The Sleuth Kit: XFS is walked (pyfsxfs); F2FS, Btrfs, ReFS, swap, Android sparse
images and UFS2 that TSK cannot read are named, with what to do, instead of "cannot determine"."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence_intake.evidence.images import open_image
from evidence_intake.evidence.model import EntryType
from evidence_intake.evidence.tsk import TskTree
from tests.evidence.imaging import make_disk, make_ext4, place_sparse, run

Tools = Callable[..., dict[str, str]]

THAI = "บันทึกการโอน.txt"
BIG = bytes(range(256)) * 1200 + b"tail"  # 307,204 bytes: several extents' worth of blocks


def make_xfs(tools: dict[str, str], folder: Path, image: Path) -> Path:
    """An XFS file system populated from a prototype file (mkfs.xfs -p), no mount needed."""
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "note.txt").write_bytes("โอน USDT เข้ากระเป๋านี้\n".encode())
    (folder / "src" / "big.bin").write_bytes(BIG)
    (folder / "src" / "empty").write_bytes(b"")
    proto = folder / "proto"
    proto.write_text(
        "\n".join(
            [
                "/dev/null",
                "0 0",
                "d--755 0 0",
                f"{THAI} ---640 1000 1000 {folder / 'src' / 'note.txt'}",
                "wallet d--700 1000 1000",
                f"big.bin ---600 1000 1000 {folder / 'src' / 'big.bin'}",
                f"empty ---644 0 0 {folder / 'src' / 'empty'}",
                f"seed l--777 1000 1000 ../{THAI}",
                "$",
                "$",
                "",
            ]
        ),
        encoding="utf-8",
    )
    with image.open("wb") as fh:
        fh.truncate(300 << 20)  # mkfs.xfs's smallest data section
    run(tools["mkfs.xfs"], "-q", "-p", proto, image)
    return image


def test_xfs_is_walked_with_names_types_sizes_owners_and_content(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.xfs")
    image = make_xfs(t, tmp_path / "build", tmp_path / "xfs.img")
    with TskTree(open_image([image])) as tree:
        [volume] = tree.volumes()
        assert (volume.filesystem, volume.problem) == ("xfs", None)
        entries = {e.path: e for e in tree.walk()}
        assert not tree.problems
        got = {p: (e.type, e.size, e.mode, e.uid, e.link_target) for p, e in entries.items()}
        assert got == {
            f"/{THAI}": (EntryType.FILE, len("โอน USDT เข้ากระเป๋านี้\n".encode()), 0o640, 1000, None),
            "/wallet": (EntryType.DIRECTORY, 0, 0o700, 1000, None),
            "/wallet/big.bin": (EntryType.FILE, len(BIG), 0o600, 1000, None),
            "/wallet/empty": (EntryType.FILE, 0, 0o644, 0, None),
            "/wallet/seed": (EntryType.LINK, len(f"../{THAI}".encode()), 0o777, 1000, f"../{THAI}"),
        }
        big = entries["/wallet/big.bin"]
        assert big.filesystem == "xfs" and isinstance(big.inode, int) and big.mtime is not None
        assert big.mtime.utcoffset() is not None and not big.deleted
        with tree.open(big) as stream:
            assert hashlib.sha256(stream.read()).digest() == hashlib.sha256(BIG).digest()
        with tree.open(entries["/wallet/empty"]) as stream:
            assert stream.read() == b""
        root = tree.lookup("/")
        assert root is not None and (root.path, root.name, root.type) == ("/", "", EntryType.DIRECTORY)
        found = tree.lookup(f"/wallet/../{THAI}")
        assert found is not None and found.path == f"/{THAI}"
        with tree.open(found) as stream:
            assert stream.read().decode() == "โอน USDT เข้ากระเป๋านี้\n"


def _server_disk(t: dict[str, str], tmp_path: Path, xfs: Path) -> Path:
    """A GPT disk: ``xfs`` in p1, an ext4 holding hello.txt in p2."""
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "hello.txt").write_bytes(b"hello")
    ext4 = make_ext4(t, tmp_path / "ext4.img", tmp_path / "home")
    disk = make_disk(
        t,
        tmp_path / "server.img",
        "gpt",
        [(2048, 300 << 11, "L"), (2048 + (300 << 11), 16384, "L")],
        sectors=2048 + (300 << 11) + 16384 + 2048,
    )
    place_sparse(disk, xfs, 2048)
    place_sparse(disk, ext4, 2048 + (300 << 11))
    return disk


def test_xfs_in_a_gpt_partition_beside_ext4(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.xfs", "mkfs.ext4", "sfdisk")
    xfs = make_xfs(t, tmp_path / "build", tmp_path / "xfs.img")
    disk = _server_disk(t, tmp_path, xfs)
    with TskTree(open_image([disk])) as tree:
        assert [(v.name, v.filesystem) for v in tree.volumes()] == [("p1", "xfs"), ("p2", "ext4")]
        locations = {e.location for e in tree.walk()}
        assert {"p1:/wallet/big.bin", "p2:/hello.txt"} <= locations


def test_a_damaged_xfs_superblock_is_a_problem_and_the_other_partitions_are_read(
    tools: Tools, tmp_path: Path
) -> None:
    t = tools("mkfs.xfs", "mkfs.ext4", "sfdisk")
    xfs = make_xfs(t, tmp_path / "build", tmp_path / "xfs.img")
    with xfs.open("r+b") as fh:  # keep the magic, wreck the geometry behind it
        fh.seek(4)
        fh.write(b"\xff" * 200)
    disk = _server_disk(t, tmp_path, xfs)
    with TskTree(open_image([disk])) as tree:
        assert "p2:/hello.txt" in {e.location for e in tree.walk()}
        [problem] = [p for p in tree.problems if p.where == "p1"]
        assert "XFS file system in p1 cannot be opened" in problem.reason and problem.kind == "corrupt"


def _only_problem(image: Path) -> tuple[str, str]:
    with TskTree(open_image([image])) as tree:
        [volume] = tree.volumes()
        assert volume.filesystem is None and volume.problem is not None
        assert list(tree.walk()) == []
        return volume.problem.reason, volume.problem.kind


@pytest.mark.parametrize(
    ("tool", "build", "expected"),
    [
        ("mkfs.f2fs", ["-q", "-f"], "an F2FS file system (Android's userdata"),
        ("mkfs.btrfs", ["-q", "-f", "--mixed"], "a Btrfs file system"),
        ("mkswap", ["-q"], "Linux swap space"),
    ],
)
def test_foreign_file_systems_are_named_with_what_to_do(
    tools: Tools, tmp_path: Path, tool: str, build: list[str], expected: str
) -> None:
    t = tools(tool)
    image = tmp_path / "volume.img"
    with image.open("wb") as fh:
        fh.truncate(64 << 20)
    run(t[tool], *build, image)
    reason, kind = _only_problem(image)
    assert reason.startswith(expected) and kind == "unsupported"
    assert "which The Sleuth Kit does not read" in reason
    assert ("carving" in reason) if tool == "mkswap" else ("acquire the mounted folder" in reason)


def test_an_android_sparse_image_is_told_apart_from_a_raw_one(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.ext4", "img2simg")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_bytes(b"a")
    raw = make_ext4(t, tmp_path / "userdata.raw", tmp_path / "data")
    sparse = tmp_path / "userdata.img"
    run(t["img2simg"], raw, sparse)
    reason, kind = _only_problem(sparse)
    assert reason.startswith("an Android sparse image") and "simg2img" in reason and kind == "unsupported"


def test_refs_is_named(tmp_path: Path) -> None:
    """ReFS cannot be made on Linux: its volume boot record as Windows writes it (signature and "FSRS")."""
    record = bytearray(4 << 20)
    record[3:11] = b"ReFS\0\0\0\0"
    record[16:20] = b"FSRS"
    record[0x20:0x28] = (8192).to_bytes(8, "little")  # sectors
    record[0x28:0x2C] = (512).to_bytes(4, "little")
    record[0x2C:0x30] = (8).to_bytes(4, "little")
    image = tmp_path / "server.img"
    image.write_bytes(bytes(record))
    reason, kind = _only_problem(image)
    assert reason.startswith("a ReFS file system (Windows Server)") and kind == "unsupported"


def test_ufs2_that_the_sleuth_kit_cannot_read_is_named(tools: Tools, tmp_path: Path) -> None:
    """NetBSD's makefs writes UFS2 with its superblock at 8 KiB, where TSK looks for UFS1 only."""
    t = tools("makefs")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"a")
    image = tmp_path / "ufs2.img"
    run(t["makefs"], "-t", "ffs", "-s", "4m", "-o", "version=2", image, tmp_path / "src")
    reason, kind = _only_problem(image)
    assert reason.startswith("a UFS2 file system whose superblock is not where The Sleuth Kit looks")
    assert "that The Sleuth Kit cannot read" in reason and kind == "unreadable"


def test_zeros_at_the_start_are_not_called_wiped_when_data_follows(tmp_path: Path) -> None:
    image = tmp_path / "odd.img"
    data = bytearray(2 << 20)
    data[300_000:300_016] = b"not a file syst."
    image.write_bytes(bytes(data))
    reason, _ = _only_problem(image)
    assert "the first 4 KiB are zeros but data follows" in reason
    image.write_bytes(bytes(2 << 20))
    reason, _ = _only_problem(image)
    assert reason == "no file system: the first 1 MiB are zeros (empty or wiped)"


def test_a_damaged_ntfs_over_an_old_btrfs_is_called_damaged_ntfs(tools: Tools, tmp_path: Path) -> None:
    """A quick format keeps the old Btrfs superblock at 64 KiB under the new NTFS: when the NTFS is
    damaged, the partition is a damaged NTFS, not a Btrfs to mount."""
    t = tools("mkfs.btrfs", "mkntfs")
    image = tmp_path / "disk.img"
    with image.open("wb") as fh:
        fh.truncate(64 << 20)
    run(t["mkfs.btrfs"], "-q", "-f", "--mixed", image)
    run(t["mkntfs"], "-q", "-Q", "-F", image)
    with image.open("r+b") as fh:  # bytes per sector: 0, which no NTFS has
        fh.seek(11)
        fh.write(b"\x00\x00")
    reason, kind = _only_problem(image)
    assert reason.startswith("a damaged NTFS file system, which The Sleuth Kit cannot read: ")
    assert kind == "corrupt" and "Btrfs" not in reason


def test_a_truncated_xfs_says_it_is_cut_short(tools: Tools, tmp_path: Path) -> None:
    """libfsxfs reads every allocation group's superblock: half an image does not open, and says why."""
    t = tools("mkfs.xfs")
    image = make_xfs(t, tmp_path / "build", tmp_path / "xfs.img")
    with image.open("r+b") as fh:
        fh.truncate(150 << 20)
    reason, kind = _only_problem(image)
    held, whole = 150 << 20, 300 << 20
    assert (
        reason
        == f"XFS file system in the image cannot be opened: the image holds {held} of its {whole} bytes"
    )
    assert kind == "corrupt"

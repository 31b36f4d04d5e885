"""Walking file systems through TskTree: the listing equals the truth and The Sleuth Kit's own fls."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence_intake.evidence.bodyfile import fls_line
from evidence_intake.evidence.images import open_image
from evidence_intake.evidence.model import Entry, EntryType
from evidence_intake.evidence.tsk import NATIVE_WALK_FILESYSTEMS, NATIVE_WALK_SWITCH, TskFileSystem, TskTree
from tests.evidence.imaging import (
    fill_folder,
    fls,
    make_disk,
    make_ext4,
    make_fat,
    make_mac_disk,
    make_ntfs,
    make_ufs1,
    place,
    run,
)

# Every test here runs twice: the walk in C over libtsk, and the walk through pytsk3's objects.
pytestmark = pytest.mark.usefixtures("walker")
Tools = Callable[..., dict[str, str]]
CORPUS_EXT2 = {
    "/lost+found",
    "/a_directory",
    "/a_directory/a_file",
    "/a_directory/another_file",
    "/passwords.txt",
    "/a_link",
}


def walk(image: Path | list[Path]) -> tuple[TskTree, list[Entry]]:
    tree = TskTree(open_image(image if isinstance(image, list) else [image]))
    entries = list(tree.walk())
    in_c = os.environ.get(NATIVE_WALK_SWITCH) != "0"
    for fs in tree._filesystems.values():
        if isinstance(fs, TskFileSystem):  # the half of the test that means to walk in C did
            assert (fs.native_refused is None) == (in_c and fs.label in NATIVE_WALK_FILESYSTEMS), (
                fs.native_refused
            )
    return tree, entries


def real(entries: list[Entry]) -> set[str]:
    """Paths of entries that are files, folders or links (not TSK's virtual $OrphanFiles, $MBR…)."""
    return {e.location for e in entries if e.type is not EntryType.OTHER}


def fls_lines(tree: TskTree, entries: list[Entry], volume: str = "") -> list[str]:
    return sorted(fls_line(tree, e) for e in entries if e.volume == volume)


@pytest.mark.parametrize("name", ["ext2.E01", "ext2.splitraw.000"])
def test_corpus_ext2_listing_is_the_truth_and_fls(corpus: Path, tools: Tools, name: str) -> None:
    image = corpus / "disk-images" / name
    tree, entries = walk(image)
    with tree:
        assert real(entries) == CORPUS_EXT2
        link = next(e for e in entries if e.path == "/a_link")
        assert link.type is EntryType.LINK and link.link_target == "a_directory/another_file"
        assert {e.filesystem for e in entries} == {"ext2"} and {e.volume for e in entries} == {""}
        with tree.open(next(e for e in entries if e.path == "/passwords.txt")) as fh:
            assert len(fh.read()) == 116
        segments = sorted(image.parent.glob(image.stem + ".*")) if name.endswith(".000") else [image]
        reference = sorted(run(tools("fls")["fls"], "-r", "-p", *segments).splitlines())
        assert fls_lines(tree, entries) == reference


def test_split_raw_through_fls_single_file_view(corpus: Path, tools: Tools, tmp_path: Path) -> None:
    joined = tmp_path / "ext2.raw"
    joined.write_bytes(
        b"".join(p.read_bytes() for p in sorted((corpus / "disk-images").glob("ext2.splitraw.*")))
    )
    tree, entries = walk(corpus / "disk-images" / "ext2.splitraw.000")
    with tree:
        assert fls_lines(tree, entries) == fls(tools("fls")["fls"], joined, "-r", "-p")


def test_corpus_iso9660(corpus: Path, tools: Tools) -> None:
    image = corpus / "disk-images" / "iso9660.raw"
    tree, entries = walk(image)
    with tree:
        files = {e.path for e in entries if e.type is EntryType.FILE}
        assert files == {"/A_DIRECTORY/A_FILE", "/A_DIRECTORY/ANOTHER_FILE", "/PASSWORDS.TXT"}
        assert tree.volumes()[0].filesystem == "iso9660"
        assert fls_lines(tree, entries) == fls(tools("fls")["fls"], image, "-r", "-p")


def test_fat_with_deleted_file(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "fls")
    image = make_fat(
        t,
        tmp_path / "fat.img",
        folders=["DCIM", "DCIM/Camera"],
        files={
            "DCIM/Camera/IMG_0001.jpg": b"\xff\xd8\xff" + b"j" * 5000,
            "notes.txt": b"wallet TQ5...",
            "deleted_wallet_backup.txt": b"bye",
        },
        deleted=["deleted_wallet_backup.txt"],
    )
    tree, entries = walk(image)
    with tree:
        by_path = {e.path: e for e in entries}
        assert by_path["/deleted_wallet_backup.txt"].deleted and not by_path["/notes.txt"].deleted
        assert by_path["/DCIM/Camera/IMG_0001.jpg"].size == 5003
        assert by_path["/DCIM/Camera"].type is EntryType.DIRECTORY
        assert by_path["/notes.txt"].filesystem.startswith("fat")
        assert by_path["/notes.txt"].mtime is not None and by_path["/notes.txt"].mtime.tzinfo is not None
        with tree.open(by_path["/notes.txt"]) as fh:
            assert fh.read() == b"wallet TQ5..."
        assert fls_lines(tree, entries) == fls(t["fls"], image, "-r", "-p")


def test_ext4_from_folder_matches_truth_and_fls(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.ext4", "fls")
    truth = {
        "data/data/com.whatsapp/databases/msgstore.db": b"SQLite format 3\x00" + b"\x00" * 200,
        "data/media/0/ไทย/บันทึก.txt": "ข้อความ".encode(),
        "data/media/0/中文/笔记.txt": "你好".encode(),
        "empty": b"",
    }
    folder = fill_folder(tmp_path / "src", truth)
    os.symlink("data/media", folder / "media-link")
    image = make_ext4(t, tmp_path / "ext4.img", folder)
    tree, entries = walk(image)
    with tree:
        files = {e.path: e for e in entries if e.type is EntryType.FILE}
        assert set(files) == {"/" + name for name in truth}
        for name, data in truth.items():
            with tree.open(files["/" + name]) as fh:
                assert fh.read() == data
        assert next(e for e in entries if e.path == "/media-link").link_target == "data/media"
        assert tree.volumes()[0].filesystem == "ext4"
        assert fls_lines(tree, entries) == fls(t["fls"], image, "-r", "-p")


def test_ext4_deleted_file_is_reported_deleted(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.ext4", "debugfs", "fls")
    folder = fill_folder(tmp_path / "src", {"keep.txt": b"k" * 3000, "dir/secret.txt": b"s" * 3000})
    image = make_ext4(t, tmp_path / "ext4.img", folder)
    run(t["debugfs"], "-w", "-R", "rm /dir/secret.txt", image)
    tree, entries = walk(image)
    with tree:
        deleted = [e for e in entries if e.deleted]
        assert [e.path for e in deleted if e.name == "secret.txt"] == ["/dir/secret.txt"]
        assert not next(e for e in entries if e.path == "/keep.txt").deleted
        assert fls_lines(tree, entries) == fls(t["fls"], image, "-r", "-p")


def _two_filesystems(t: dict[str, str], tmp_path: Path) -> tuple[Path, Path]:
    fat = make_fat(t, tmp_path / "p1.img", size_kib=4096, files={"FAT.TXT": b"on the fat partition"})
    ext = make_ext4(t, tmp_path / "p2.img", fill_folder(tmp_path / "src", {"ext.txt": b"on ext4"}), size="4M")
    return fat, ext


@pytest.mark.parametrize(
    ("label", "types"),
    [
        ("dos", ("c", "83")),
        ("gpt", ("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "0FC63DAF-8483-4772-8E79-3D69D8477DE4")),
    ],
)
def test_partitioned_disk_two_filesystems(
    tools: Tools, tmp_path: Path, label: str, types: tuple[str, str]
) -> None:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "mkfs.ext4", "sfdisk", "fls")
    fat, ext = _two_filesystems(t, tmp_path)
    disk = make_disk(
        t, tmp_path / "disk.img", label, [(2048, 8192, types[0]), (10240, 8192, types[1])], sectors=20480
    )
    place(disk, fat, 2048)
    place(disk, ext, 10240)
    tree, entries = walk(disk)
    with tree:
        assert tree.scheme == label
        volumes = {v.name: v for v in tree.volumes()}
        assert set(volumes) == {"p1", "p2"}
        assert (volumes["p1"].offset, volumes["p2"].offset) == (2048 * 512, 10240 * 512)
        assert volumes["p1"].filesystem.startswith("fat") and volumes["p2"].filesystem == "ext4"
        assert "p1:/FAT.TXT" in real(entries) and "p2:/ext.txt" in real(entries)
        with tree.open(next(e for e in entries if e.location == "p2:/ext.txt")) as fh:
            assert fh.read() == b"on ext4"
        assert fls_lines(tree, entries, "p1") == fls(t["fls"], disk, "-r", "-p", "-o", "2048")
        assert fls_lines(tree, entries, "p2") == fls(t["fls"], disk, "-r", "-p", "-o", "10240")
        assert tree.lookup("p2:/ext.txt") is not None and tree.lookup("p1:/FAT.TXT") is not None


def test_mbr_with_extended_partition(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "mkfs.ext4", "sfdisk", "fls")
    fat, ext = _two_filesystems(t, tmp_path)
    disk = make_disk(
        t,
        tmp_path / "disk.img",
        "dos",
        [(2048, 8192, "c"), (10240, 12288, "5"), (12288, 8192, "83")],
        sectors=24576,
    )
    place(disk, fat, 2048)
    place(disk, ext, 12288)
    tree, entries = walk(disk)
    with tree:
        volumes = {v.name: v for v in tree.volumes()}
        assert set(volumes) == {"p1", "p2"}  # the extended container itself is no volume
        assert volumes["p2"].offset == 12288 * 512 and volumes["p2"].filesystem == "ext4"
        assert "p2:/ext.txt" in real(entries)
        assert fls_lines(tree, entries, "p2") == fls(t["fls"], disk, "-r", "-p", "-o", "12288")


PHONE_LIKE = {
    "data/media/0/ไทย/บันทึก.txt": "โอนเงิน USDT".encode(),
    "data/media/0/中文/笔记.txt": "你好".encode(),
    "Documents/wallet.txt": b"TQ5 wallet",
    "empty": b"",
}


def test_ufs1_matches_truth_and_fls(tools: Tools, tmp_path: Path) -> None:
    t = tools("makefs", "fls")
    folder = fill_folder(tmp_path / "src", PHONE_LIKE)
    os.symlink("Documents", folder / "docs")
    image = make_ufs1(t, tmp_path / "ufs1.img", folder)
    tree, entries = walk(image)
    with tree:
        assert tree.volumes()[0].filesystem == "ufs1"
        files = {e.path: e for e in entries if e.type is EntryType.FILE}
        assert set(files) == {"/" + name for name in PHONE_LIKE}
        for name, data in PHONE_LIKE.items():
            assert files["/" + name].size == len(data)
            with tree.open(files["/" + name]) as fh:
                assert fh.read() == data
        assert next(e for e in entries if e.path == "/docs").link_target == "Documents"
        assert fls_lines(tree, entries) == fls(t["fls"], image, "-r", "-p")


def test_apple_partition_map_with_fat_and_ufs(tools: Tools, tmp_path: Path) -> None:
    t = tools("parted", "makefs", "mkfs.vfat", "mmd", "mcopy", "mdel", "fls")
    fat = make_fat(t, tmp_path / "p1.img", size_kib=4096, files={"FAT.TXT": b"on the fat partition"})
    ufs = make_ufs1(t, tmp_path / "p2.img", fill_folder(tmp_path / "src", PHONE_LIKE), size="4m")
    disk = make_mac_disk(t, tmp_path / "mac.img", [(2048, 10239), (10240, 18431)], sectors=20480)
    place(disk, fat, 2048)
    place(disk, ufs, 10240)
    tree, entries = walk(disk)
    with tree:
        assert tree.scheme == "mac"
        volumes = {v.name: v for v in tree.volumes()}
        assert {n: (v.offset, v.filesystem) for n, v in volumes.items()} == {
            "p1": (2048 * 512, "fat12"),
            "p2": (10240 * 512, "ufs1"),
        }
        assert "p1:/FAT.TXT" in real(entries) and "p2:/Documents/wallet.txt" in real(entries)
        with tree.open(next(e for e in entries if e.location == "p2:/data/media/0/ไทย/บันทึก.txt")) as fh:
            assert fh.read() == PHONE_LIKE["data/media/0/ไทย/บันทึก.txt"]
        assert fls_lines(tree, entries, "p1") == fls(t["fls"], disk, "-r", "-p", "-o", "2048")
        assert fls_lines(tree, entries, "p2") == fls(t["fls"], disk, "-r", "-p", "-o", "10240")


def test_garbage_partition_is_listed_with_reason_and_walk_goes_on(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "sfdisk")
    fat = make_fat(t, tmp_path / "p1.img", files={"OK.TXT": b"fine"})
    disk = make_disk(t, tmp_path / "disk.img", "dos", [(2048, 8192, "c"), (10240, 8192, "83")], sectors=20480)
    place(disk, fat, 2048)
    place(disk, bytes(range(256)) * 16 * 64, 10240)  # patterned garbage, not random
    tree, entries = walk(disk)
    with tree:
        volumes = {v.name: v for v in tree.volumes()}
        assert volumes["p2"].filesystem is None and volumes["p2"].problem is not None
        assert "no file system" in volumes["p2"].problem.reason
        assert [p.where for p in tree.problems] == ["p2"]
        assert "p1:/OK.TXT" in real(entries)


def test_random_partition_is_suspected_encrypted(tools: Tools, tmp_path: Path) -> None:
    t = tools("sfdisk")
    disk = make_disk(t, tmp_path / "disk.img", "dos", [(2048, 4096, "7")], sectors=8192)
    place(disk, os.urandom(4096 * 512), 2048)
    tree, entries = walk(disk)
    with tree:
        assert entries == []
        assert tree.problems[0].kind == "encrypted" and "random" in tree.problems[0].reason


def test_directory_loop_ends(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.ext4", "debugfs")
    image = make_ext4(t, tmp_path / "ext4.img", fill_folder(tmp_path / "src", {"sub/f.txt": b"x"}))
    run(t["debugfs"], "-w", "-R", "ln /sub /sub/loop", image)  # a second name for a folder, inside itself
    tree, entries = walk(image)
    with tree:
        paths = [e.path for e in entries]
        assert "/sub/loop" in paths and paths.count("/sub/f.txt") == 1
        assert not any(p.startswith("/sub/loop/") for p in paths)


def test_corrupt_directory_gives_problem_and_walk_goes_on(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.ext4", "debugfs")
    files = {"bad/a.txt": b"a", "good/b.txt": b"b", "top.txt": b"t"}
    folder = fill_folder(tmp_path / "src", files)
    image = tmp_path / "ext.img"
    run(
        t["mkfs.ext4"], "-q", "-F", "-O", "^extent,^64bit", "-d", folder, image, "8M"
    )  # block maps, no extents
    run(t["debugfs"], "-w", "-R", "sif /bad block[0] 999999", image)  # the folder's block lies past the end
    tree, entries = walk(image)
    with tree:
        paths = {e.path for e in entries}
        assert {"/bad", "/good/b.txt", "/top.txt"} <= paths
        assert "/bad/a.txt" not in paths
        problem = next(p for p in tree.problems if p.where == "/bad/")
        assert "cannot be read" in problem.reason and "tsk3.cpp" not in problem.reason


def test_ntfs_alternate_data_streams_are_entries(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkntfs", "ntfscp", "fls")
    image = make_ntfs(
        t,
        tmp_path / "ntfs.img",
        {"/wallet.txt": b"visible content"},
        streams={"/wallet.txt:hidden": b"seed phrase hidden in a stream"},
    )
    tree, entries = walk(image)
    with tree:
        streams = {e.location: e for e in entries if e.path == "/wallet.txt"}
        assert set(streams) == {"/wallet.txt", "/wallet.txt:hidden"}
        assert streams["/wallet.txt:hidden"].stream == "hidden"
        with tree.open(streams["/wallet.txt:hidden"]) as fh:
            assert fh.read() == b"seed phrase hidden in a stream"
        with tree.open(streams["/wallet.txt"]) as fh:
            assert fh.read() == b"visible content"
        assert str(streams["/wallet.txt:hidden"].inode).count("-") == 2  # "64-128-4", as fls writes it
        found = tree.lookup("/wallet.txt:hidden")
        assert found is not None and found.inode == streams["/wallet.txt:hidden"].inode
        assert fls_lines(tree, entries) == fls(t["fls"], image, "-r", "-p")


def test_exfat_is_recognised(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.exfat", "fls")
    image = tmp_path / "exfat.img"
    with image.open("wb") as fh:
        fh.truncate(8 << 20)
    run(t["mkfs.exfat"], "-L", "EVIDENCE", image)
    tree, entries = walk(image)
    with tree:
        assert tree.volumes()[0].filesystem == "exfat"
        assert any(e.name.startswith("EVIDENCE") for e in entries)  # TSK lists the volume label entry
        assert fls_lines(tree, entries) == fls(t["fls"], image, "-r", "-p")


def test_lookup_resolves_dotdot_inside_the_file_system(corpus: Path) -> None:
    tree = TskTree(open_image([corpus / "disk-images" / "ext2.E01"]))
    with tree:
        found = tree.lookup("/../../a_directory/../passwords.txt")
        assert found is not None and found.path == "/passwords.txt"
        assert tree.lookup("/no/such/file") is None

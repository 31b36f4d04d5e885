"""The bodyfile equals what fls -r -m writes for the same image (modulo ordering)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from evidence_intake.evidence.bodyfile import bodyfile_lines, mode_string
from evidence_intake.evidence.images import open_image
from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree, Volume
from evidence_intake.evidence.tsk import TskTree
from tests.evidence.imaging import fill_folder, make_disk, make_ext4, make_fat, place, run

Tools = Callable[..., dict[str, str]]
# TSK up to 4.11 turns an NTFS time of 0 (unset) into this value by 32-bit wrap-around; newer TSK,
# which pytsk3 bundles, gives 0. Only that value is normalised before comparing.
TSK411_NTFS_ZERO = "3373865674"


def ours(image: Path) -> list[str]:
    with TskTree(open_image([image])) as tree:
        return sorted(line for entry in tree.walk() for line in bodyfile_lines(tree, entry))


def fls_m(tool: str, image: Path, *args: str, mount: str = "/") -> list[str]:
    lines = run(tool, "-r", "-m", mount, *args, image).splitlines()
    return sorted(line.replace(TSK411_NTFS_ZERO, "0") for line in lines)


def test_corpus_ext2_bodyfile(corpus: Path, tools: Tools) -> None:
    image = corpus / "disk-images" / "ext2.E01"
    lines = ours(image)
    link = "0|/a_link -> a_directory/another_file|16|l/lrwxrwxrwx|1000|1000|24|" + "1626962852|" * 3 + "0"
    assert link in lines
    assert lines == fls_m(tools("fls")["fls"], image)


def test_fat_bodyfile_with_deleted(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "fls")
    image = make_fat(
        t,
        tmp_path / "fat.img",
        folders=["D"],
        files={"D/keep.txt": b"k", "removed_later.txt": b"r"},
        deleted=["removed_later.txt"],
    )
    lines = ours(image)
    assert any(line.startswith("0|/removed_later.txt (deleted)|") for line in lines)
    assert lines == fls_m(t["fls"], image)


def test_ext4_bodyfile_with_deleted_and_links(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.ext4", "debugfs", "fls")
    folder = fill_folder(tmp_path / "src", {"a/b.txt": b"b" * 5000, "c.txt": b"c", "d.txt": b"d" * 9000})
    (folder / "link").symlink_to("a/b.txt")
    (folder / "a" / "b.txt").chmod(0o4755)  # setuid shows as "s"
    image = make_ext4(t, tmp_path / "ext4.img", folder)
    run(t["debugfs"], "-w", "-R", "rm /d.txt", image)
    lines = ours(image)
    assert any("|r/rrwsr-xr-x|" in line for line in lines)
    assert lines == fls_m(t["fls"], image)


def test_ntfs_bodyfile_has_file_name_lines_and_streams(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkntfs", "ntfscp", "fls")
    image = tmp_path / "ntfs.img"
    with image.open("wb") as fh:
        fh.truncate(8 << 20)
    run(t["mkntfs"], "-F", "-q", "-Q", image)
    (tmp_path / "f").write_bytes(b"x" * 100)
    run(t["ntfscp"], "-f", image, tmp_path / "f", "/doc.txt")
    run(t["ntfscp"], "-f", "-N", "Zone.Identifier", image, tmp_path / "f", "/doc.txt")
    lines = ours(image)
    assert any(line.startswith("0|/doc.txt ($FILE_NAME)|") for line in lines)
    assert any(line.startswith("0|/doc.txt:Zone.Identifier|") for line in lines)
    assert lines == fls_m(t["fls"], image)


def test_partition_bodyfile_is_prefixed_with_its_volume(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "sfdisk", "fls")
    fat = make_fat(t, tmp_path / "p1.img", files={"X.TXT": b"x"})
    disk = make_disk(t, tmp_path / "disk.img", "dos", [(2048, 8192, "c")], sectors=12288)
    place(disk, fat, 2048)
    assert ours(disk) == fls_m(t["fls"], disk, "-o", "2048", mount="p1:/")


def test_mode_string() -> None:
    assert mode_string("d", 0o755) == "drwxr-xr-x"
    assert mode_string("r", 0o4755) == "rrwsr-xr-x"
    assert mode_string("r", 0o2644) == "rrw-r-Sr--"
    assert mode_string("d", 0o1777) == "drwxrwxrwt"
    assert mode_string("-", None) == "----------"


class ListTree(EvidenceTree):
    """A tree of given entries, standing in for a logical container."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.problems = []

    def volumes(self) -> list[Volume]:
        return []

    def walk(self) -> Iterator[Entry]:
        return iter(self.entries)

    def open(self, entry: Entry) -> BinaryIO:
        raise NotImplementedError


def test_bodyfile_for_logical_entries() -> None:
    when = datetime(2025, 3, 14, 2, 30, 5, 999999, tzinfo=UTC)
    entries = [
        Entry(
            path="/sdcard/a|b\n.txt",
            name="a|b\n.txt",
            type=EntryType.FILE,
            size=7,
            inode=3,
            mtime=when,
            mode=0o644,
        ),
        Entry(
            path="/sdcard", name="sdcard", type=EntryType.DIRECTORY, size=0, mode=0o755, uid=1000, gid=1000
        ),
        Entry(path="/l", name="l", type=EntryType.LINK, size=1, link_target="x", deleted=True),
    ]
    tree = ListTree(entries)
    lines = [line for e in entries for line in bodyfile_lines(tree, e)]
    assert lines == [
        "0|/sdcard/a|b^.txt|3|r/rrw-r--r--|0|0|7|0|1741919405|0|0",
        "0|/sdcard|0|d/drwxr-xr-x|1000|1000|0|0|0|0|0",
        "0|/l -> x (deleted)|0|l/l---------|0|0|1|0|0|0|0",
    ]

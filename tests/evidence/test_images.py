"""Image readers: raw, split raw, E01 (pyewf) and virtual disks, told apart by content."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence_intake.errors import EvidenceError, NotFoundError, UsageError
from evidence_intake.evidence.images import EwfImage, RawImage, open_image, sniff_format
from evidence_intake.evidence.model import ImageReader
from evidence_intake.evidence.tsk import TskTree
from tests.evidence.imaging import fixed_vhd, make_fat, run

Tools = Callable[..., dict[str, str]]
CORPUS_MD5 = "196066add11fb71c4c49cf1bb50d6d24"


def media_md5(reader: ImageReader, block: int = 1 << 20) -> str:
    digest = hashlib.md5()
    offset = 0
    while offset < reader.size:
        data = reader.read_at(offset, block)
        assert data, f"short read at {offset}"
        digest.update(data)
        offset += len(data)
    assert reader.read_at(reader.size, 10) == b""
    return digest.hexdigest()


def test_corpus_e01_and_split_raw_give_the_recorded_media_hash(corpus: Path) -> None:
    with open_image([corpus / "disk-images" / "ext2.E01"]) as e01:
        assert isinstance(e01, EwfImage) and e01.format == "e01" and e01.size == 8192 * 512
        assert media_md5(e01) == CORPUS_MD5
        assert e01.stored_hashes()["md5"] == CORPUS_MD5
        assert e01.header_values()["case_number"] == "case"
    with open_image([corpus / "disk-images" / "ext2.splitraw.000"]) as split:
        assert isinstance(split, RawImage) and split.format == "split-raw" and len(split.paths) == 2
        assert media_md5(split, block=3000) == CORPUS_MD5  # reads that straddle the segment boundary


def test_split_raw_read_across_segments(tmp_path: Path) -> None:
    data = os.urandom(10_000)
    for index, start in enumerate(range(0, 10_000, 3_000)):
        (tmp_path / f"disk.{index + 1:03d}").write_bytes(data[start : start + 3_000])
    with open_image([tmp_path / "disk.001"]) as image:
        assert image.size == 10_000
        assert image.read_at(2_990, 3_020) == data[2_990:6_010]
        assert image.read_at(9_990, 100) == data[9_990:]
        with pytest.raises(ValueError):
            image.read_at(-1, 5)


def test_split_raw_missing_segment_is_named(tmp_path: Path) -> None:
    for n in (1, 2, 4):
        (tmp_path / f"disk.{n:03d}").write_bytes(b"x" * 512)
    with pytest.raises(EvidenceError, match=r"disk\.003"):
        open_image([tmp_path / "disk.001"])


def test_a_recorded_segment_that_is_missing_is_unreadable_evidence_not_a_typo(tmp_path: Path) -> None:
    """Segments given one by one (as an acquisition records them): the first missing is a path that
    is not there (exit 3); a later one missing is an image that cannot be read (exit 4), named."""
    recorded = [tmp_path / f"EX-4.{n:03d}" for n in (1, 2, 3)]
    for path in recorded:
        path.write_bytes(b"x" * 512)
    recorded[1].unlink()
    with pytest.raises(EvidenceError, match=r"segment EX-4\.002 of image EX-4\.001 is missing") as caught:
        open_image(recorded)
    assert caught.value.exit_code == 4 and caught.value.path == str(recorded[1])
    recorded[0].unlink()
    with pytest.raises(NotFoundError, match="image file not found"):
        open_image(recorded)


def test_missing_image_and_folder(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        open_image([tmp_path / "nope.dd"])
    with pytest.raises(EvidenceError, match="not a file"):
        open_image([tmp_path])
    with pytest.raises(UsageError):
        open_image([])


def test_ex01_and_l01_are_refused_plainly(tmp_path: Path) -> None:
    ex01 = tmp_path / "image.Ex01"
    ex01.write_bytes(b"EVF2\r\n\x81\x00" + bytes(600))
    with pytest.raises(EvidenceError, match="Ex01"):
        sniff_format(ex01)
    l01 = tmp_path / "files.L01"
    l01.write_bytes(b"LVF\x09\x0d\x0a\xff\x00" + bytes(600))
    with pytest.raises(EvidenceError, match="logical evidence file"):
        open_image([l01])


@pytest.fixture
def split_e01(tools: Tools, tmp_path: Path) -> tuple[Path, bytes]:
    t = tools("ewfacquire")
    source = tmp_path / "source.bin"
    data = os.urandom(3 << 20)
    source.write_bytes(data)
    folder = tmp_path / "e01"
    folder.mkdir()
    run(t["ewfacquire"], "-u", "-q", "-c", "none", "-S", "1MiB", "-t", folder / "ex", source)
    assert (folder / "ex.E03").exists()
    return folder / "ex.E01", data


def test_split_e01_reads_its_media(split_e01: tuple[Path, bytes]) -> None:
    first, data = split_e01
    with open_image([first]) as image:
        suffixes = [p.suffix for p in image.paths]
        assert image.format == "e01" and len(suffixes) >= 3
        assert suffixes == [f".E{n:02d}" for n in range(1, len(suffixes) + 1)]
        assert image.size == len(data)
        assert image.read_at(1_048_000, 5_000) == data[1_048_000:1_053_000]
        assert media_md5(image) == hashlib.md5(data).hexdigest()


def test_split_e01_missing_segment_is_named(split_e01: tuple[Path, bytes]) -> None:
    first, _ = split_e01
    first.with_suffix(".E02").unlink()
    with pytest.raises(EvidenceError, match=r"ex\.E02 of image ex\.E01 is missing"):
        open_image([first])


def test_split_e01_renamed_segment_is_refused(split_e01: tuple[Path, bytes]) -> None:
    first, _ = split_e01
    shutil.copy(first.with_suffix(".E03"), first.with_suffix(".E02"))
    with pytest.raises(EvidenceError, match="holds segment 3 of its image"):
        open_image([first])


def test_split_e01_foreign_segment_is_refused(
    tools: Tools, split_e01: tuple[Path, bytes], tmp_path: Path
) -> None:
    first, _ = split_e01
    other_source = tmp_path / "other.bin"
    other_source.write_bytes(os.urandom(5 << 20))
    run(
        tools("ewfacquire")["ewfacquire"],
        "-u",
        "-q",
        "-c",
        "none",
        "-S",
        "1MiB",
        "-t",
        tmp_path / "other",
        other_source,
    )
    shutil.copy(tmp_path / "other.E02", first.with_suffix(".E02"))
    with pytest.raises(EvidenceError, match="belongs to another image"):
        open_image([first])


def test_truncated_e01_segment_gives_evidence_error(split_e01: tuple[Path, bytes]) -> None:
    first, _ = split_e01
    with first.with_suffix(".E03").open("r+b") as fh:
        fh.truncate(100)
    with pytest.raises(EvidenceError):
        with open_image([first]) as image:
            media_md5(image)


def test_fixed_vhd_built_by_hand(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel")
    raw = make_fat(t, tmp_path / "fat.img", files={"VHD.TXT": b"inside a fixed vhd"}).read_bytes()
    vhd = tmp_path / "server-disk.bin"  # the extension says nothing; the footer does
    vhd.write_bytes(fixed_vhd(raw))
    assert sniff_format(vhd) == "vhd"
    with TskTree(open_image([vhd])) as tree:
        assert tree.reader.format == "vhd" and tree.reader.size == len(raw)
        entry = tree.lookup("/VHD.TXT")
        assert entry is not None
        with tree.open(entry) as fh:
            assert fh.read() == b"inside a fixed vhd"


@pytest.mark.parametrize(
    ("qemu_format", "expected"), [("vpc", "vhd"), ("vhdx", "vhdx"), ("vmdk", "vmdk"), ("qcow2", "qcow2")]
)
def test_virtual_disks_made_by_qemu_img(
    tools: Tools, tmp_path: Path, qemu_format: str, expected: str
) -> None:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "qemu-img")
    raw_path = make_fat(t, tmp_path / "fat.img", folders=["SRV"], files={"SRV/DB.SQL": b"select 1;" * 500})
    disk = tmp_path / f"disk.{qemu_format}"
    run(t["qemu-img"], "convert", "-f", "raw", "-O", qemu_format, raw_path, disk)
    assert sniff_format(disk) == expected
    with open_image([disk]) as image:
        assert image.format == expected
        raw = raw_path.read_bytes()
        assert image.read_at(0, len(raw)) == raw
    with TskTree(open_image([disk])) as tree:
        entry = tree.lookup("/SRV/DB.SQL")
        assert entry is not None and entry.size == 4500


def test_qcow2_differencing_disk_needs_its_parent(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel", "qemu-img")
    raw_path = make_fat(t, tmp_path / "fat.img", files={"BASE.TXT": b"from the base"})
    base = tmp_path / "base.qcow2"
    run(t["qemu-img"], "convert", "-f", "raw", "-O", "qcow2", raw_path, base)
    child = tmp_path / "child.qcow2"
    run(t["qemu-img"], "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", child)
    with TskTree(open_image([child])) as tree:
        entry = tree.lookup("/BASE.TXT")
        assert entry is not None
        with tree.open(entry) as fh:
            assert fh.read() == b"from the base"
    base.unlink()
    with pytest.raises(EvidenceError, match=r"parent base\.qcow2"):
        open_image([child])

"""``image_info``: any image file described by its first bytes, E01 or raw or split raw."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from evidence_intake.errors import EvidenceError, NotFoundError, UsageError
from evidence_intake.evidence.image_info import image_info
from tests.acquisition.ewf_builders import CHUNK, media, write_e01
from tests.helpers import RecordedProgress


def test_split_raw_from_the_corpus(corpus: Path) -> None:
    first = corpus / "disk-images" / "ext2.splitraw.000"
    info = image_info(first, segment_hashes=True)
    assert info.format == "split-raw"
    assert [s.path.name for s in info.segments] == ["ext2.splitraw.000", "ext2.splitraw.001"]
    assert info.media_size == 4 * 1024 * 1024
    assert info.segments[1].sha256 == hashlib.sha256(info.segments[1].path.read_bytes()).hexdigest()
    assert info.ewf is None
    assert image_info(corpus / "disk-images" / "ext2.splitraw.001").path == first


def test_raw_file(tmp_path: Path) -> None:
    raw = tmp_path / "card.dd"
    raw.write_bytes(b"\x00" * 3000)
    info = image_info(raw)
    assert (info.format, info.media_size, len(info.segments)) == ("raw", 3000, 1)
    assert info.to_dict()["segments"][0]["sha256"] is None


def test_segment_hashes_report_every_segments_bytes(tmp_path: Path) -> None:
    """A segment can be gigabytes: `image info --segment-hashes` draws a bar from these phases."""
    (tmp_path / "card.000").write_bytes(b"\x01" * 3000)
    (tmp_path / "card.001").write_bytes(b"\x02" * 1000)
    progress = RecordedProgress()
    info = image_info(tmp_path / "card.000", segment_hashes=True, progress=progress)
    assert progress.phases == [("hashing card.000", 3000, 3000), ("hashing card.001", 1000, 1000)]
    assert info.segments[1].sha256 == hashlib.sha256(b"\x02" * 1000).hexdigest()
    write_e01(tmp_path / "phone", media(3 * CHUNK))
    progress = RecordedProgress()
    info = image_info(tmp_path / "phone.E01", segment_hashes=True, progress=progress)
    size = (tmp_path / "phone.E01").stat().st_size
    assert progress.phases == [("hashing phone.E01", size, size)]
    assert info.segments[0].sha256 == hashlib.sha256((tmp_path / "phone.E01").read_bytes()).hexdigest()


def test_e01_by_its_signature_whatever_its_name(tmp_path: Path, corpus: Path) -> None:
    write_e01(tmp_path / "phone", media(3 * CHUNK))
    info = image_info(tmp_path / "phone.E01")
    assert info.format == "e01" and info.ewf is not None
    assert info.to_dict()["case_number"] == "TCSD 123/2568"
    assert image_info(corpus / "disk-images" / "ext2.E01").media_size == 4 * 1024 * 1024


def test_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        image_info(tmp_path / "nothing.raw")
    with pytest.raises(UsageError, match="is a folder"):
        image_info(tmp_path)
    write_e01(tmp_path / "x", media(2 * CHUNK))
    (tmp_path / "x.E01").rename(tmp_path / "x.000")
    (tmp_path / "x.001").write_bytes((tmp_path / "x.000").read_bytes())
    (tmp_path / "x.000").write_bytes(b"raw")
    with pytest.raises(EvidenceError, match=r"x\.001 is an E01 segment, but x\.000 is not"):
        image_info(tmp_path / "x.000")

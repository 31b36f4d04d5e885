"""A damaged E01 chunk is reported, never passed on silently (libewf substitutes data without a word)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence_intake.errors import IntegrityError
from evidence_intake.evidence.export import export_file
from evidence_intake.evidence.images import EwfImage, open_image
from tests.evidence.fakes import fake_case
from tests.evidence.imaging import make_fat, run

Tools = Callable[..., dict[str, str]]


def read_all(image: EwfImage) -> None:
    offset = 0
    while offset < image.size:
        offset += len(image.read_at(offset, 1 << 20))


def ewf(tools: Tools, source: Path, target: Path, compression: str) -> Path:
    run(tools("ewfacquire")["ewfacquire"], "-u", "-q", "-c", compression, "-S", "1MiB", "-t", target, source)
    return target.with_suffix(".E01")


def test_corpus_image_checks_clean(corpus: Path) -> None:
    with open_image([corpus / "disk-images" / "ext2.E01"]) as image:
        assert isinstance(image, EwfImage)
        read_all(image)
        assert image.problems == [] and image.damaged_reads == 0


@pytest.mark.parametrize("compression", ["none", "deflate:fast"])
def test_damaged_chunk_is_reported(tools: Tools, tmp_path: Path, compression: str) -> None:
    source = tmp_path / "media.bin"
    source.write_bytes(b"".join(os.urandom(16384) + bytes(16384) for _ in range(128)))  # half compressible
    first = ewf(tools, source, tmp_path / "img", compression)
    with open_image([first]) as image:
        read_all(image)
        assert image.problems == []
    second = first.with_suffix(".E02")
    with second.open("r+b") as fh:  # damage the middle of the second segment's chunk data
        fh.seek(second.stat().st_size // 2)
        fh.write(b"\x00\xff" * 8)
    with open_image([first]) as image:
        assert isinstance(image, EwfImage)
        read_all(image)
        assert image.damaged_reads >= 1
        (problem,) = image.problems
        assert problem.kind == "corrupt" and problem.where == "img.E02"
        assert "media bytes" in problem.reason and "substitute" in problem.reason


def test_export_refuses_content_on_a_damaged_chunk(tools: Tools, tmp_path: Path) -> None:
    t = tools("mkfs.vfat", "mmd", "mcopy", "mdel")
    secret = b"".join(b"%06d seed words line\n" % i for i in range(2000))
    raw = make_fat(t, tmp_path / "card.img", files={"SEED.TXT": secret, "OTHER.TXT": b"fine"})
    first = ewf(tools, raw, tmp_path / "card", "none")
    data = first.read_bytes()
    at = data.index(b"001000 seed words line")  # stored as is: the chunks are not compressed
    with first.open("r+b") as fh:
        fh.seek(at)
        fh.write(b"X")
    case = fake_case(first, fmt="e01")
    assert export_file(case, "EX-001", "/OTHER.TXT", tmp_path / "out", examiner="x").size == 4
    with pytest.raises(IntegrityError, match="fail their checksum"):
        export_file(case, "EX-001", "/SEED.TXT", tmp_path / "out", examiner="x")
    assert not (tmp_path / "out" / "SEED.TXT").exists()
    assert len(case.recorded) == 1

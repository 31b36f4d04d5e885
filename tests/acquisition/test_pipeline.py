from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from evidence_intake.acquisition.base import ErrorRange
from evidence_intake.acquisition.hashing import MultiHasher
from evidence_intake.acquisition.pipeline import PassState, copy_and_hash
from evidence_intake.acquisition.raw import RawWriter
from evidence_intake.errors import ConflictError, UsageError
from tests.acquisition.faulty import FaultySource

BLOCK = 64 * 1024


def run(
    tmp_path: Path, source: FaultySource, *, split: int | None = None
) -> tuple[list[Path], dict[str, str], PassState]:
    writer = RawWriter(tmp_path / "img", split=split)
    state = PassState()
    with MultiHasher(("md5", "sha256")) as hasher:
        copy_and_hash(source, writer, hasher, state, block_size=BLOCK, retries=1)
        hashes = hasher.hexdigests()
    return writer.finish(hashes=hashes, error_map=state.errors), hashes, state


@pytest.mark.parametrize("size", [0, 1, 511, 512, BLOCK - 1, BLOCK, BLOCK + 1, 5 * BLOCK + 3])
def test_image_and_hashes_equal_the_source(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    paths, hashes, state = run(tmp_path, FaultySource(data, []))
    assert paths == [tmp_path / "img.raw"]
    assert paths[0].read_bytes() == data
    assert hashes == {"md5": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()}
    assert state.errors == [] and state.offset == size


@pytest.mark.parametrize("split", [512, 4096, BLOCK, BLOCK + 512, 3 * BLOCK])
def test_split_raw_reassembles_to_the_source(tmp_path: Path, split: int) -> None:
    data = os.urandom(3 * BLOCK + 1000)
    paths, hashes, _ = run(tmp_path, FaultySource(data, []), split=split)
    assert [p.name for p in paths] == [f"img.{i:03d}" for i in range(1, len(paths) + 1)]
    assert all(p.stat().st_size == split for p in paths[:-1])
    assert len(paths) == -(-len(data) // split)
    assert b"".join(p.read_bytes() for p in paths) == data
    assert hashes["sha256"] == hashlib.sha256(data).hexdigest()


def test_bad_sectors_are_zero_filled_and_mapped(tmp_path: Path) -> None:
    data = bytearray(os.urandom(4 * BLOCK))
    bad = [
        (BLOCK + 1024, 512),
        (BLOCK + 1536, 1024),
        (3 * BLOCK - 512, 1024),
    ]  # two adjacent, one across blocks
    paths, hashes, state = run(tmp_path, FaultySource(bytes(data), bad))
    expected = bytearray(data)
    for start, length in bad:
        expected[start : start + length] = bytes(length)
    image = paths[0].read_bytes()
    assert image == bytes(expected)
    assert state.errors == [ErrorRange(BLOCK + 1024, 1536), ErrorRange(3 * BLOCK - 512, 1024)]
    # the hashes cover the image as written, zeros included
    assert hashes["sha256"] == hashlib.sha256(bytes(expected)).hexdigest()


def test_a_sector_that_reads_on_retry_is_not_an_error(tmp_path: Path) -> None:
    data = os.urandom(2 * BLOCK)
    source = FaultySource(data, [(BLOCK + 512, 512)], flaky=1)
    paths, _, state = run(tmp_path, source)
    assert paths[0].read_bytes() == data
    assert state.errors == [] and state.retried_reads >= 1


def test_unreadable_last_partial_sector(tmp_path: Path) -> None:
    data = os.urandom(BLOCK + 700)
    paths, _, state = run(tmp_path, FaultySource(data, [(BLOCK + 512, 188)]))
    assert state.errors == [ErrorRange(BLOCK + 512, 188)]
    assert paths[0].read_bytes() == data[: BLOCK + 512] + bytes(188)


def test_split_smaller_than_a_sector_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="smaller than a sector"):
        RawWriter(tmp_path / "x", split=100)


def test_existing_image_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "img.raw").write_bytes(b"evidence")
    writer = RawWriter(tmp_path / "img")
    with pytest.raises(ConflictError):
        writer.write(b"new")
    assert (tmp_path / "img.raw").read_bytes() == b"evidence"


def test_resume_cuts_what_came_after_the_resume_point(tmp_path: Path) -> None:
    data = os.urandom(10_000)
    first = RawWriter(tmp_path / "img", split=4096)
    first.write(data[:9000])
    first.abort()
    writer = RawWriter.resume(tmp_path / "img", split=4096, offset=8192)
    writer.write(data[8192:])
    paths = writer.finish(hashes={}, error_map=[])
    assert b"".join(p.read_bytes() for p in paths) == data

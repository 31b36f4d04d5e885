from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from evidence_intake.acquisition.hashing import (
    BLOCK,
    MultiHasher,
    _lanes,
    hash_file,
    hash_files,
    parse_algorithms,
)
from evidence_intake.errors import UsageError

ALL = ("md5", "sha1", "sha256", "sha512", "blake2b")


def reference(data: bytes) -> dict[str, str]:
    return {a: hashlib.new(a, data).hexdigest() for a in ALL}


@pytest.mark.parametrize("size", [0, 1, 511, 512, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 7])
def test_file_hashes_equal_hashlib_for_every_size(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert hash_file(path, ALL) == reference(data)


def test_multihasher_with_one_lane_and_many(tmp_path: Path) -> None:
    data = os.urandom(3_000_001)
    for workers in (1, 2, 5):
        with MultiHasher(ALL, workers=workers) as h:
            for i in range(0, len(data), 65536):
                h.update(data[i : i + 65536])
            assert h.hexdigests() == reference(data)
            assert h.bytes_hashed == len(data)


def test_lanes_give_md5_a_lane_of_its_own_on_two_cores() -> None:
    lanes = _lanes(("md5", "sha1", "sha256"), 2)
    assert ["md5"] in lanes and sorted(a for lane in lanes for a in lane) == ["md5", "sha1", "sha256"]


def test_split_segments_hash_as_their_concatenation(tmp_path: Path) -> None:
    parts = [os.urandom(n) for n in (1000, 0, 4096)]
    paths = []
    for i, part in enumerate(parts):
        p = tmp_path / f"x.{i:03d}"
        p.write_bytes(part)
        paths.append(p)
    assert hash_files(paths, ("sha256",))["sha256"] == hashlib.sha256(b"".join(parts)).hexdigest()


def test_algorithm_names_are_checked() -> None:
    assert parse_algorithms("MD5, sha-256,sha1,md5") == ("md5", "sha256", "sha1")
    with pytest.raises(UsageError):
        parse_algorithms("crc32")
    with pytest.raises(UsageError):
        parse_algorithms(" , ")


def test_agrees_with_coreutils(tmp_path: Path, require_tool) -> None:
    sha256sum = require_tool("sha256sum", "coreutils")
    md5sum = require_tool("md5sum", "coreutils")
    path = tmp_path / "mixed.bin"
    path.write_bytes(os.urandom(100_000) + bytes(100_000) + b"text " * 10_000)
    ours = hash_file(path, ("md5", "sha256"))
    assert (
        subprocess.run([sha256sum, path], capture_output=True, text=True, check=True).stdout.split()[0]
        == ours["sha256"]
    )
    assert (
        subprocess.run([md5sum, path], capture_output=True, text=True, check=True).stdout.split()[0]
        == ours["md5"]
    )


def test_an_interrupted_wait_does_not_hang_the_drain() -> None:
    """Ctrl-C inside wait() leaves a token part-consumed; the pass's clean-up must still return."""
    import threading

    from evidence_intake.acquisition.hashing import MultiHasher

    data = os.urandom(1 << 20)
    with MultiHasher(("md5", "sha1", "sha256"), workers=2) as hasher:
        token = hasher.submit(data)
        token.acquire()  # as if wait() had taken one lane's release when the interrupt came
        finished = threading.Event()

        def clean_up() -> None:
            hasher.drain()
            finished.set()

        threading.Thread(target=clean_up, daemon=True).start()
        assert finished.wait(10), "drain() hung on a part-consumed token"
        hasher.raise_errors()
        assert hasher.hexdigests()["sha256"] == hashlib.sha256(data).hexdigest()

"""Every E01 the writer produces must be read back right by libewf (pyewf, ewfverify, ewfinfo) and TSK."""

from __future__ import annotations

import hashlib
import os
import random
import re
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pyewf
import pytest

from evidence_intake.acquisition import ewf_format as fmt
from evidence_intake.acquisition.base import ErrorRange
from evidence_intake.acquisition.ewf_writer import DEFAULT_SEGMENT_SIZE, EwfWriter
from evidence_intake.errors import ConflictError, EvidenceError, IntegrityError, UsageError
from evidence_intake.evidence.ewf_info import read_ewf_info, verify_ewf
from tests.acquisition.ewf_builders import CHUNK, digests, media, metadata, padded, sections, write_e01

Tool = Callable[..., str]

SIZES = [
    pytest.param(1, id="1-byte"),
    pytest.param(512, id="1-sector"),
    pytest.param(CHUNK - 512, id="chunk-minus-sector"),
    pytest.param(CHUNK, id="one-chunk"),
    pytest.param(CHUNK + 512, id="chunk-plus-sector"),
    pytest.param(5 * CHUNK + 3 * 512 + 100, id="partial-last-sector"),
    pytest.param(40 * CHUNK + 7 * 512, id="many-chunks"),
]


def pyewf_read(first: Path) -> tuple[bytes, dict[str, str], str | None]:
    handle = pyewf.handle()
    handle.open(pyewf.glob(str(first)))
    try:
        data = handle.read(handle.get_media_size())
        return data, handle.get_header_values(), handle.get_hash_value("MD5")
    finally:
        handle.close()


def ewfverify(tool: str, first: Path) -> str:
    run = subprocess.run([tool, "-q", str(first)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ewfverify: SUCCESS" in run.stdout
    return run.stdout


def ewfinfo(tool: str, first: Path) -> dict[str, str]:
    run = subprocess.run([tool, str(first)], capture_output=True, text=True, check=True)
    values = {}
    for line in run.stdout.splitlines():
        m = re.match(r"^\t([^:\t][^:]*):\t+(.*)$", line)
        if m:
            values[m.group(1).strip()] = m.group(2).strip()
    values["_text"] = run.stdout
    return values


@pytest.mark.parametrize("compression", ["none", "fast", "best"])
@pytest.mark.parametrize("size", SIZES)
def test_written_image_is_read_right_by_libewf(
    tmp_path: Path, require_tool: Tool, size: int, compression: str
) -> None:
    verify_tool = require_tool("ewfverify", "ewf-tools")
    info_tool = require_tool("ewfinfo", "ewf-tools")
    data = media(size, seed=size)
    writer = write_e01(tmp_path / "EX-001", data, compression=compression)
    first = tmp_path / "EX-001.E01"
    assert writer.paths == [first]

    read, values, stored_md5 = pyewf_read(first)
    assert read == padded(data)  # E01 counts whole sectors: a partial last sector is zero-padded
    assert stored_md5 == hashlib.md5(padded(data)).hexdigest()
    assert writer.image_media_size == len(padded(data))
    assert writer.stored_hashes == {k: v for k, v in digests(padded(data)).items() if k != "sha256"}
    assert values["case_number"] == "TCSD 123/2568"
    assert values["evidence_number"] == "EX-001"

    out = ewfverify(verify_tool, first)
    assert f"MD5 hash stored in file:\t\t{stored_md5}" in out
    info = ewfinfo(info_tool, first)
    assert info["File format"] == "EnCase 6"
    assert info["Case number"] == "TCSD 123/2568"
    assert info["Evidence number"] == "EX-001"
    assert info["Examiner name"] == "Pol.Lt. Somchai"
    assert info["Description"] == "Samsung Galaxy A51, seized in room 12"
    assert info["Notes"] == "screen cracked; powered off at seizure"
    assert info["Model"] == "SM-A515F"
    assert info["Serial number"] == "R58N12345XY"
    assert info["Media size"].endswith(f"({len(padded(data))} bytes)")
    assert info["SHA1"] == hashlib.sha1(padded(data)).hexdigest()
    expected_level = {"none": "no compression", "fast": "good (fast) compression", "best": "best compression"}
    assert info["Compression level"] == expected_level[compression]

    ours = verify_ewf(first, source_size=len(data))
    assert ours.status == "verified" and ours.ok
    assert ours.computed["sha256"] == hashlib.sha256(padded(data)).hexdigest()
    if len(data) % 512:
        assert ours.source_hashes == digests(data)
        assert ours.padding_is_zero is True
    else:
        assert ours.source_hashes is None


@pytest.mark.parametrize("compression", ["none", "fast", "best"])
@pytest.mark.parametrize("known_size", [True, False], ids=["known-size", "streamed"])
def test_several_segments(tmp_path: Path, require_tool: Tool, compression: str, known_size: bool) -> None:
    verify_tool = require_tool("ewfverify", "ewf-tools")
    rng = random.Random(7)
    data = rng.randbytes(3 * 1024 * 1024 + 5 * 512) + media(600 * 1024)
    writer = write_e01(
        tmp_path / "img",
        data,
        known_size=known_size,
        compression=compression,
        segment_size=1024 * 1024,
        block=65536 + 3,
    )
    paths = writer.paths
    assert [p.name for p in paths] == [f"img.E0{i}" for i in range(1, len(paths) + 1)]
    assert len(paths) >= 4
    assert all(p.stat().st_size <= 1024 * 1024 for p in paths)
    # The SHA-256 of each segment is of the file as it ends, also where the volume was patched.
    assert writer.segment_hashes() == [(p, hashlib.sha256(p.read_bytes()).hexdigest()) for p in paths]
    names = [[s.type for s in sections(p)] for p in paths]
    assert names[0][:5] == ["header2", "header2", "header", "volume", "sectors"]
    assert names[0][-1] == "next" and names[-1][-4:] == ["table2", "digest", "hash", "done"]
    assert all(n[0] == "data" for n in names[1:])
    read, _, md5 = pyewf_read(paths[0])
    assert read == data and md5 == hashlib.md5(data).hexdigest()
    ewfverify(verify_tool, paths[0])
    info = read_ewf_info(paths[0])
    assert info.chunk_count == -(-len(data) // CHUNK)
    assert [s.path for s in info.segments] == paths


@pytest.mark.slow
def test_segment_names_go_past_e99(tmp_path: Path, require_tool: Tool) -> None:
    verify_tool = require_tool("ewfverify", "ewf-tools")
    data = random.Random(3).randbytes(101 * 1000 * 1024)
    writer = write_e01(tmp_path / "big", data, segment_size=1024 * 1024, block=1024 * 1024)
    names = [p.name for p in writer.paths]
    assert names[98:101] == ["big.E99", "big.EAA", "big.EAB"]
    ewfverify(verify_tool, writer.paths[0])
    assert read_ewf_info(writer.paths[0]).segments[-1].path == writer.paths[-1]


def test_acquisition_errors_are_listed(tmp_path: Path, require_tool: Tool) -> None:
    info_tool = require_tool("ewfinfo", "ewf-tools")
    verify_tool = require_tool("ewfverify", "ewf-tools")
    data = media(20 * CHUNK)
    errors = [ErrorRange(4096, 1024), ErrorRange(10 * CHUNK + 100, 3000)]
    write_e01(tmp_path / "bad", data, error_map=errors)
    first = tmp_path / "bad.E01"
    text = ewfinfo(info_tool, first)["_text"]
    assert "Read errors during acquiry" in text
    assert "at sector(s): 8 - 9 number: 2" in text
    first_bad = (10 * CHUNK + 100) // 512
    assert f"at sector(s): {first_bad} - {first_bad + 6} number: 7" in text
    ewfverify(verify_tool, first)
    info = read_ewf_info(first)
    assert info.errors == [ErrorRange(4096, 1024), ErrorRange(first_bad * 512, 7 * 512)]
    assert "error2" in [s.type for s in sections(first)]


def test_tsk_lists_an_ext4_e01_as_its_raw_source(tmp_path: Path, require_tool: Tool) -> None:
    fls = require_tool("fls", "sleuthkit")
    mkfs = require_tool("mkfs.ext4", "e2fsprogs")
    tree = tmp_path / "tree"
    (tree / "data" / "data" / "jp.naver.line.android" / "databases").mkdir(parents=True)
    (tree / "data" / "data" / "jp.naver.line.android" / "databases" / "naver_line").write_bytes(
        b"SQLite format 3\0" + bytes(4080)
    )
    (tree / "DCIM").mkdir()
    for i in range(20):
        (tree / "DCIM" / f"IMG_{i:04d}.jpg").write_bytes(random.Random(i).randbytes(5000 + 1000 * i))
    (tree / "notes.txt").write_text("โอนเงิน USDT ไปที่ TRON wallet\n" * 200, encoding="utf-8")
    os.symlink("notes.txt", tree / "link-to-notes")
    raw = tmp_path / "fs.raw"
    with open(raw, "wb") as f:
        f.truncate(8 * 1024 * 1024)
    subprocess.run([mkfs, "-q", "-F", "-d", str(tree), str(raw)], check=True, capture_output=True)
    write_e01(tmp_path / "fs", raw.read_bytes(), block=1024 * 1024)
    from_raw = subprocess.run([fls, "-r", "-p", str(raw)], capture_output=True, text=True, check=True).stdout
    from_e01 = subprocess.run(
        [fls, "-r", "-p", "-i", "ewf", str(tmp_path / "fs.E01")], capture_output=True, text=True, check=True
    ).stdout
    assert "naver_line" in from_raw and "DCIM/IMG_0019.jpg" in from_raw
    assert from_e01 == from_raw


def test_header_values_as_stored(tmp_path: Path) -> None:
    meta = metadata(
        examiner="ร.ต.อ. สมชาย ใจดี",
        notes="line one\nline two\twith tab",
        software="evidence-intake 0.1.0-very-long-version",
        operating_system="Linux 6.1 x86_64 Debian GNU/Linux 12 (bookworm)",
    )
    write_e01(tmp_path / "h", media(CHUNK), meta=meta)
    info = read_ewf_info(tmp_path / "h.E01")
    assert info.examiner == "ร.ต.อ. สมชาย ใจดี"  # header2 is UTF-16: Thai survives
    assert info.notes == "line one line two with tab"  # EWF values hold no tab or line break
    assert info.software_version == "0.1.0-very-"  # EnCase keeps 11 characters of the version
    assert info.operating_system == "Linux 6.1 x86_64 Debian"  # and 23 of the platform
    assert info.acquired_at is not None and info.acquired_at.isoformat() == "2025-03-14T02:30:00+00:00"
    assert info.acquired_at_raw == str(int(info.acquired_at.timestamp()))
    assert info.format_name == "EnCase 6"
    assert info.set_identifier is not None
    raw = (tmp_path / "h.E01").read_bytes()
    header = next(s for s in sections(tmp_path / "h.E01") if s.type == "header")
    text = zlib.decompress(raw[header.data_offset : header.end]).decode("ascii")
    assert "2025 3 14 2 30 0" in text  # the ASCII header's date, in UTC
    assert "?" in text  # Thai cannot be written in the ASCII header; header2 keeps it


def test_input_buffers_may_be_reused_by_the_caller(tmp_path: Path) -> None:
    data = media(9 * CHUNK + 1000)
    writer = EwfWriter(tmp_path / "b", metadata=metadata(), media_size=len(data), workers=2)
    buffer = bytearray(7777)
    view = memoryview(buffer)
    for i in range(0, len(data), len(buffer)):
        part = data[i : i + len(buffer)]
        buffer[: len(part)] = part
        writer.write(view[: len(part)])
        buffer[:] = b"\xaa" * len(buffer)  # the caller refills its buffer at once
    writer.finish(hashes=digests(data), error_map=[])
    assert pyewf_read(tmp_path / "b.E01")[0] == padded(data)


def test_one_worker_and_many_write_the_same_chunks(tmp_path: Path) -> None:
    data = media(30 * CHUNK)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = write_e01(tmp_path / "a" / "x", data, workers=1)
    many = write_e01(tmp_path / "b" / "x", data, workers=4)
    a, b = one.paths[0].read_bytes(), many.paths[0].read_bytes()
    # Same layout and chunks; only the set identifier (and checksums over it) differ.
    assert len(a) == len(b)
    sa, sb = sections(one.paths[0]), sections(many.paths[0])
    assert [(s.type, s.offset, s.size) for s in sa] == [(s.type, s.offset, s.size) for s in sb]
    sectors = next(s for s in sa if s.type == "sectors")
    assert a[sectors.offset : sectors.end] == b[sectors.offset : sectors.end]


def test_zero_and_random_chunks_take_their_fast_paths(tmp_path: Path) -> None:
    rng = random.Random(5)
    data = bytes(CHUNK) + rng.randbytes(CHUNK) + b"text " * (CHUNK // 5) + b"tex"
    write_e01(tmp_path / "p", data)
    first = tmp_path / "p.E01"
    raw = first.read_bytes()
    table = next(s for s in sections(first) if s.type == "table")
    base, entries = fmt.parse_table(raw[table.data_offset : table.end], table.data_offset)
    flags = [bool(e & fmt.COMPRESSED_FLAG) for e in entries]
    assert flags == [True, False, True]  # zero chunk compressed, random stored raw, text compressed
    starts = [base + (e & fmt.OFFSET_MASK) for e in entries]
    assert starts[2] - starts[1] == CHUNK + 4  # raw chunk plus its Adler-32


def test_refusals(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="0 bytes"):
        EwfWriter(tmp_path / "z", metadata=metadata(), media_size=0)
    with pytest.raises(UsageError, match="compression"):
        EwfWriter(tmp_path / "z", metadata=metadata(), compression="turbo")
    with pytest.raises(UsageError, match="too small"):
        EwfWriter(tmp_path / "z", metadata=metadata(), segment_size=500_000)
    with pytest.raises(UsageError, match="chunk size"):
        EwfWriter(tmp_path / "z", metadata=metadata(), chunk_sectors=100)
    with pytest.raises(UsageError, match="media type"):
        EwfWriter(tmp_path / "z", metadata=metadata(media_type="floppy"))
    with pytest.raises(UsageError, match="more than 14,971"):
        EwfWriter(tmp_path / "z", metadata=metadata(), media_size=2**44, segment_size=1024 * 1024)
    assert not list(tmp_path.iterdir())

    (tmp_path / "taken.E02").write_bytes(b"x")
    with pytest.raises(ConflictError, match=r"taken\.E02 already exists"):
        EwfWriter(tmp_path / "taken", metadata=metadata())
    assert not (tmp_path / "taken.E01").exists()

    writer = EwfWriter(tmp_path / "h", metadata=metadata(), media_size=512)
    writer.write(bytes(512))
    with pytest.raises(UsageError, match="SHA1"):
        writer.finish(hashes={"md5": hashlib.md5(bytes(512)).hexdigest()}, error_map=[])
    writer.finish(hashes=digests(bytes(512)), error_map=[])
    with pytest.raises(UsageError, match="finished"):
        writer.write(b"more")


def test_empty_stream_is_refused_at_finish(tmp_path: Path) -> None:
    writer = EwfWriter(tmp_path / "e", metadata=metadata())
    with pytest.raises(EvidenceError, match="0 bytes"):
        writer.finish(hashes=digests(b""), error_map=[])
    assert writer.paths == [tmp_path / "e.E01"]  # left as it is, to be recorded as incomplete


def test_hashes_that_do_not_match_a_streamed_image_are_refused(tmp_path: Path) -> None:
    writer = EwfWriter(tmp_path / "s", metadata=metadata(), media_size=None)
    writer.write(media(3 * CHUNK))
    with pytest.raises(IntegrityError, match="do not match"):
        writer.finish(hashes=digests(b"something else"), error_map=[])


def test_abort_leaves_an_incomplete_image(tmp_path: Path) -> None:
    writer = EwfWriter(tmp_path / "i", metadata=metadata(), media_size=100 * CHUNK)
    writer.write(media(40 * CHUNK))
    writer.abort()
    writer.abort()
    assert writer.bytes_accepted == 40 * CHUNK
    with pytest.raises(EvidenceError, match="without a 'done' or 'next' section"):
        read_ewf_info(tmp_path / "i.E01")


def test_default_segment_size_is_libewfs() -> None:
    assert DEFAULT_SEGMENT_SIZE == 1500 * 1024 * 1024
    assert EwfWriter.resumable is False
    assert EwfWriter.required_hashes == frozenset({"md5", "sha1"})


def test_runs_of_random_chunks_are_sampled_not_deflated(monkeypatch: pytest.MonkeyPatch) -> None:
    from evidence_intake.acquisition import ewf_chunks

    rng = random.Random(9)
    chunks = [rng.randbytes(CHUNK), rng.randbytes(CHUNK), rng.randbytes(CHUNK // 2) + bytes(CHUNK // 2)]
    chunks += [rng.randbytes(CHUNK), b"chat log " * (CHUNK // 9) + b"12345", bytes(CHUNK)]
    deflated: list[int] = []
    real = ewf_chunks.compress

    def counting(data: bytes, level: int) -> bytes:
        deflated.append(len(data))
        return real(data, level)

    monkeypatch.setattr(ewf_chunks, "compress", counting)
    zero = bytes(CHUNK)
    packed = ewf_chunks.pack_batch(chunks, 1, zero, real(zero, 1))
    assert [compressed for _, compressed in packed] == [False, False, True, False, True, True]
    # Deflated: the first random chunk (nothing known yet), the half-zero one (its samples shrink),
    # the random one after it, and the text; the second random chunk was only sampled.
    assert len(deflated) == 4
    for original, (stored, compressed) in zip(chunks, packed, strict=True):
        restored = zlib.decompress(stored) if compressed else stored[:-4]
        assert restored == original


@pytest.mark.parametrize("written", [7 * CHUNK, 12 * CHUNK + 1024], ids=["fewer", "more"])
def test_announced_size_that_turns_out_wrong(tmp_path: Path, require_tool: Tool, written: int) -> None:
    verify_tool = require_tool("ewfverify", "ewf-tools")
    data = media(written)
    writer = EwfWriter(tmp_path / "w", metadata=metadata(), media_size=10 * CHUNK, segment_size=1024 * 1024)
    writer.write(data)
    writer.finish(hashes=digests(data), error_map=[])
    info = read_ewf_info(tmp_path / "w.E01")
    assert info.media_size == written  # the volume section was patched with what was really written
    assert writer.segment_hashes() == [(p, hashlib.sha256(p.read_bytes()).hexdigest()) for p in writer.paths]
    ewfverify(verify_tool, tmp_path / "w.E01")


def test_announced_size_with_partial_sector_that_turns_out_wrong(tmp_path: Path) -> None:
    writer = EwfWriter(tmp_path / "p", metadata=metadata(), media_size=4 * CHUNK)
    writer.write(media(3 * CHUNK + 5))
    with pytest.raises(UsageError, match="last sector is partial"):
        writer.finish(hashes=digests(media(3 * CHUNK + 5)), error_map=[])


def test_several_sector_runs_in_one_segment(tmp_path: Path, require_tool: Tool) -> None:
    verify_tool = require_tool("ewfverify", "ewf-tools")
    img_stat = require_tool("img_stat", "sleuthkit")
    data = random.Random(21).randbytes(20 * 1024 * 1024) + media(2 * 1024 * 1024)
    writer = write_e01(tmp_path / "runs", data, block=1 << 20)
    kinds = [s.type for s in sections(writer.paths[0])]
    assert len(writer.paths) == 1 and kinds.count("sectors") == 3 and kinds.count("table2") == 3
    read, _, md5 = pyewf_read(writer.paths[0])
    assert read == data and md5 == hashlib.md5(data).hexdigest()
    ewfverify(verify_tool, writer.paths[0])
    stat = subprocess.run([img_stat, "-i", "ewf", str(writer.paths[0])], capture_output=True, text=True)
    assert f"Size of data in bytes:\t{len(data)}" in stat.stdout
    assert hashlib.md5(data).hexdigest() in stat.stdout

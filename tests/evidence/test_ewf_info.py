"""Reading E01 metadata and verifying E01 media: real images, our images, and damaged ones."""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence_intake.acquisition import ewf_format as fmt
from evidence_intake.acquisition.base import ErrorRange
from evidence_intake.errors import EvidenceError, NotFoundError
from evidence_intake.evidence.ewf_info import read_ewf_info, verify_ewf
from tests.acquisition.ewf_builders import CHUNK, digests, media, padded, sections, write_e01

Tool = Callable[..., str]
EXT2_MD5 = "196066add11fb71c4c49cf1bb50d6d24"


def test_corpus_ext2_e01(corpus: Path) -> None:
    image = corpus / "disk-images" / "ext2.E01"
    info = read_ewf_info(image, segment_hashes=True)
    assert info.format_name == "EnCase 6"
    assert (info.case_number, info.evidence_number, info.examiner) == ("case", "evidence", "examiner")
    assert (info.description, info.notes) == ("description", "notes")
    assert (info.sector_count, info.bytes_per_sector, info.media_size) == (8192, 512, 4 * 1024 * 1024)
    assert info.md5 == EXT2_MD5 and info.sha1 is None
    assert info.compression == "best" and info.physical is False
    assert info.errors == [] and info.set_identifier is None  # libewf 20140813 leaves the GUID at zero
    assert info.acquired_at is not None and info.acquired_at.year == 2021
    assert len(info.segments) == 1 and info.segments[0].sha256 is not None
    result = verify_ewf(image)
    assert result.status == "verified" and result.ok
    assert result.computed["md5"] == EXT2_MD5
    assert result.stored == {"md5": EXT2_MD5}


def _mixed_image(tmp_path: Path, name: str = "img", **options: object) -> tuple[list[Path], bytes]:
    data = random.Random(11).randbytes(2 * 1024 * 1024) + media(1024 * 1024)
    writer = write_e01(tmp_path / name, data, segment_size=1024 * 1024, **options)  # type: ignore[arg-type]
    return writer.paths, data


def test_verify_reports_progress_and_all_hashes(tmp_path: Path) -> None:
    paths, data = _mixed_image(tmp_path)
    seen: list[tuple[int, int]] = []
    result = verify_ewf(paths[0], progress=lambda done, total: seen.append((done, total)))
    assert result.ok
    assert result.computed == digests(data)
    assert seen[-1] == (len(data), len(data))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_truncated_segment(tmp_path: Path) -> None:
    paths, _ = _mixed_image(tmp_path)
    last = paths[-1]
    size = last.stat().st_size
    with open(last, "r+b") as f:
        f.truncate(size // 2)
    with pytest.raises(EvidenceError) as caught:
        read_ewf_info(paths[0])
    message = caught.value.message
    assert message.startswith(f"{last.name} at offset ")
    assert "truncated" in message and f"ends at {size // 2:,}" in message
    assert caught.value.path == str(last)


def test_corrupted_compressed_chunk_is_named(tmp_path: Path, require_tool: Tool) -> None:
    data = media(24 * CHUNK)  # zeros, text, random, half-random in turn
    write_e01(tmp_path / "c", data)
    first = tmp_path / "c.E01"
    raw = bytearray(first.read_bytes())
    table = next(s for s in sections(first) if s.type == "table")
    base, entries = fmt.parse_table(bytes(raw[table.data_offset : table.end]), table.data_offset)
    chunk = 5  # a text chunk: compressed
    assert entries[chunk] & fmt.COMPRESSED_FLAG
    start = base + (entries[chunk] & fmt.OFFSET_MASK)
    raw[start + 40] ^= 0xFF
    first.write_bytes(bytes(raw))

    result = verify_ewf(first)
    assert result.status == "mismatch" and not result.ok
    assert len(result.bad_chunks) == 1
    bad = result.bad_chunks[0]
    assert (bad.segment, bad.chunk, bad.media_offset, bad.file_offset) == (first, 5, 5 * CHUNK, start)
    assert "inflate" in bad.reason
    verify_tool = require_tool("ewfverify", "ewf-tools")
    assert subprocess.run([verify_tool, "-q", str(first)], capture_output=True, check=False).returncode != 0


def test_corrupted_raw_chunk_fails_its_adler32(tmp_path: Path) -> None:
    data = media(8 * CHUNK)
    write_e01(tmp_path / "r", data, compression="none")
    first = tmp_path / "r.E01"
    raw = bytearray(first.read_bytes())
    table = next(s for s in sections(first) if s.type == "table")
    base, entries = fmt.parse_table(bytes(raw[table.data_offset : table.end]), table.data_offset)
    start = base + (entries[6] & fmt.OFFSET_MASK)
    raw[start + 1000] ^= 0x01
    first.write_bytes(bytes(raw))
    result = verify_ewf(first)
    assert [(b.chunk, b.media_offset) for b in result.bad_chunks] == [(6, 6 * CHUNK)]
    assert "Adler-32" in result.bad_chunks[0].reason
    assert result.status == "mismatch"


def test_damaged_table_falls_back_to_table2(tmp_path: Path) -> None:
    data = media(8 * CHUNK)
    write_e01(tmp_path / "t", data)
    first = tmp_path / "t.E01"
    raw = bytearray(first.read_bytes())
    table = next(s for s in sections(first) if s.type == "table")
    raw[table.data_offset + fmt.TABLE_HEADER_SIZE + 4] ^= 0x10  # second entry
    first.write_bytes(bytes(raw))
    assert verify_ewf(first).ok


def test_damaged_section_descriptor_is_named(tmp_path: Path) -> None:
    write_e01(tmp_path / "d", media(4 * CHUNK))
    first = tmp_path / "d.E01"
    raw = bytearray(first.read_bytes())
    volume = next(s for s in sections(first) if s.type == "volume")
    raw[volume.offset + 20] ^= 0x01  # inside the next-offset field
    first.write_bytes(bytes(raw))
    with pytest.raises(
        EvidenceError, match=rf"d\.E01 at offset {volume.offset:,}: section descriptor checksum"
    ):
        read_ewf_info(first)


def test_missing_middle_segment(tmp_path: Path) -> None:
    paths, _ = _mixed_image(tmp_path)
    paths[1].unlink()
    with pytest.raises(EvidenceError, match=r"segment img\.E02 of image img\.E01 is missing") as caught:
        verify_ewf(paths[0])
    assert caught.value.path == str(paths[1])


def test_missing_last_segment(tmp_path: Path) -> None:
    paths, _ = _mixed_image(tmp_path)
    paths[-1].unlink()
    missing = paths[-1].name
    with pytest.raises(EvidenceError, match=rf"segment {missing} of image img\.E01 is missing") as caught:
        read_ewf_info(paths[0])
    assert "'next' section" in caught.value.message


def test_segment_swapped_in_from_another_image(tmp_path: Path) -> None:
    paths, _ = _mixed_image(tmp_path)
    (tmp_path / "other").mkdir()
    other, _ = _mixed_image(tmp_path / "other")  # same data and geometry, another acquisition
    shutil.copyfile(other[1], paths[1])
    with pytest.raises(
        EvidenceError, match=r"img\.E02 at offset 13: this segment belongs to another image"
    ) as c:
        read_ewf_info(paths[0])
    assert "set identifier" in c.value.message


def test_renamed_segment(tmp_path: Path) -> None:
    paths, _ = _mixed_image(tmp_path)
    paths[1].unlink()
    paths[2].rename(paths[1])  # E03 now sits where E02 should be
    with pytest.raises(EvidenceError, match=r"img\.E02 at offset 9: its header says it is segment 3"):
        read_ewf_info(paths[0])


def test_image_of_another_tool_finished_twice(tmp_path: Path) -> None:
    write_e01(tmp_path / "x", media(2 * CHUNK))
    shutil.copyfile(tmp_path / "x.E01", tmp_path / "x.E02")
    with pytest.raises(EvidenceError, match=r"x\.E02 does not belong to image x\.E01"):
        read_ewf_info(tmp_path / "x.E01")


def test_not_an_e01(tmp_path: Path) -> None:
    fake = tmp_path / "fake.E01"
    fake.write_bytes(b"MZ" + bytes(100))
    with pytest.raises(EvidenceError, match=r"fake\.E01 at offset 0: not an EWF-E01 segment"):
        read_ewf_info(fake)
    with pytest.raises(NotFoundError):
        read_ewf_info(tmp_path / "absent.E01")


def _strip_hash_sections(first: Path) -> None:
    """Rewrite the image as a writer that stores no hash would have: digest and hash replaced by done."""
    found = sections(first)
    cut = next(s.offset for s in found if s.type in ("digest", "hash"))
    raw = first.read_bytes()[:cut]
    first.write_bytes(raw + fmt.pack_descriptor("done", cut, 0))


def test_image_without_stored_hash_is_not_verified(tmp_path: Path, require_tool: Tool) -> None:
    data = media(6 * CHUNK)
    write_e01(tmp_path / "n", data)
    first = tmp_path / "n.E01"
    _strip_hash_sections(first)
    verify_tool = require_tool("ewfverify", "ewf-tools")
    libewf = subprocess.run([verify_tool, "-q", str(first)], capture_output=True, text=True, check=False)
    assert "ewfverify: SUCCESS" in libewf.stdout  # libewf calls this a success: it compared nothing
    info = read_ewf_info(first)
    assert info.md5 is None and info.sha1 is None
    result = verify_ewf(first)
    assert result.status == "no stored hash" and not result.ok
    assert result.computed == digests(data)  # still computed, for the ledger to compare with


def test_hash_section_disagreeing_with_media(tmp_path: Path) -> None:
    data = media(6 * CHUNK)
    write_e01(tmp_path / "m", data)
    first = tmp_path / "m.E01"
    raw = bytearray(first.read_bytes())
    digest = next(s for s in sections(first) if s.type == "digest")
    hash_section = next(s for s in sections(first) if s.type == "hash")
    wrong = bytes(16 * [0x11])
    raw[digest.data_offset : digest.end] = fmt.pack_digest(wrong, bytes.fromhex(digests(data)["sha1"]))
    raw[hash_section.data_offset : hash_section.end] = fmt.pack_hash(wrong)
    first.write_bytes(bytes(raw))
    result = verify_ewf(first)
    assert result.status == "mismatch"
    assert result.bad_chunks == []
    assert result.stored["md5"] == wrong.hex() and result.computed["md5"] == digests(data)["md5"]


def test_error_ranges_and_padding_reported(tmp_path: Path) -> None:
    data = media(3 * CHUNK + 700)
    write_e01(tmp_path / "e", data, error_map=[ErrorRange(512, 512)])
    info = read_ewf_info(tmp_path / "e.E01")
    assert info.errors == [ErrorRange(512, 512)]
    assert info.media_size == len(padded(data))
    result = verify_ewf(tmp_path / "e.E01", source_size=len(data))
    assert result.source_size == len(data)
    assert result.source_hashes == digests(data)
    assert result.computed == digests(padded(data))


def test_table_entry_pointing_outside_is_named(tmp_path: Path) -> None:
    write_e01(tmp_path / "o", media(4 * CHUNK))
    first = tmp_path / "o.E01"
    raw = bytearray(first.read_bytes())
    for table in (s for s in sections(first) if s.type in ("table", "table2")):
        base, entries = fmt.parse_table(bytes(raw[table.data_offset : table.end]), table.data_offset)
        changed = list(entries)
        changed[1] = changed[2]
        raw[table.data_offset : table.end] = fmt.pack_table(changed, base)
    first.write_bytes(bytes(raw))
    with pytest.raises(EvidenceError, match="table entry 1 points to offset"):
        read_ewf_info(first)


def test_volume_count_disagreeing_with_tables(tmp_path: Path) -> None:
    write_e01(tmp_path / "v", media(4 * CHUNK))
    first = tmp_path / "v.E01"
    raw = bytearray(first.read_bytes())
    for s in sections(first):
        if s.type in ("volume", "data"):
            vol = fmt.VolumeInfo.unpack(bytes(raw[s.data_offset : s.end]), 0)
            body = bytearray(raw[s.data_offset : s.end])
            struct.pack_into("<I", body, 4, vol.chunk_count + 1)
            changed = fmt.VolumeInfo.unpack(bytes(body[:-4]) + struct.pack("<I", fmt.adler32(body[:-4])), 0)
            raw[s.data_offset : s.end] = changed.pack()
    first.write_bytes(bytes(raw))
    with pytest.raises(EvidenceError, match="the tables list 4 chunks but the volume section says 5"):
        read_ewf_info(first)

"""Byte layout of EWF-E01 (EnCase 6 style) segment files, shared by the writer and the reader.

Facts come from libyal's "Expert Witness Compression Format (EWF)" working document and from
dissecting files written by libewf's ``ewfacquire -f encase6`` on the reference machine. Everything
is little-endian. Every structure carries an Adler-32 checksum; the parsers here check it and raise
``EwfFormatError`` with the offset, which the reader turns into an EvidenceError naming the file.

A segment file is a 13-byte file header followed by sections. Each section starts with a 76-byte
descriptor (type, absolute offset of the next section, size including the descriptor, checksum).
The last section of a segment is ``next`` (more segments follow) or ``done`` (the last segment);
both point to themselves and have size 0.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from isal import isal_zlib

EVF_SIGNATURE = b"EVF\x09\x0d\x0a\xff\x00"
LVF_SIGNATURE = b"LVF\x09\x0d\x0a\xff\x00"
FILE_HEADER_SIZE = 13
DESCRIPTOR_SIZE = 76
VOLUME_DATA_SIZE = 1052  # EnCase/FTK/linen layout of the volume and data sections
TABLE_HEADER_SIZE = 24
ERROR2_HEADER_SIZE = 520
DIGEST_DATA_SIZE = 80
HASH_DATA_SIZE = 36
COMPRESSED_FLAG = 0x80000000
OFFSET_MASK = 0x7FFFFFFF
MAX_TABLE_ENTRIES = 65534  # EnCase 6 and later; EnCase 5 and FTK 1 stop at 16,375
MAX_SECTOR_NUMBER_32 = 0xFFFFFFFF

# Media type byte of the volume section.
MEDIA_TYPES: dict[str, int] = {"removable": 0x00, "fixed": 0x01, "optical": 0x03, "memory": 0x10}
MEDIA_TYPE_NAMES: dict[int, str] = {v: k for k, v in MEDIA_TYPES.items()} | {0x0E: "logical"}
MEDIA_FLAG_IMAGE = 0x01
MEDIA_FLAG_PHYSICAL = 0x02

# Compression level byte of the volume section, and the deflate level the writer uses for each:
# "fast" is ISA-L level 1 (about four times faster than zlib level 1, and smaller), "best" is zlib 9.
COMPRESSION_LEVELS: dict[str, int] = {"none": 0, "fast": 1, "best": 2}
COMPRESSION_NAMES: dict[int, str] = {v: k for k, v in COMPRESSION_LEVELS.items()}
ZLIB_LEVELS: dict[str, int] = {"none": 0, "fast": 1, "best": 9}

# Keys of the header2 "main" category as EnCase 6 (and ewfacquire -f encase6) write them.
HEADER2_KEYS = ("a", "c", "n", "e", "t", "md", "sn", "av", "ov", "m", "u", "p", "dc")
# Keys of the ASCII header section of EnCase 4 to 7.
HEADER_KEYS = ("c", "n", "a", "e", "t", "av", "ov", "m", "u", "p")
# EnCase limits (characters, without the terminating NUL): version 11, platform 23, others 2,999.
VALUE_LIMITS: dict[str, int] = {"av": 11, "ov": 23}
DEFAULT_VALUE_LIMIT = 2999


class EwfFormatError(ValueError):
    """A structure does not parse or its checksum fails; ``offset`` is where, in the segment file."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def adler32(data: bytes | bytearray | memoryview) -> int:
    """Adler-32 through ISA-L (several times faster than zlib's on chunk-sized data)."""
    return isal_zlib.adler32(data) & 0xFFFFFFFF


def _with_checksum(body: bytes) -> bytes:
    return body + struct.pack("<I", adler32(body))


def _check(body: bytes | memoryview, stored: int, what: str, offset: int) -> None:
    actual = adler32(body)
    if actual != stored:
        raise EwfFormatError(
            f"{what} checksum fails (stored {stored:08x}, computed {actual:08x})",
            offset,
        )


# ---------------------------------------------------------------------------------------------- file header


def pack_file_header(segment_number: int) -> bytes:
    if not 1 <= segment_number <= 0xFFFF:
        raise ValueError(f"EWF segment number out of range: {segment_number}")
    return EVF_SIGNATURE + struct.pack("<BHH", 1, segment_number, 0)


def parse_file_header(data: bytes) -> int:
    """The segment number of an E01 segment file; EwfFormatError when it is not one."""
    if len(data) < FILE_HEADER_SIZE:
        raise EwfFormatError("file is shorter than an EWF file header (13 bytes)", 0)
    signature = data[:8]
    if signature == LVF_SIGNATURE:
        raise EwfFormatError("this is an EWF-L01 logical evidence file, not a media image", 0)
    if signature != EVF_SIGNATURE:
        raise EwfFormatError("no EWF signature (EVF) at the start of the file", 0)
    start, number, end = struct.unpack("<BHH", data[8:13])
    if start != 1 or number == 0:
        raise EwfFormatError(f"malformed EWF file header (fields {start}, {number}, {end})", 8)
    return int(number)


# ---------------------------------------------------------------------------------------------- descriptors


@dataclass(frozen=True, slots=True)
class Section:
    """One section descriptor as found in a segment file."""

    type: str
    offset: int  # of the descriptor, from the start of the segment file
    next_offset: int
    size: int  # including the 76-byte descriptor; 0 for next and done

    @property
    def data_offset(self) -> int:
        return self.offset + DESCRIPTOR_SIZE

    @property
    def data_size(self) -> int:
        return max(0, self.size - DESCRIPTOR_SIZE)

    @property
    def end(self) -> int:
        return self.offset + max(self.size, DESCRIPTOR_SIZE)


def pack_descriptor(section_type: str, offset: int, size: int) -> bytes:
    """A descriptor at ``offset`` whose section is ``size`` bytes long (descriptor included).

    ``next`` and ``done`` have size 0 and point to themselves, as EnCase writes them.
    """
    name = section_type.encode("ascii")
    if len(name) > 16:
        raise ValueError(f"section type too long: {section_type}")
    if section_type in ("next", "done"):
        next_offset, size = offset, 0
    else:
        next_offset = offset + size
    body = name.ljust(16, b"\0") + struct.pack("<QQ", next_offset, size) + bytes(40)
    return _with_checksum(body)


def parse_descriptor(data: bytes, offset: int) -> Section:
    if len(data) < DESCRIPTOR_SIZE:
        raise EwfFormatError("section descriptor cut short by the end of the file", offset)
    (stored,) = struct.unpack("<I", data[72:76])
    _check(data[:72], stored, "section descriptor", offset)
    name = data[:16].split(b"\0", 1)[0].decode("ascii", "replace")
    next_offset, size = struct.unpack("<QQ", data[16:32])
    return Section(name, offset, int(next_offset), int(size))


# ---------------------------------------------------------------------------------------------- volume / data


@dataclass(frozen=True, slots=True)
class VolumeInfo:
    """The volume section (first segment) and its copy, the data section (later segments)."""

    media_type: int
    chunk_count: int
    sectors_per_chunk: int
    bytes_per_sector: int
    sector_count: int
    media_flags: int
    compression_level: int
    error_granularity: int
    set_identifier: bytes  # 16 bytes, all zero when the writer set none

    def pack(self) -> bytes:
        body = bytearray(VOLUME_DATA_SIZE - 4)
        struct.pack_into(
            "<B3xIIIQ",
            body,
            0,
            self.media_type,
            self.chunk_count,
            self.sectors_per_chunk,
            self.bytes_per_sector,
            self.sector_count,
        )
        body[36] = self.media_flags
        body[52] = self.compression_level
        struct.pack_into("<I", body, 56, self.error_granularity)
        body[64:80] = self.set_identifier.ljust(16, b"\0")[:16]
        return _with_checksum(bytes(body))

    @classmethod
    def unpack(cls, data: bytes, offset: int) -> VolumeInfo:
        if len(data) < VOLUME_DATA_SIZE:
            raise EwfFormatError(
                f"volume data is {len(data)} bytes, expected {VOLUME_DATA_SIZE} (EWF-S01/SMART or damaged)",
                offset,
            )
        (stored,) = struct.unpack("<I", data[1048:1052])
        _check(data[:1048], stored, "volume data", offset)
        media_type, chunks, spc, bps, sectors = struct.unpack("<B3xIIIQ", data[:24])
        (granularity,) = struct.unpack("<I", data[56:60])
        return cls(
            media_type=media_type,
            chunk_count=chunks,
            sectors_per_chunk=spc,
            bytes_per_sector=bps,
            sector_count=sectors,
            media_flags=data[36],
            compression_level=data[52],
            error_granularity=granularity,
            set_identifier=bytes(data[64:80]),
        )

    @property
    def media_size(self) -> int:
        return self.sector_count * self.bytes_per_sector

    @property
    def chunk_size(self) -> int:
        return self.sectors_per_chunk * self.bytes_per_sector

    @property
    def guid(self) -> str | None:
        if not any(self.set_identifier):
            return None
        return str(uuid.UUID(bytes_le=self.set_identifier))


# ---------------------------------------------------------------------------------------------- table


def pack_table(entries: Sequence[int], base_offset: int) -> bytes:
    """Data of a table (or table2) section: header with the base offset, entries, entries' checksum."""
    header = _with_checksum(struct.pack("<I4xQ4x", len(entries), base_offset))
    array = struct.pack(f"<{len(entries)}I", *entries)
    return header + array + struct.pack("<I", adler32(array))


def parse_table(data: bytes, offset: int) -> tuple[int, tuple[int, ...]]:
    """(base offset, raw entries) of a table section's data; ``offset`` is where the data starts."""
    if len(data) < TABLE_HEADER_SIZE:
        raise EwfFormatError("table section too short for its header", offset)
    (stored,) = struct.unpack("<I", data[20:24])
    _check(data[:20], stored, "table header", offset)
    count, base = struct.unpack("<I4xQ", data[:16])
    end = TABLE_HEADER_SIZE + 4 * count
    if len(data) < end:
        raise EwfFormatError(f"table lists {count} chunks but the section is too short for them", offset)
    array = data[TABLE_HEADER_SIZE:end]
    if len(data) >= end + 4:  # EnCase 1 tables have no footer; every later writer has one
        (footer,) = struct.unpack("<I", data[end : end + 4])
        _check(array, footer, "table entries", offset + TABLE_HEADER_SIZE)
    return int(base), struct.unpack(f"<{count}I", array)


# -------------------------------------------------------------------------------------- error2, digest, hash


def pack_error2(ranges: Sequence[tuple[int, int]]) -> bytes:
    """(first sector, number of sectors) pairs of unreadable sectors."""
    header = _with_checksum(struct.pack("<I", len(ranges)) + bytes(512))
    array = b"".join(struct.pack("<II", start, count) for start, count in ranges)
    return header + array + struct.pack("<I", adler32(array))


def parse_error2(data: bytes, offset: int) -> list[tuple[int, int]]:
    if len(data) < ERROR2_HEADER_SIZE:
        raise EwfFormatError("error2 section too short for its header", offset)
    (stored,) = struct.unpack("<I", data[516:520])
    _check(data[:516], stored, "error2 header", offset)
    (count,) = struct.unpack("<I", data[:4])
    end = ERROR2_HEADER_SIZE + 8 * count
    if len(data) < end + 4:
        raise EwfFormatError(f"error2 lists {count} ranges but the section is too short for them", offset)
    array = data[ERROR2_HEADER_SIZE:end]
    (footer,) = struct.unpack("<I", data[end : end + 4])
    _check(array, footer, "error2 entries", offset + ERROR2_HEADER_SIZE)
    values = struct.unpack(f"<{2 * count}I", array)
    return [(values[i], values[i + 1]) for i in range(0, len(values), 2)]


def pack_digest(md5: bytes, sha1: bytes) -> bytes:
    return _with_checksum(md5 + sha1 + bytes(40))


def parse_digest(data: bytes, offset: int) -> tuple[bytes | None, bytes | None]:
    if len(data) < DIGEST_DATA_SIZE:
        raise EwfFormatError("digest section too short", offset)
    (stored,) = struct.unpack("<I", data[76:80])
    _check(data[:76], stored, "digest", offset)
    md5, sha1 = data[:16], data[16:36]
    return (md5 if any(md5) else None), (sha1 if any(sha1) else None)


def pack_hash(md5: bytes) -> bytes:
    return _with_checksum(md5 + bytes(16))


def parse_hash(data: bytes, offset: int) -> bytes | None:
    if len(data) < HASH_DATA_SIZE:
        raise EwfFormatError("hash section too short", offset)
    (stored,) = struct.unpack("<I", data[32:36])
    _check(data[:32], stored, "hash", offset)
    md5 = data[:16]
    return md5 if any(md5) else None


# ---------------------------------------------------------------------------------------------- header values


def clean_value(key: str, value: str) -> str:
    """A header value as EWF can hold it: no tab or line break, within EnCase's length limit."""
    text = " ".join(value.replace("\t", " ").splitlines()).strip()
    return text[: VALUE_LIMITS.get(key, DEFAULT_VALUE_LIMIT)]


def header2_text(values: Mapping[str, str]) -> str:
    """The EnCase 5-7 header2 text (three categories: main, srce, sub), newline-separated."""
    main_values = "\t".join(clean_value(k, values.get(k, "")) for k in HEADER2_KEYS)
    lines = [
        "3",
        "main",
        "\t".join(HEADER2_KEYS),
        main_values,
        "",
        "srce",
        "0\t1",
        "\t".join(("p", "n", "id", "ev", "tb", "lo", "po", "ah", "gu", "aq")),
        "0\t0",
        "\t".join(("", "", "", "", "", "-1", "-1", "", "", "")),
        "",
        "sub",
        "0\t1",
        "\t".join(("p", "n", "id", "nu", "co", "gu")),
        "0\t0",
        "\t".join(("", "", "", "", "1", "")),
        "",
        "",
    ]
    return "\n".join(lines)


def header_text(values: Mapping[str, str]) -> str:
    """The ASCII header section text of EnCase 4-7, CRLF-separated."""
    main_values = "\t".join(clean_value(k, values.get(k, "")) for k in HEADER_KEYS)
    return "\r\n".join(["1", "main", "\t".join(HEADER_KEYS), main_values, "", ""])


def encode_header2(text: str) -> bytes:
    return b"\xff\xfe" + text.encode("utf-16-le")


def encode_header(text: str) -> bytes:
    """ASCII, as libewf reads the header section by default; other characters become '?'.

    The full Unicode values live in header2, which every EnCase 5+ reader prefers.
    """
    return text.encode("ascii", "replace")


def decode_header2(raw: bytes) -> str:
    if raw[:2] == b"\xfe\xff":
        return raw[2:].decode("utf-16-be", "replace")
    if raw[:2] == b"\xff\xfe":
        return raw[2:].decode("utf-16-le", "replace")
    return raw.decode("utf-16-le", "replace")


def parse_main_category(text: str) -> dict[str, str]:
    """Values of the "main" category of a header or header2 text, keyed by their identifiers."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if line.strip() == "main" and i + 2 < len(lines):
            keys = lines[i + 1].split("\t")
            vals = lines[i + 2].split("\t")
            return {k: (vals[j] if j < len(vals) else "") for j, k in enumerate(keys) if k}
    return {}


def header_date(value: datetime) -> str:
    """Date of the ASCII header section: "2026 11 28 0 57 24", written in UTC (the format has no zone)."""
    v = value.astimezone(UTC)
    return f"{v.year} {v.month} {v.day} {v.hour} {v.minute} {v.second}"


def parse_header2_date(raw: str) -> datetime | None:
    """header2 dates are POSIX seconds; None when absent or unreadable."""
    try:
        seconds = int(raw.strip())
    except ValueError:
        return None
    if seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None

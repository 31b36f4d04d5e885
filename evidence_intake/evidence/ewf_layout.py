"""The section structure of an EWF-E01 segment set, checked on the way: the reader's foundation.

Walks every segment's section chain, checks each checksum, segment number and set identifier,
and collects what ``read_ewf_info`` and ``verify_ewf`` need: the volume, the header values, the
stored hashes, the error2 ranges and, per table, where each chunk's stored bytes are. Faults are
EvidenceErrors naming the segment file and the offset in it.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from evidence_intake.acquisition import ewf_format as fmt
from evidence_intake.errors import EvidenceError, NotFoundError
from evidence_intake.evidence.segments import ewf_extension, find_segments

MAX_SECTIONS = 10_000_000  # a loop guard: no real segment file has that many sections
READ_WINDOW = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ChunkGroup:
    """One table's worth of chunks. Only where the table is: entries are read again when needed,
    so that memory does not grow with the media (a 1 TiB image has 33 million chunks)."""

    segment: int  # index into the segment list
    table: fmt.Section  # the table section whose checksums held (or its table2 copy)
    count: int
    end: int  # end of the last chunk (end of the sectors section)


@dataclass(slots=True)
class Layout:
    paths: list[Path]
    sizes: list[int]
    sections: list[list[fmt.Section]]
    volume: fmt.VolumeInfo
    groups: list[ChunkGroup]
    header2: dict[str, str] | None
    header: dict[str, str] | None
    header2_categories: int
    has_xheader: bool
    md5: bytes | None
    sha1: bytes | None
    errors: list[tuple[int, int]]


def read_at(f: BinaryIO, offset: int, size: int) -> bytes:
    f.seek(offset)
    return f.read(size)


def fail(path: Path, offset: int | None, message: str, hint: str | None = None) -> EvidenceError:
    where = f"{path.name} at offset {offset:,}" if offset is not None else path.name
    return EvidenceError(
        f"{where}: {message}",
        path=path,
        hint=hint or "the image is damaged or incomplete; acquire again or use another copy of the image",
    )


def _walk(path: Path, f: BinaryIO, size: int) -> list[fmt.Section]:
    sections: list[fmt.Section] = []
    offset = fmt.FILE_HEADER_SIZE
    while True:
        if offset + fmt.DESCRIPTOR_SIZE > size:
            last = sections[-1].type if sections else "file header"
            raise fail(
                path,
                offset,
                f"the segment ends after its '{last}' section without a 'done' or 'next' section: "
                f"the file is truncated (it has {size:,} bytes) or its writing was interrupted",
            )
        try:
            section = fmt.parse_descriptor(read_at(f, offset, fmt.DESCRIPTOR_SIZE), offset)
        except fmt.EwfFormatError as exc:
            raise fail(path, exc.offset, str(exc)) from exc
        sections.append(section)
        if section.type in ("next", "done"):
            return sections
        if section.next_offset > size or section.end > size:
            raise fail(
                path,
                offset,
                f"section '{section.type}' runs to offset {max(section.next_offset, section.end):,} but "
                f"the file ends at {size:,}: the segment is truncated",
            )
        if section.next_offset <= offset:
            raise fail(
                path, offset, f"section '{section.type}' points back to offset {section.next_offset:,}"
            )
        if len(sections) > MAX_SECTIONS:  # pragma: no cover - loop guard
            raise fail(path, offset, "too many sections")
        offset = section.next_offset


def _decompress_text(path: Path, f: BinaryIO, section: fmt.Section) -> bytes:
    raw = read_at(f, section.data_offset, section.data_size)
    try:
        return zlib.decompress(raw)
    except zlib.error as exc:
        raise fail(path, section.data_offset, f"'{section.type}' section does not inflate ({exc})") from exc


def parse_layout(first: Path) -> Layout:
    if not first.exists():
        raise NotFoundError(f"image file not found: {first}", path=first, hint="check the path")
    paths = find_segments(first)
    sizes: list[int] = []
    all_sections: list[list[fmt.Section]] = []
    volume: fmt.VolumeInfo | None = None
    groups: list[ChunkGroup] = []
    header2: dict[str, str] | None = None
    header: dict[str, str] | None = None
    categories = 0
    has_xheader = False
    md5_digest: bytes | None = None
    sha1: bytes | None = None
    md5_hash: bytes | None = None
    errors: list[tuple[int, int]] = []
    for index, path in enumerate(paths):
        number = index + 1
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                try:
                    found_number = fmt.parse_file_header(f.read(fmt.FILE_HEADER_SIZE))
                except fmt.EwfFormatError as exc:
                    raise fail(path, exc.offset, f"not an EWF-E01 segment: {exc}") from exc
                if found_number != number:
                    raise fail(
                        path,
                        9,
                        f"its header says it is segment {found_number}, but as {path.suffix} it should be "
                        f"segment {number}: it was renamed or belongs to another image",
                        hint="restore the original segment files of the image",
                    )
                sections = _walk(path, f, size)
                last_sectors: fmt.Section | None = None
                for section in sections:
                    kind = section.type
                    if kind in ("volume", "disk", "data"):
                        vol = _read_volume(path, f, section)
                        if volume is None:
                            if kind == "data" and number > 1:
                                raise fail(path, section.offset, "a later segment came before the first")
                            volume = vol
                        else:
                            _check_same_set(path, section, volume, vol, paths[0])
                    elif kind == "header2" and header2 is None:
                        text = fmt.decode_header2(_decompress_text(path, f, section))
                        header2 = fmt.parse_main_category(text)
                        first_line = text.split("\n", 1)[0].strip()
                        categories = int(first_line) if first_line.isdigit() else 0
                    elif kind == "header" and header is None:
                        raw = _decompress_text(path, f, section)
                        header = fmt.parse_main_category(raw.decode("latin-1"))
                    elif kind == "xheader":
                        has_xheader = True
                    elif kind == "sectors":
                        last_sectors = section
                    elif kind == "table":
                        groups.append(_read_group(path, f, index, section, sections, last_sectors))
                    elif kind == "error2":
                        try:
                            errors = fmt.parse_error2(read_at(f, section.data_offset, section.data_size), 0)
                        except fmt.EwfFormatError as exc:
                            raise fail(path, section.data_offset + exc.offset, str(exc)) from exc
                    elif kind == "digest":
                        try:
                            md5_digest, sha1 = fmt.parse_digest(
                                read_at(f, section.data_offset, section.data_size), 0
                            )
                        except fmt.EwfFormatError as exc:
                            raise fail(path, section.data_offset + exc.offset, str(exc)) from exc
                    elif kind == "hash":
                        try:
                            md5_hash = fmt.parse_hash(read_at(f, section.data_offset, section.data_size), 0)
                        except fmt.EwfFormatError as exc:
                            raise fail(path, section.data_offset + exc.offset, str(exc)) from exc
        except OSError as exc:
            raise EvidenceError(f"cannot read {path}: {exc.strerror}", path=path) from exc
        sizes.append(size)
        all_sections.append(sections)
        last = sections[-1]
        if last.type == "next" and number == len(paths):
            missing = path.with_name(f"{path.name[: -len(path.suffix)]}.{ewf_extension(number + 1)}")
            raise EvidenceError(
                f"segment {missing.name} of image {paths[0].name} is missing ({path.name} ends with a "
                "'next' section: more segments follow)",
                path=missing,
                hint="copy every segment file of the image into the same folder",
            )
        if last.type == "done" and number < len(paths):
            extra = paths[number]
            raise EvidenceError(
                f"{extra.name} does not belong to image {paths[0].name}: {path.name} already ends the image "
                "with its 'done' section",
                path=extra,
                hint="move files of other images out of the folder, or restore the right segment",
            )
    if volume is None:
        raise fail(paths[0], None, "no volume section: this is not an EWF-E01 media image")
    if md5_digest and md5_hash and md5_digest != md5_hash:
        raise fail(
            paths[-1],
            None,
            f"the digest section's MD5 {md5_digest.hex()} differs from the hash section's {md5_hash.hex()}",
        )
    counted = sum(g.count for g in groups)
    if counted != volume.chunk_count:
        raise fail(
            paths[0],
            None,
            f"the tables list {counted:,} chunks but the volume section says {volume.chunk_count:,}: "
            "segments are missing, damaged or from another image",
        )
    return Layout(
        paths=paths,
        sizes=sizes,
        sections=all_sections,
        volume=volume,
        groups=groups,
        header2=header2,
        header=header,
        header2_categories=categories,
        has_xheader=has_xheader,
        md5=md5_digest or md5_hash,
        sha1=sha1,
        errors=errors,
    )


def _read_volume(path: Path, f: BinaryIO, section: fmt.Section) -> fmt.VolumeInfo:
    try:
        return fmt.VolumeInfo.unpack(read_at(f, section.data_offset, section.data_size), 0)
    except fmt.EwfFormatError as exc:
        raise fail(path, section.data_offset + exc.offset, f"{section.type} section: {exc}") from exc


def _check_same_set(
    path: Path, section: fmt.Section, volume: fmt.VolumeInfo, other: fmt.VolumeInfo, first: Path
) -> None:
    """A data section repeats the volume section; a different set identifier or geometry is foreign."""
    reasons = []
    if (
        any(volume.set_identifier)
        and any(other.set_identifier)
        and volume.set_identifier != other.set_identifier
    ):
        reasons.append(f"set identifier {other.guid} instead of {volume.guid}")
    for name in ("bytes_per_sector", "sectors_per_chunk"):
        if getattr(other, name) and getattr(volume, name) != getattr(other, name):
            reasons.append(
                f"{name.replace('_', ' ')} {getattr(other, name)} instead of {getattr(volume, name)}"
            )
    if other.chunk_count and volume.chunk_count and other.chunk_count != volume.chunk_count:
        reasons.append(f"{other.chunk_count:,} chunks instead of {volume.chunk_count:,}")
    if reasons:
        raise fail(
            path,
            section.offset,
            f"this segment belongs to another image than {first.name} ({'; '.join(reasons)})",
            hint="restore the right segment file; segments of different images must not be mixed",
        )


def _parse_entries(f: BinaryIO, table: fmt.Section) -> tuple[list[int], list[bool]]:
    """Absolute file offsets and compressed flags of a table's chunks; EwfFormatError if damaged."""
    base, entries = fmt.parse_table(read_at(f, table.data_offset, table.data_size), table.data_offset)
    return [base + (e & fmt.OFFSET_MASK) for e in entries], [bool(e & fmt.COMPRESSED_FLAG) for e in entries]


def _read_group(
    path: Path,
    f: BinaryIO,
    index: int,
    table: fmt.Section,
    sections: list[fmt.Section],
    sectors: fmt.Section | None,
) -> ChunkGroup:
    try:
        offsets, _ = _parse_entries(f, table)
    except fmt.EwfFormatError as first_error:
        mirror = next((s for s in sections if s.type == "table2" and s.offset > table.offset), None)
        if mirror is None:
            raise fail(path, first_error.offset, str(first_error)) from first_error
        try:
            offsets, _ = _parse_entries(f, mirror)
        except fmt.EwfFormatError as exc:
            raise fail(path, first_error.offset, f"{first_error}, and its table2 copy too: {exc}") from exc
        table = mirror
    # Since EnCase 2 the chunks precede their table in a sectors section; EnCase 1 kept them in the
    # table section itself, after the entries.
    end = sectors.end if sectors is not None and sectors.offset < table.offset else table.end
    for i, off in enumerate(offsets):
        limit = offsets[i + 1] if i + 1 < len(offsets) else end
        if off >= limit or off < fmt.FILE_HEADER_SIZE:
            raise fail(
                path, table.offset, f"table entry {i} points to offset {off:,}, outside its sectors section"
            )
    return ChunkGroup(index, table, len(offsets), end)


def format_name(layout: Layout) -> str:
    """The format as libewf reports it, from the header sections present (a heuristic, like libewf's)."""
    if layout.has_xheader:
        return "EWFX"
    if layout.header2 is not None:
        if layout.header2_categories <= 1:
            return "EnCase 4"
        return "EnCase 6" if "md" in layout.header2 else "EnCase 5"
    header = layout.header or {}
    if "r" in header:
        return "FTK Imager"
    if "av" not in header:
        return "EnCase 1"
    return "linen 5" if header.get("m", "").strip().isdigit() else "EnCase 2-3"


@dataclass(frozen=True, slots=True)
class StoredChunk:
    index: int
    segment: int
    file_offset: int
    stored: bytes
    compressed: bool
    expected: int


def stored_chunks(layout: Layout) -> Iterator[StoredChunk]:
    vol = layout.volume
    chunk_size = vol.chunk_size
    total = vol.media_size
    index = 0
    handles: dict[int, BinaryIO] = {}
    try:
        for group in layout.groups:
            f = handles.get(group.segment)
            if f is None:
                f = handles[group.segment] = open(layout.paths[group.segment], "rb")
            try:
                offsets, compressed = _parse_entries(f, group.table)
            except fmt.EwfFormatError as exc:  # the file changed since it was first read
                raise fail(layout.paths[group.segment], exc.offset, str(exc)) from exc
            window_start, window = -1, b""
            n = len(offsets)
            for i in range(n):
                start = offsets[i]
                end = offsets[i + 1] if i + 1 < n else group.end
                if not (window_start <= start and end <= window_start + len(window)):
                    window_start = start
                    window = read_at(f, start, max(READ_WINDOW, end - start))
                stored = window[start - window_start : end - window_start]
                expected = max(0, min(chunk_size, total - index * chunk_size))
                yield StoredChunk(index, group.segment, start, stored, compressed[i], expected)
                index += 1
    finally:
        for f in handles.values():
            f.close()

"""Check the stored checksum of every E01 chunk that is read, because libewf does not say when one fails.

When a chunk's Adler-32 (stored chunks) or zlib stream (compressed chunks) is damaged, libewf
returns substitute bytes and pyewf reports nothing. This module finds each chunk's place in the
segment files from the ``table`` sections (EWF-E01 as written by EnCase 1–7, FTK and ewfacquire:
entry = 31-bit offset from the table's base offset, top bit set when the chunk is compressed)
and checks a chunk the first time any of its bytes is read. A chunk that fails becomes a Problem
of kind "corrupt" naming the segment and the media bytes it covers; nothing is ever repaired.

Only the ``table`` entries are read, a few bytes per chunk, when the chunk is first read: memory
holds one small record per table section and one bit per chunk.
"""

from __future__ import annotations

import bisect
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evidence_intake.evidence.model import Problem

_SIGNATURE = b"EVF\x09\x0d\x0a\xff\x00"
_MAX_SECTIONS = 1 << 20


@dataclass(frozen=True, slots=True)
class _Table:
    first_chunk: int
    count: int
    segment: int
    entries_at: int  # file offset of the first 4-byte entry
    base: int


class EwfChunkChecker:
    """Checks chunks of one EWF image on demand; ``problems`` collects those that fail."""

    def __init__(self, paths: Sequence[Path], *, chunk_size: int, media_size: int) -> None:
        self.paths = [Path(p) for p in paths]
        self.chunk_size = chunk_size
        self.media_size = media_size
        self.problems: list[Problem] = []
        self.bad: set[int] = set()  # chunks that failed their check
        self.bad_reads = 0  # reads that touched a failed chunk, so callers can tell theirs did
        self.enabled = False
        self._chunks = -(-media_size // chunk_size) if chunk_size else 0
        self._checked = bytearray((self._chunks + 7) // 8)
        self._tables: list[_Table] = []
        self._starts: list[int] = []
        self._boundaries: list[list[int]] = []
        self._files = [p.open("rb") for p in self.paths]
        try:
            self._index()
        except (OSError, ValueError, struct.error) as exc:
            self._unsupported(f"its table sections cannot be read ({exc})")
            return
        counted = sum(t.count for t in self._tables)
        if counted != self._chunks or not self._tables:
            self._unsupported(f"its tables list {counted} chunks where the media has {self._chunks}")
            return
        self._starts = [t.first_chunk for t in self._tables]
        self.enabled = True

    def _unsupported(self, why: str) -> None:
        self.problems.append(
            Problem(
                where=self.paths[0].name,
                reason=f"chunk checksums of this E01 are not checked: {why}; verify the image with ewfverify",
                kind="unsupported",
            )
        )

    def _index(self) -> None:
        chunk = 0
        for segment, handle in enumerate(self._files):
            handle.seek(0)
            if handle.read(8) != _SIGNATURE:
                raise ValueError(f"{self.paths[segment].name} has no EVF signature")
            boundaries: list[int] = []
            offset = 13
            for _ in range(_MAX_SECTIONS):
                handle.seek(offset)
                descriptor = handle.read(76)
                if len(descriptor) < 76:
                    break
                kind = descriptor[:16].rstrip(b"\0")
                next_offset, size = struct.unpack_from("<QQ", descriptor, 16)
                boundaries.append(offset)
                if kind == b"table":
                    header = handle.read(24)
                    count = struct.unpack_from("<I", header, 0)[0]
                    base = struct.unpack_from("<Q", header, 8)[0]
                    self._tables.append(_Table(chunk, count, segment, offset + 76 + 24, base))
                    chunk += count
                if kind in (b"done", b"next") or next_offset <= offset:
                    boundaries.append(offset + 76 + size if size > 76 else offset + 76)
                    break
                offset = next_offset
            self._boundaries.append(boundaries)

    def check(self, offset: int, size: int) -> None:
        """Check every not-yet-checked chunk that media bytes [offset, offset+size) touch."""
        if not self.enabled or size <= 0:
            return
        first = offset // self.chunk_size
        last = min((offset + size - 1) // self.chunk_size, self._chunks - 1)
        for index in range(first, last + 1):
            byte, bit = divmod(index, 8)
            if self._checked[byte] & (1 << bit):
                if index in self.bad:
                    self.bad_reads += 1
                continue
            self._checked[byte] |= 1 << bit
            reason = self._verify(index)
            if reason is not None:
                self.bad.add(index)
                self.bad_reads += 1
                start = index * self.chunk_size
                end = min(start + self.chunk_size, self.media_size) - 1
                table = self._tables[bisect.bisect_right(self._starts, index) - 1]
                self.problems.append(
                    Problem(
                        where=self.paths[table.segment].name,
                        reason=f"chunk {index} (media bytes {start}-{end}) {reason}; "
                        "libewf gave substitute data",
                        kind="corrupt",
                    )
                )

    def _verify(self, index: int) -> str | None:
        table = self._tables[bisect.bisect_right(self._starts, index) - 1]
        handle = self._files[table.segment]
        position = index - table.first_chunk
        handle.seek(table.entries_at + 4 * position)
        raw = handle.read(8 if position + 1 < table.count else 4)
        if len(raw) < 4:
            return "has no table entry (the segment is truncated)"
        entry = struct.unpack_from("<I", raw, 0)[0]
        start = table.base + (entry & 0x7FFFFFFF)
        if position + 1 < table.count and len(raw) == 8:
            end = table.base + (struct.unpack_from("<I", raw, 4)[0] & 0x7FFFFFFF)
        else:
            boundaries = self._boundaries[table.segment]
            after = bisect.bisect_right(boundaries, start)
            end = boundaries[after] if after < len(boundaries) else start + self.chunk_size + 4
        expected = min(self.chunk_size, self.media_size - index * self.chunk_size)
        if entry & 0x80000000:
            handle.seek(start)
            stored = handle.read(max(0, end - start))
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(stored, expected + 1)
            except zlib.error as exc:
                return f"does not decompress ({exc})"
            if not inflater.eof:
                return "is a cut-short zlib stream"
            return (
                None if len(data) == expected else f"decompresses to {len(data)} bytes instead of {expected}"
            )
        handle.seek(start)
        stored = handle.read(expected + 4)
        if len(stored) < expected + 4:
            return "is cut short (the segment is truncated)"
        (checksum,) = struct.unpack_from("<I", stored, expected)
        if zlib.adler32(stored[:expected]) != checksum:
            return "fails its Adler-32 checksum"
        return None

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files = []

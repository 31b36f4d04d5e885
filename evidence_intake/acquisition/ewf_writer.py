"""Streaming EWF-E01 writer (EnCase 6 layout), with parallel chunk compression.

The engine hands media bytes in order; this writer cuts them into chunks (64 sectors of 512
bytes by default), compresses the chunks in worker threads (deflate releases the GIL) and writes them
in order. Memory stays bounded: a few compression batches in flight and one group of at most
``GROUP_BYTES`` of stored chunks, written as one ``sectors`` + ``table`` + ``table2`` run.

Buffering a group before writing it means every section is written once, front to back, with its
final size: nothing in a segment is rewritten later except the volume/data sections when the
media size was not known in advance. So the SHA-256 of each segment file is computed as it is
written, and recomputed from disk only for segments patched at the end.

How chunks are compressed (ISA-L, zero and random-looking fast paths) is in ewf_chunks.
See docs/e01.md for the layout and the choices behind it.
"""

from __future__ import annotations

import hashlib
import os
import uuid
import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, ClassVar

from evidence_intake.acquisition import ewf_format as fmt
from evidence_intake.acquisition.base import ErrorRange, ImageMetadata, ImageWriter
from evidence_intake.acquisition.ewf_chunks import Packed, compress, pack_batch
from evidence_intake.console import warn
from evidence_intake.digests import sha256_file
from evidence_intake.errors import ConflictError, EvidenceError, IntegrityError, UsageError
from evidence_intake.evidence.segments import ewf_extension, ewf_segment_number, glob_escape

DEFAULT_SEGMENT_SIZE = 1500 * 1024 * 1024  # libewf's default, shown by ewfacquire as "1.4 GiB"
MIN_SEGMENT_SIZE = 1024 * 1024  # libewf's minimum
MAX_SEGMENTS = 14971  # .E01 ... .ZZZ
CHUNK_SECTOR_CHOICES = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
GROUP_BYTES = 8 * 1024 * 1024  # stored chunk bytes buffered before a sectors section is written
WRITE_BUFFER = 1024 * 1024
BATCH_BYTES = 1024 * 1024  # media bytes handed to a worker at once
ERROR2_RESERVE_RANGES = 4096  # error2 room kept free at the end of every segment


def _hex_digest(hashes: Mapping[str, str], name: str, length: int) -> bytes:
    value = hashes.get(name)
    if value is None:
        raise UsageError(
            f"an E01 stores the {name.upper()} of the media, and none was given to finish()",
            hint="hash the stream with md5 and sha1 (EwfWriter.required_hashes) and pass both",
        )
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != length:
        raise UsageError(f"{name} value {value!r} is not {length * 2} hexadecimal digits")
    return raw


class EwfWriter(ImageWriter):
    """Writes ``{base}.E01``, ``{base}.E02``… in the layout of EnCase 6 (``ewfacquire -f encase6``).

    ``segment_size`` bounds every segment file (default 1500 MiB, libewf's); ``workers`` is the
    number of compression threads (default: one per CPU). ``media_size`` may be None for a stream
    of unknown length; the volume and data sections are then patched at ``finish``.

    E01 counts media in whole sectors. A media size that is not a multiple of the sector size is
    padded with zeros to the next sector, and the MD5 and SHA-1 stored in the image are then those
    of the padded media, computed here (the engine's hashes cover the bytes it read, and are kept
    in the ledger). ``stored_hashes`` and ``image_media_size`` say what the image holds.
    """

    format: ClassVar[str] = "e01"
    resumable: ClassVar[bool] = False
    required_hashes: ClassVar[frozenset[str]] = frozenset({"md5", "sha1"})

    def __init__(
        self,
        base: Path,
        *,
        metadata: ImageMetadata,
        media_size: int | None = None,
        sector_size: int = 512,
        chunk_sectors: int = 64,
        compression: str = "fast",
        segment_size: int | None = None,
        workers: int | None = None,
    ) -> None:
        if compression not in fmt.ZLIB_LEVELS:
            raise UsageError(
                f"unknown E01 compression {compression!r}", hint="use none, fast or best (default fast)"
            )
        if sector_size not in (512, 1024, 2048, 4096):
            raise UsageError(f"unsupported sector size {sector_size}", hint="use 512, 1024, 2048 or 4096")
        if chunk_sectors not in CHUNK_SECTOR_CHOICES:
            raise UsageError(
                f"unsupported chunk size of {chunk_sectors} sectors",
                hint="use one of " + ", ".join(map(str, CHUNK_SECTOR_CHOICES)) + " (default 64)",
            )
        if metadata.media_type not in fmt.MEDIA_TYPES:
            raise UsageError(
                f"unknown media type {metadata.media_type!r}", hint="use fixed, removable, optical or memory"
            )
        if media_size is not None and media_size < 0:
            raise UsageError(f"media size cannot be negative ({media_size})")
        if media_size == 0:
            raise UsageError(
                "an E01 cannot hold a medium of 0 bytes (libewf refuses to write one)",
                hint="check the source; an empty source can be kept as a raw image",
            )
        self._base = base
        self._metadata = metadata
        self._media_size = media_size
        self._bps = sector_size
        self._spc = chunk_sectors
        self._chunk_size = sector_size * chunk_sectors
        self._compression = compression
        self._level = fmt.ZLIB_LEVELS[compression]
        self._max_chunk_stored = self._chunk_size + 4
        self._segment_size = DEFAULT_SEGMENT_SIZE if segment_size is None else segment_size
        self._closing_reserve = (
            fmt.DESCRIPTOR_SIZE + fmt.VOLUME_DATA_SIZE  # data (single segment)
            + fmt.DESCRIPTOR_SIZE + fmt.ERROR2_HEADER_SIZE + 8 * ERROR2_RESERVE_RANGES + 4
            + fmt.DESCRIPTOR_SIZE + fmt.DIGEST_DATA_SIZE
            + fmt.DESCRIPTOR_SIZE + fmt.HASH_DATA_SIZE
            + fmt.DESCRIPTOR_SIZE  # done
        )  # fmt: skip
        self._check_segment_size()

        self._set_id = uuid.uuid4().bytes_le
        self._header_values = self._header_values_from(metadata)
        self._zero = bytes(self._chunk_size)
        self._zero_packed = compress(self._zero, self._level) if self._level else b""
        self._workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
        self._pool = ThreadPoolExecutor(self._workers, "ewf-deflate") if self._workers > 1 else None
        self._batch_chunks = max(1, BATCH_BYTES // self._chunk_size)
        self._max_pending = 2 * self._workers + 1

        # Own MD5/SHA-1 only when the stored hashes may have to cover zero padding.
        self._own_hashes = media_size is None or media_size % sector_size != 0
        self._md5 = hashlib.md5(usedforsecurity=False) if self._own_hashes else None
        self._sha1 = hashlib.sha1(usedforsecurity=False) if self._own_hashes else None

        self._accepted = 0
        self._partial = bytearray()
        self._batch: list[bytes] = []
        self._pending: deque[Future[list[Packed]]] = deque()
        self._chunks_written = 0
        self._state = "open"
        self._stored_hashes: dict[str, str] = {}

        self._paths: list[Path] = []
        self._finished_hashes: dict[int, str] = {}
        self._file: BinaryIO | None = None
        self._seg_sha = hashlib.sha256()
        self._seg_pos = 0
        self._seg_chunks = 0
        self._volume_at: list[tuple[int, int]] = []  # (segment index, offset of volume/data data)
        self._written_volume = self._volume(self._initial_counts())
        self._group: list[bytes] = []
        self._group_entries: list[int] = []
        self._group_bytes = 0

        self._refuse_existing()
        self._open_segment()

    # ------------------------------------------------------------------------------------------ ImageWriter

    @property
    def paths(self) -> list[Path]:
        return list(self._paths)

    @property
    def bytes_accepted(self) -> int:
        return self._accepted

    @property
    def image_media_size(self) -> int:
        """Media size recorded in the image: bytes accepted, rounded up to whole sectors."""
        return -(-self._accepted // self._bps) * self._bps

    @property
    def stored_hashes(self) -> dict[str, str]:
        """MD5 and SHA-1 written into the image (after ``finish``)."""
        return dict(self._stored_hashes)

    def segment_hashes(self) -> list[tuple[Path, str]]:
        """SHA-256 of every finished segment file, in order; all of them once ``finish`` returned."""
        return [(self._paths[i], h) for i, h in sorted(self._finished_hashes.items())]

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._state != "open":
            raise UsageError(f"the E01 writer for {self._base} is {self._state}; nothing more can be written")
        # Copy buffers the caller may reuse: chunks are compressed after write() returns.
        block = data if isinstance(data, bytes) else bytes(data)
        if not block:
            return
        if self._md5 is not None and self._sha1 is not None:
            self._md5.update(block)
            self._sha1.update(block)
        self._accepted += len(block)
        cs = self._chunk_size
        pos = 0
        if self._partial:
            take = min(cs - len(self._partial), len(block))
            self._partial += block[:take]
            pos = take
            if len(self._partial) == cs:
                self._queue_chunk(bytes(self._partial))
                self._partial = bytearray()
        end = len(block)
        while end - pos >= cs:
            self._queue_chunk(block[pos : pos + cs])
            pos += cs
        if pos < end:
            self._partial += block[pos:]

    def finish(self, *, hashes: Mapping[str, str], error_map: Sequence[ErrorRange]) -> list[Path]:
        if self._state != "open":
            raise UsageError(f"the E01 writer for {self._base} is {self._state}; finish() cannot run again")
        given_md5 = _hex_digest(hashes, "md5", 16)
        given_sha1 = _hex_digest(hashes, "sha1", 20)
        try:
            if self._accepted == 0:
                raise EvidenceError(
                    f"no data was written to {self._paths[0]}: an E01 cannot hold a medium of 0 bytes",
                    path=self._paths[0],
                    hint="check the source; the partial image is left as it is and marked incomplete",
                )
            md5, sha1 = self._final_hashes(given_md5, given_sha1)
            pad = (-self._accepted) % self._bps
            if self._partial or pad:
                self._partial += bytes(pad)
                self._queue_chunk(bytes(self._partial))
                self._partial = bytearray()
            self._submit_batch()
            while self._pending:
                self._emit(self._pending.popleft().result())
            self._flush_group()
            sectors = self.image_media_size // self._bps
            if self._chunks_written != -(-sectors // self._spc):  # pragma: no cover - a bug, not bad input
                raise RuntimeError(f"{self._chunks_written} chunks written for {sectors} sectors")
            final = self._volume((sectors, self._chunks_written))
            if len(self._paths) == 1:
                self._section("data", final.pack())
            ranges = self._error_sectors(error_map)
            if ranges:
                self._section("error2", fmt.pack_error2(ranges))
            self._section("digest", fmt.pack_digest(md5, sha1))
            self._section("hash", fmt.pack_hash(md5))
            self._descriptor_only("done")
            self._close_segment()
            self._patch_volumes(final)
        except BaseException:
            self.abort()
            raise
        self._stored_hashes = {"md5": md5.hex(), "sha1": sha1.hex()}
        self._state = "finished"
        self._shutdown_pool()
        return self.paths

    def abort(self) -> None:
        """Stop: pending chunks are dropped and the files are left as they are (without ``done``)."""
        if self._state in ("aborted", "finished"):
            return
        self._state = "aborted"
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._shutdown_pool()
        if self._file is not None:
            try:
                self._file.close()
            finally:
                self._file = None

    # ------------------------------------------------------------------------------------------ set-up

    def _check_segment_size(self) -> None:
        first_overhead = (
            fmt.FILE_HEADER_SIZE
            + 3 * (fmt.DESCRIPTOR_SIZE + 2048)
            + fmt.DESCRIPTOR_SIZE
            + fmt.VOLUME_DATA_SIZE
        )
        per_chunk = self._max_chunk_stored + fmt.DESCRIPTOR_SIZE + 2 * (fmt.DESCRIPTOR_SIZE + 32)
        needed = max(MIN_SEGMENT_SIZE, first_overhead + self._closing_reserve + 2 * per_chunk)
        if self._segment_size < needed:
            raise UsageError(
                f"E01 segment size {self._segment_size:,} bytes is too small",
                hint=f"use at least {needed:,} bytes (1 MiB); the default is {DEFAULT_SEGMENT_SIZE:,}",
            )
        if self._media_size is not None:
            usable = self._segment_size - first_overhead - self._closing_reserve
            chunks_per_segment = max(1, usable // (self._max_chunk_stored + 16))
            chunks = -(-self._media_size // self._chunk_size)
            if -(-chunks // chunks_per_segment) > MAX_SEGMENTS:
                raise UsageError(
                    f"segments of {self._segment_size:,} bytes would need more than {MAX_SEGMENTS:,} files "
                    f"(.E01 to .ZZZ) for {self._media_size:,} bytes",
                    hint="choose a larger --split size",
                )

    def _refuse_existing(self) -> None:
        folder = self._base.parent
        if not folder.is_dir():
            raise UsageError(f"destination folder {folder} does not exist", hint="create it first")
        # Segments of an earlier image under this name (.E01-.EZZ) would be taken for part of
        # the new one. Later names (.FAA…, which include words like .RAW) are caught on creation.
        taken = []
        for p in folder.glob(glob_escape(self._base.name) + ".*"):
            ext = p.name[len(self._base.name) + 1 :]
            if len(ext) == 3 and ext[0] in "Ee":
                try:
                    ewf_segment_number(ext)
                except ValueError:
                    continue
                taken.append(p)
        if taken:
            raise ConflictError(
                f"{sorted(taken)[0]} already exists: an E01 is never written over existing files",
                path=sorted(taken)[0],
                hint="choose another image name or folder",
            )

    def _header_values_from(self, m: ImageMetadata) -> dict[str, str]:
        version = m.software.split()[-1] if m.software.split() else ""
        return {
            "a": m.description,
            "c": m.case_number,
            "n": m.evidence_number,
            "e": m.examiner,
            "t": m.notes,
            "md": m.model or "",
            "sn": m.serial or "",
            "av": version,
            "ov": m.operating_system,
            "p": "0",
            "dc": "",
        }

    def _initial_counts(self) -> tuple[int, int]:
        if self._media_size is None:
            return 0, 0
        sectors = -(-self._media_size // self._bps)
        return sectors, -(-sectors // self._spc)

    def _volume(self, counts: tuple[int, int]) -> fmt.VolumeInfo:
        sectors, chunks = counts
        flags = fmt.MEDIA_FLAG_IMAGE | (fmt.MEDIA_FLAG_PHYSICAL if self._metadata.physical else 0)
        return fmt.VolumeInfo(
            media_type=fmt.MEDIA_TYPES[self._metadata.media_type],
            chunk_count=chunks,
            sectors_per_chunk=self._spc,
            bytes_per_sector=self._bps,
            sector_count=sectors,
            media_flags=flags,
            compression_level=fmt.COMPRESSION_LEVELS[self._compression],
            error_granularity=self._spc,
            set_identifier=self._set_id,
        )

    # ------------------------------------------------------------------------------------------ segments

    def _segment_path(self, number: int) -> Path:
        try:
            ext = ewf_extension(number)
        except UsageError as exc:
            raise EvidenceError(
                f"{self._base}: more than {MAX_SEGMENTS:,} segment files would be needed",
                path=self._base,
                hint="acquire again with a larger --split size",
            ) from exc
        return self._base.with_name(f"{self._base.name}.{ext}")

    def _open_segment(self) -> None:
        number = len(self._paths) + 1
        path = self._segment_path(number)
        try:
            self._file = open(path, "xb", buffering=WRITE_BUFFER)
        except FileExistsError as exc:
            raise ConflictError(
                f"{path} already exists: an E01 is never written over existing files",
                path=path,
                hint="choose another image name or folder",
            ) from exc
        except OSError as exc:
            raise EvidenceError(f"cannot create {path}: {exc.strerror}", path=path) from exc
        self._paths.append(path)
        self._seg_sha = hashlib.sha256()
        self._seg_pos = 0
        self._seg_chunks = 0
        self._out(fmt.pack_file_header(number))
        if number == 1:
            h2 = zlib.compress(fmt.encode_header2(self._header2()))
            self._section("header2", h2)
            self._section("header2", h2)
            self._section("header", zlib.compress(fmt.encode_header(self._header())))
            self._volume_at.append((0, self._seg_pos + fmt.DESCRIPTOR_SIZE))
            self._section("volume", self._written_volume.pack())
        else:
            self._volume_at.append((number - 1, self._seg_pos + fmt.DESCRIPTOR_SIZE))
            self._section("data", self._written_volume.pack())

    def _header2(self) -> str:
        values = dict(self._header_values)
        values["m"] = str(int(self._metadata.acquired_at.timestamp()))
        values["u"] = str(int(self._metadata.system_at.timestamp()))
        return fmt.header2_text(values)

    def _header(self) -> str:
        values = dict(self._header_values)
        values["m"] = fmt.header_date(self._metadata.acquired_at)
        values["u"] = fmt.header_date(self._metadata.system_at)
        return fmt.header_text(values)

    def _close_segment(self) -> None:
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        self._finished_hashes[len(self._paths) - 1] = self._seg_sha.hexdigest()

    def _out(self, data: bytes) -> None:
        assert self._file is not None
        try:
            self._file.write(data)
        except OSError as exc:
            path = self._paths[-1]
            raise EvidenceError(f"cannot write {path}: {exc.strerror}", path=path) from exc
        self._seg_sha.update(data)
        self._seg_pos += len(data)

    def _section(self, section_type: str, data: bytes) -> None:
        self._out(fmt.pack_descriptor(section_type, self._seg_pos, fmt.DESCRIPTOR_SIZE + len(data)) + data)

    def _descriptor_only(self, section_type: str) -> None:
        self._out(fmt.pack_descriptor(section_type, self._seg_pos, 0))

    # ------------------------------------------------------------------------------------------ chunks

    def _queue_chunk(self, chunk: bytes) -> None:
        self._batch.append(chunk)
        if len(self._batch) >= self._batch_chunks:
            self._submit_batch()

    def _submit_batch(self) -> None:
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        if self._pool is None:
            self._emit(pack_batch(batch, self._level, self._zero, self._zero_packed))
            return
        self._pending.append(self._pool.submit(pack_batch, batch, self._level, self._zero, self._zero_packed))
        while len(self._pending) > self._max_pending:
            self._emit(self._pending.popleft().result())

    def _emit(self, packed: list[Packed]) -> None:
        for stored, compressed in packed:
            self._make_room(len(stored))
            offset = fmt.DESCRIPTOR_SIZE + self._group_bytes  # relative to the sectors section (the base)
            self._group_entries.append(offset | (fmt.COMPRESSED_FLAG if compressed else 0))
            self._group.append(stored)
            self._group_bytes += len(stored)
            self._chunks_written += 1
            self._seg_chunks += 1

    def _tables_size(self, entries: int) -> int:
        return 2 * (fmt.DESCRIPTOR_SIZE + fmt.TABLE_HEADER_SIZE + 4 * entries + 4)

    def _make_room(self, stored: int) -> None:
        n = len(self._group_entries)
        if n and (n >= fmt.MAX_TABLE_ENTRIES or self._group_bytes + stored > GROUP_BYTES):
            self._flush_group()
            n = 0
        needed = (
            self._seg_pos
            + fmt.DESCRIPTOR_SIZE
            + self._group_bytes
            + stored
            + self._tables_size(n + 1)
            + self._closing_reserve
        )
        if needed <= self._segment_size:
            return
        self._flush_group()
        if self._seg_chunks == 0:  # pragma: no cover - excluded by _check_segment_size
            raise UsageError(f"E01 segment size {self._segment_size:,} cannot hold one chunk")
        self._descriptor_only("next")
        self._close_segment()
        self._open_segment()

    def _flush_group(self) -> None:
        if not self._group:
            return
        base = self._seg_pos
        self._out(fmt.pack_descriptor("sectors", base, fmt.DESCRIPTOR_SIZE + self._group_bytes))
        for stored in self._group:
            self._out(stored)
        table = fmt.pack_table(self._group_entries, base)
        self._section("table", table)
        self._section("table2", table)
        self._group = []
        self._group_entries = []
        self._group_bytes = 0

    # ------------------------------------------------------------------------------------------ finishing

    def _final_hashes(self, given_md5: bytes, given_sha1: bytes) -> tuple[bytes, bytes]:
        pad = (-self._accepted) % self._bps
        if self._md5 is None or self._sha1 is None:
            if pad:
                raise UsageError(
                    f"{self._accepted:,} bytes were written to {self._paths[0]}, not the "
                    f"{self._media_size:,} announced, and the last sector is partial",
                    hint="give media_size=None when the length of the source is not known in advance",
                )
            return given_md5, given_sha1
        own_md5, own_sha1 = self._md5.copy(), self._sha1.copy()
        if own_md5.digest() != given_md5 or own_sha1.digest() != given_sha1:
            raise IntegrityError(
                f"the hashes given for {self._paths[0]} do not match the {self._accepted:,} bytes written",
                path=self._paths[0],
                hint="the acquisition must hash exactly the bytes it hands to the writer",
            )
        if pad:
            own_md5.update(bytes(pad))
            own_sha1.update(bytes(pad))
        return own_md5.digest(), own_sha1.digest()

    def _error_sectors(self, error_map: Sequence[ErrorRange]) -> list[tuple[int, int]]:
        ranges: list[tuple[int, int]] = []
        dropped = 0
        for r in sorted(error_map, key=lambda e: e.offset):
            if r.length <= 0:
                continue
            first = r.offset // self._bps
            last = -(-(r.offset + r.length) // self._bps)
            if first > fmt.MAX_SECTOR_NUMBER_32:
                dropped += 1
                continue
            ranges.append((first, min(last - first, fmt.MAX_SECTOR_NUMBER_32)))
        if dropped:
            warn(
                f"{dropped} unreadable range(s) beyond sector 2^32 cannot be listed in the error2 section of "
                f"{self._paths[0]} (EWF-E01 sector numbers are 32-bit); the ledger keeps the full error map"
            )
        return ranges

    def _patch_volumes(self, final: fmt.VolumeInfo) -> None:
        """Write the final counts where the volume/data sections were written without them."""
        if final == self._written_volume:
            return
        data = final.pack()
        patched = sorted({seg for seg, _ in self._volume_at})
        for seg, offset in self._volume_at:
            with open(self._paths[seg], "r+b") as f:
                f.seek(offset)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for seg in patched:
            self._finished_hashes[seg] = sha256_file(self._paths[seg])
        self._written_volume = final

    def _shutdown_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

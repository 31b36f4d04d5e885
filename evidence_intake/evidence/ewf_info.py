"""What an E01 says about itself, and whether its media data still matches what it says.

The sections are parsed here (ewf_layout) rather than through pyewf because pyewf hides what
verification must report: which segment, which chunk, at which offsets, failed (libewf-python has
no per-chunk error access) and whether a segment belongs to the set at all. Every structural fault
becomes an EvidenceError naming the segment file and the offset in it.

An E01 carries no hash of its own unless its writer stored one (``hash``/``digest`` sections). Such
an image is reported as "no stored hash", never as verified: libewf's ewfverify says SUCCESS for it
because it only checks the chunks' checksums.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from isal import isal_zlib

from evidence_intake.acquisition import ewf_format as fmt
from evidence_intake.acquisition.base import ErrorRange
from evidence_intake.acquisition.hashing import hash_file
from evidence_intake.evidence.ewf_layout import StoredChunk, format_name, parse_layout, stored_chunks
from evidence_intake.progress import Progress

ProgressCallback = Callable[[int, int], None]
BATCH_CHUNKS = 32


@dataclass(frozen=True, slots=True)
class EwfSegment:
    path: Path
    number: int
    size: int
    sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "number": self.number, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True, slots=True, kw_only=True)
class EwfInfo:
    """Metadata of an EWF-E01 image, as stored in its header, volume, error2 and hash sections."""

    path: Path  # the first segment
    format: str = "e01"
    format_name: str  # as libewf names it: "EnCase 6", "EnCase 5", "linen 5", "FTK Imager"…
    segments: list[EwfSegment]
    media_size: int
    bytes_per_sector: int
    sector_count: int
    sectors_per_chunk: int
    chunk_count: int
    compression: str  # none, fast, best (the volume section's level) or unknown
    media_type: str  # fixed, removable, optical, memory, logical or unknown
    physical: bool
    case_number: str | None = None
    evidence_number: str | None = None
    examiner: str | None = None
    description: str | None = None
    notes: str | None = None
    model: str | None = None
    serial: str | None = None
    operating_system: str | None = None
    software_version: str | None = None
    acquired_at: datetime | None = None  # UTC; None when the image gives a local time without zone
    acquired_at_raw: str | None = None
    system_at: datetime | None = None
    system_at_raw: str | None = None
    header_values: dict[str, str] = field(default_factory=dict)  # every raw "main" value by identifier
    md5: str | None = None
    sha1: str | None = None
    errors: list[ErrorRange] = field(default_factory=list)  # unreadable ranges at acquisition (error2)
    set_identifier: str | None = None

    @property
    def stored_hashes(self) -> dict[str, str]:
        return {k: v for k, v in (("md5", self.md5), ("sha1", self.sha1)) if v}

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "format_name": self.format_name,
            "segments": [s.to_dict() for s in self.segments],
            "media_size": self.media_size,
            "bytes_per_sector": self.bytes_per_sector,
            "sector_count": self.sector_count,
            "sectors_per_chunk": self.sectors_per_chunk,
            "chunk_count": self.chunk_count,
            "compression": self.compression,
            "media_type": self.media_type,
            "physical": self.physical,
            "case_number": self.case_number,
            "evidence_number": self.evidence_number,
            "examiner": self.examiner,
            "description": self.description,
            "notes": self.notes,
            "model": self.model,
            "serial": self.serial,
            "operating_system": self.operating_system,
            "software_version": self.software_version,
            "acquired_at": self.acquired_at.isoformat() if self.acquired_at else None,
            "acquired_at_raw": self.acquired_at_raw,
            "system_at": self.system_at.isoformat() if self.system_at else None,
            "system_at_raw": self.system_at_raw,
            "header_values": dict(self.header_values),
            "stored_hashes": {"md5": self.md5, "sha1": self.sha1},
            "errors": [e.to_dict() for e in self.errors],
            "set_identifier": self.set_identifier,
        }


@dataclass(frozen=True, slots=True)
class BadChunk:
    """A chunk whose data cannot be trusted: it fails its checksum or does not inflate."""

    segment: Path
    chunk: int  # index in the media, from 0
    media_offset: int
    file_offset: int  # where its stored bytes start in the segment file
    stored_size: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": str(self.segment),
            "chunk": self.chunk,
            "media_offset": self.media_offset,
            "file_offset": self.file_offset,
            "stored_size": self.stored_size,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class EwfVerification:
    """Hashes recomputed over the media data, compared with those the image stores.

    ``status``: "verified" (every stored hash matches), "mismatch" (one does not) or
    "no stored hash" (nothing to compare with: never reported as verified). ``bad_chunks`` lists
    every chunk that failed its own checksum; such chunks are hashed as zeros, as ``ewfverify -w``
    reads them, so a bad chunk normally shows as a mismatch too.
    """

    path: Path
    status: str
    media_size: int
    stored: dict[str, str]
    computed: dict[str, str]  # md5, sha1, sha256 over the media data
    bad_chunks: list[BadChunk]
    source_size: int | None = None  # bytes the acquisition read, when the last sector was padded
    source_hashes: dict[str, str] | None = None  # hashes of the first source_size bytes
    padding_is_zero: bool | None = None

    @property
    def ok(self) -> bool:
        return self.status == "verified" and not self.bad_chunks

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "status": self.status,
            "ok": self.ok,
            "media_size": self.media_size,
            "stored": dict(self.stored),
            "computed": dict(self.computed),
            "bad_chunks": [b.to_dict() for b in self.bad_chunks],
            "source_size": self.source_size,
            "source_hashes": self.source_hashes,
            "padding_is_zero": self.padding_is_zero,
        }


def _value(values: dict[str, str], key: str) -> str | None:
    v = values.get(key)
    return v if v else None


def segment_sha256(path: Path, progress: Progress | None = None) -> str:
    """SHA-256 of one segment file; a segment can be gigabytes, so its bytes are reported as read."""
    sink = progress or Progress()
    sink.phase(f"hashing {path.name}", path.stat().st_size)
    return hash_file(path, ("sha256",), progress=sink.advance)["sha256"]


def read_ewf_info(
    first_segment: Path, *, segment_hashes: bool = False, progress: Progress | None = None
) -> EwfInfo:
    """Metadata of the E01 whose first (or any) segment is ``first_segment``.

    Checks the structure of every segment on the way (signatures, segment numbers, section
    checksums, set identifiers, table counts); ``segment_hashes`` adds each file's SHA-256
    (one ``progress`` phase per segment).
    """
    layout = parse_layout(first_segment)
    vol = layout.volume
    values = dict(layout.header or {})
    values.update(layout.header2 or {})
    m_raw = _value(values, "m")
    u_raw = _value(values, "u")
    epoch_dates = layout.header2 is not None or (m_raw or "").strip().isdigit()
    return EwfInfo(
        path=layout.paths[0],
        format_name=format_name(layout),
        segments=[
            EwfSegment(p, i + 1, size, segment_sha256(p, progress) if segment_hashes else None)
            for i, (p, size) in enumerate(zip(layout.paths, layout.sizes, strict=True))
        ],
        media_size=vol.media_size,
        bytes_per_sector=vol.bytes_per_sector,
        sector_count=vol.sector_count,
        sectors_per_chunk=vol.sectors_per_chunk,
        chunk_count=vol.chunk_count,
        compression=fmt.COMPRESSION_NAMES.get(vol.compression_level, "unknown"),
        media_type=fmt.MEDIA_TYPE_NAMES.get(vol.media_type, "unknown"),
        physical=bool(vol.media_flags & fmt.MEDIA_FLAG_PHYSICAL),
        case_number=_value(values, "c"),
        evidence_number=_value(values, "n"),
        examiner=_value(values, "e"),
        description=_value(values, "a"),
        notes=_value(values, "t"),
        model=_value(values, "md"),
        serial=_value(values, "sn"),
        operating_system=_value(values, "ov"),
        software_version=_value(values, "av"),
        acquired_at=fmt.parse_header2_date(m_raw) if m_raw and epoch_dates else None,
        acquired_at_raw=m_raw,
        system_at=fmt.parse_header2_date(u_raw) if u_raw and epoch_dates else None,
        system_at_raw=u_raw,
        header_values=values,
        md5=layout.md5.hex() if layout.md5 else None,
        sha1=layout.sha1.hex() if layout.sha1 else None,
        errors=[
            ErrorRange(start * vol.bytes_per_sector, count * vol.bytes_per_sector)
            for start, count in layout.errors
        ],
        set_identifier=vol.guid,
    )


# ---------------------------------------------------------------------------------------------- verification


class _Hashers:
    """MD5, SHA-1 and SHA-256, each in its own thread (hashlib releases the GIL), fed the same blocks."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = names
        self._queues: list[queue.Queue[tuple[str, bytes | int]]] = []
        self._threads: list[threading.Thread] = []
        self.results: dict[str, str] = {}
        self.snapshots: dict[str, str] = {}
        for name in names:
            q: queue.Queue[tuple[str, bytes | int]] = queue.Queue(maxsize=16)
            t = threading.Thread(target=self._run, args=(name, q), name=f"verify-{name}", daemon=True)
            t.start()
            self._queues.append(q)
            self._threads.append(t)

    def _run(self, name: str, q: queue.Queue[tuple[str, bytes | int]]) -> None:
        h = hashlib.new(name)
        while True:
            kind, payload = q.get()
            if kind == "data":
                assert isinstance(payload, bytes)
                h.update(payload)
            elif kind == "snapshot":
                self.snapshots[name] = h.copy().hexdigest()
            else:
                self.results[name] = h.hexdigest()
                return

    def update(self, block: bytes) -> None:
        for q in self._queues:
            q.put(("data", block))

    def snapshot(self) -> None:
        for q in self._queues:
            q.put(("snapshot", 0))

    def finish(self) -> dict[str, str]:
        for q in self._queues:
            q.put(("end", 0))
        for t in self._threads:
            t.join()
        return {n: self.results[n] for n in self._names}


def _check_chunk(job: StoredChunk) -> tuple[bytes, str | None]:
    """The chunk's media bytes and None, or zeros and the reason it is bad (runs in a worker)."""
    if job.compressed:
        try:
            data = isal_zlib.decompress(job.stored)
        except Exception as exc:  # isal's IsalError, zlib.error: any failure makes the chunk bad
            return bytes(job.expected), f"compressed chunk does not inflate ({exc})"
        if len(data) != job.expected:
            return bytes(job.expected), f"inflates to {len(data):,} bytes instead of {job.expected:,}"
        return data, None
    if len(job.stored) != job.expected + 4:
        return bytes(job.expected), f"stored as {len(job.stored):,} bytes, expected {job.expected + 4:,}"
    data = job.stored[: job.expected]
    stored_sum = int.from_bytes(job.stored[job.expected :], "little")
    if fmt.adler32(data) != stored_sum:
        return bytes(job.expected), "Adler-32 checksum of the uncompressed chunk fails"
    return data, None


def _check_batch(batch: list[StoredChunk]) -> list[tuple[bytes, str | None]]:
    return [_check_chunk(job) for job in batch]


def verify_ewf(
    first_segment: Path,
    *,
    progress: ProgressCallback | None = None,
    source_size: int | None = None,
    workers: int | None = None,
) -> EwfVerification:
    """Recompute MD5, SHA-1 and SHA-256 over the media data and compare with the stored hashes.

    Every chunk is checked on the way (Adler-32 of raw chunks, inflation of compressed ones); bad
    chunks are listed by segment file, chunk number and offsets. ``source_size`` is the number of
    bytes the acquisition read (the ledger's size): when the image padded a partial last sector,
    the hashes of exactly those bytes are returned as ``source_hashes``, to compare with the ledger.
    """
    layout = parse_layout(first_segment)
    info_paths = layout.paths
    media_size = layout.volume.media_size
    padded = (
        source_size is not None and media_size - layout.volume.bytes_per_sector < source_size < media_size
    )
    snapshot_at = source_size if padded else None
    hashers = _Hashers(("md5", "sha1", "sha256"))
    bad: list[BadChunk] = []
    done = 0
    padding_zero: bool | None = None
    pool_size = max(1, workers if workers is not None else (os.cpu_count() or 1))
    pending: list[Future[list[tuple[bytes, str | None]]]] = []
    batches: list[list[StoredChunk]] = []
    try:
        with ThreadPoolExecutor(pool_size, "ewf-verify") as pool:

            def drain(keep: int) -> None:
                nonlocal done, padding_zero
                while len(pending) > keep:
                    results = pending.pop(0).result()
                    jobs = batches.pop(0)
                    block = bytearray()
                    for job, (data, reason) in zip(jobs, results, strict=True):
                        if reason is not None:
                            bad.append(
                                BadChunk(
                                    info_paths[job.segment],
                                    job.index,
                                    job.index * layout.volume.chunk_size,
                                    job.file_offset,
                                    len(job.stored),
                                    reason,
                                )
                            )
                        block += data
                    data_block = bytes(block)
                    if snapshot_at is not None and done <= snapshot_at < done + len(data_block):
                        cut = snapshot_at - done
                        hashers.update(data_block[:cut])
                        hashers.snapshot()
                        padding_zero = not any(data_block[cut:])
                        hashers.update(data_block[cut:])
                    else:
                        hashers.update(data_block)
                    done += len(data_block)
                    if progress is not None:
                        progress(done, media_size)

            batch: list[StoredChunk] = []
            for job in stored_chunks(layout):
                batch.append(job)
                if len(batch) >= BATCH_CHUNKS:
                    batches.append(batch)
                    pending.append(pool.submit(_check_batch, batch))
                    batch = []
                    drain(2 * pool_size + 1)
            if batch:
                batches.append(batch)
                pending.append(pool.submit(_check_batch, batch))
            drain(0)
    finally:
        computed = hashers.finish()
    stored = {k: v.hex() for k, v in (("md5", layout.md5), ("sha1", layout.sha1)) if v}
    if not stored:
        status = "no stored hash"
    elif all(computed[k] == v for k, v in stored.items()):
        status = "verified"
    else:
        status = "mismatch"
    return EwfVerification(
        path=info_paths[0],
        status=status,
        media_size=media_size,
        stored=stored,
        computed=computed,
        bad_chunks=bad,
        source_size=snapshot_at,
        source_hashes=(
            {n: hashers.snapshots[n] for n in ("md5", "sha1", "sha256")} if snapshot_at is not None else None
        ),
        padding_is_zero=padding_zero,
    )

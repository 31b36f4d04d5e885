"""Raw (dd) images, whole or split into segments of a fixed size: base.raw, or base.001, base.002…

Raw images are resumable: the bytes already written are exactly the media bytes, so an
interrupted acquisition continues after the last point that was flushed to disk.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from evidence_intake.acquisition.base import ErrorRange, ImageWriter
from evidence_intake.errors import ConflictError, UsageError
from evidence_intake.evidence.segments import split_raw_name

_O_DIRECT = getattr(os, "O_DIRECT", 0)
_ALIGN = 4096  # covers 512-byte and 4096-byte logical blocks


def raw_paths(base: Path, *, split: int | None, size: int) -> list[Path]:
    """Names of the segment files a raw image of ``size`` bytes will have."""
    if not split:
        return [base.with_name(base.name + ".raw")]
    count = max(1, -(-size // split))
    return [split_raw_name(base, i) for i in range(count)]


class RawWriter(ImageWriter):
    format: ClassVar[str] = "raw"
    resumable: ClassVar[bool] = True

    def __init__(self, base: Path, *, split: int | None = None, sector_size: int = 512) -> None:
        if split is not None and split < sector_size:
            raise UsageError(
                f"split size {split} bytes is smaller than a sector ({sector_size} bytes)",
                hint="use a split size such as 2GiB or 650MB",
            )
        if split is not None and split % sector_size:
            raise UsageError(
                f"split size {split} is not a whole number of {sector_size}-byte sectors",
                hint="use sizes such as 2GiB, 4000000000 is fine (a multiple of 512)",
            )
        self.base = base
        self.split = split
        self._paths: list[Path] = []
        self._fd = -1
        self._in_segment = 0
        self._accepted = 0
        self._direct = False
        self.discarded: list[str] = []

    # -- segment handling ----------------------------------------------------------------

    def _segment_path(self, index: int) -> Path:
        if self.split is None:
            return self.base.with_name(self.base.name + ".raw")
        return split_raw_name(self.base, index)

    def _open_next(self) -> None:
        if self._fd >= 0:  # a finished segment is made durable before it is left
            os.fsync(self._fd)
            os.close(self._fd)
        path = self._segment_path(len(self._paths))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            try:
                self._fd = os.open(path, flags | _O_DIRECT, 0o444)
                self._direct = bool(_O_DIRECT)
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # EINVAL: the file system refuses direct I/O
                    raise
                self._fd = os.open(path, flags, 0o444)
                self._direct = False
        except FileExistsError as exc:
            raise ConflictError(f"{path} already exists; an image is never overwritten", path=path) from exc
        self._paths.append(path)
        self._in_segment = 0

    def _buffered(self) -> None:
        """Leave direct I/O for the rest of this segment (an unaligned tail or buffer)."""
        if self._direct:
            fcntl.fcntl(self._fd, fcntl.F_SETFL, fcntl.fcntl(self._fd, fcntl.F_GETFL) & ~_O_DIRECT)
            self._direct = False

    def _write_all(self, view: memoryview) -> None:
        """Write ``view`` at the current position of the segment.

        Images are written with direct I/O where the file system allows it: the bytes go from the
        read buffer to the device without a copy through the page cache, which on virtual machines
        costs the kernel more than hashing them. Direct I/O needs aligned offsets, lengths and
        buffers; whatever is not (the last partial block, an odd split size) is written buffered.
        """
        if self._direct:
            aligned = len(view) - len(view) % _ALIGN if self._in_segment % _ALIGN == 0 else 0
            try:
                while aligned:
                    n = os.write(self._fd, view[:aligned])
                    view, aligned = view[n:], aligned - n
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # EINVAL: this buffer is not aligned for direct I/O
                    raise
            if view:
                self._buffered()
        while view:
            n = os.write(self._fd, view)
            view = view[n:]

    # -- ImageWriter ---------------------------------------------------------------------

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data).cast("B")
        if self._fd < 0:
            self._open_next()
        while view:
            if self.split is not None and self._in_segment >= self.split:
                self._open_next()
            room = len(view) if self.split is None else min(len(view), self.split - self._in_segment)
            self._write_all(view[:room])
            self._in_segment += room
            self._accepted += room
            view = view[room:]

    def sync_handle(self) -> int:
        """A duplicate of the current segment's descriptor, to fsync from another thread."""
        return os.dup(self._fd) if self._fd >= 0 else -1

    def flush(self) -> None:
        """Make everything written so far durable (the engine's resume points)."""
        if self._fd >= 0:
            os.fsync(self._fd)

    def finish(self, *, hashes: Mapping[str, str], error_map: Sequence[ErrorRange]) -> list[Path]:
        if self._fd < 0:  # a 0-byte source still gives an (empty) image file
            self._open_next()
        self.flush()
        os.close(self._fd)
        self._fd = -1
        return list(self._paths)

    def abort(self) -> None:
        if self._fd >= 0:
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = -1

    @property
    def paths(self) -> list[Path]:
        return list(self._paths)

    @property
    def bytes_accepted(self) -> int:
        return self._accepted

    # -- resuming ------------------------------------------------------------------------

    @classmethod
    def resume(cls, base: Path, *, split: int | None, offset: int, sector_size: int = 512) -> RawWriter:
        """Reopen a partial image so that the next byte written lands at media ``offset``.

        Anything beyond ``offset`` (written after the last durable resume point) is cut off:
        it may not have reached the disk intact.
        """
        writer = cls(base, split=split, sector_size=sector_size)
        if split is None:
            count, in_last = 1, offset
        else:
            count = max(1, -(-offset // split))
            in_last = offset - (count - 1) * split
        paths = [writer._segment_path(i) for i in range(count)]
        for i, path in enumerate(paths):
            expected = in_last if i == count - 1 else split
            if not path.is_file() or path.stat().st_size < (expected or 0):
                raise ConflictError(
                    f"cannot resume: {path} is missing or shorter than the {expected} bytes recorded",
                    path=path,
                    hint="start a new acquisition without --resume",
                )
        # Segments begun after the last durable point hold nothing that can be trusted: they are
        # our own unfinished output (never evidence), removed so that they are written again.
        writer.discarded = []
        index = count
        while split is not None and (later := writer._segment_path(index)).exists():
            later.unlink()
            writer.discarded.append(later.name)
            index += 1
        last = paths[-1]
        os.chmod(last, 0o644)
        fd = os.open(last, os.O_WRONLY)
        os.ftruncate(fd, in_last)
        os.lseek(fd, in_last, os.SEEK_SET)
        writer._fd = fd
        writer._paths = paths
        writer._in_segment = in_last
        writer._accepted = offset
        return writer


def seal_files(paths: Sequence[Path]) -> None:
    """Finished images are made read-only on disk (0444), a guard against accidental writes."""
    for path in paths:
        try:
            os.chmod(path, 0o444)
        except OSError:
            continue

"""Resuming an interrupted raw acquisition: finding it, proving the medium is the same, and the
durable points a resume can trust."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from evidence_intake.acquisition.base import ErrorRange
from evidence_intake.acquisition.hashing import MultiHasher
from evidence_intake.acquisition.pipeline import DEFAULT_BLOCK
from evidence_intake.acquisition.raw import RawWriter
from evidence_intake.acquisition.sources import Source
from evidence_intake.case import Case
from evidence_intake.errors import ConflictError, UsageError
from evidence_intake.progress import Progress
from evidence_intake.register import Acquisition, list_acquisitions


class BackgroundSync:
    """Makes resume points durable in a worker thread, so that the read pass never waits for the disk.

    At a checkpoint the image's current segment is fsynced (through a duplicated descriptor) while
    reading goes on; once that fsync has returned, the offset it covered is a point a resume can
    trust, and the next checkpoint records it in the register.
    """

    def __init__(self, writer: RawWriter) -> None:
        self._writer = writer
        self._thread: threading.Thread | None = None
        self._pending: tuple[int, list[ErrorRange]] | None = None
        self._error: OSError | None = None

    def _sync(self, fd: int) -> None:
        try:
            os.fsync(fd)
        except OSError as exc:
            self._error = exc
        finally:
            os.close(fd)

    def request(self, offset: int, errors: Sequence[ErrorRange]) -> tuple[int, list[ErrorRange]] | None:
        """Start making ``offset`` durable; return an earlier point that now is, if any."""
        completed = None
        if self._thread is not None and not self._thread.is_alive():
            self._thread.join()
            self._thread = None
            if self._error is not None:
                raise self._error
            completed = self._pending
        if self._thread is None:
            fd = self._writer.sync_handle()
            if fd >= 0:
                self._pending = (offset, list(errors))
                self._thread = threading.Thread(
                    target=self._sync, args=(fd,), name="image-fsync", daemon=True
                )
                self._thread.start()
        return completed


def find_resumable(case: Case, exhibit: str, source: Source) -> Acquisition:
    candidates = [
        a
        for a in list_acquisitions(case, exhibit)
        if a.kind == "physical" and a.status in ("incomplete", "failed")
    ]
    if not candidates:
        raise UsageError(
            f"exhibit {exhibit} has no interrupted acquisition to resume",
            hint="start the acquisition without --resume",
        )
    acq = candidates[-1]
    if acq.format not in ("raw", "split-raw"):
        raise UsageError(
            f"acquisition {acq.id[:8]} of {exhibit} is an {acq.format.upper()} image, which is not resumed",
            hint="start it again without --resume: the incomplete image stays on record as it is",
        )
    ident = source.identity()
    same = all(acq.source_identity.get(k) == ident.get(k) for k in ("size", "serial", "model", "kind"))
    if not same:
        raise ConflictError(
            f"the source {source.path} is not the medium of the interrupted acquisition {acq.id[:8]}",
            hint="connect the same device, or start a new acquisition without --resume",
        )
    return acq


def rehash_partial(paths: Sequence[Path], upto: int, hasher: MultiHasher, progress: Progress) -> None:
    remaining = upto
    for path in paths:
        with open(path, "rb", buffering=0) as fh:
            while remaining:
                chunk = fh.read(min(DEFAULT_BLOCK, remaining))
                if not chunk:
                    break
                hasher.update(chunk)
                remaining -= len(chunk)
                progress.advance(len(chunk))
    if remaining:
        raise ConflictError(
            f"cannot resume: the partial image holds fewer than the {upto} bytes recorded",
            hint="start a new acquisition without --resume",
        )


def same_tail(source: Source, paths: Sequence[Path], upto: int, split: int | None) -> bool:
    """The last MiB before the resume point must read the same from the source and the image."""
    span = min(upto, 1 << 20)
    if span == 0:
        return True
    start = upto - span
    from_source = bytearray(span)
    try:
        n = source.readinto(start, memoryview(from_source))
    except OSError:
        return True  # an unreadable tail is in the error map; nothing to compare
    if n != span:
        return False
    image = bytearray()
    offset = start
    while len(image) < span:
        index = offset // split if split else 0
        within = offset - index * split if split else offset
        with open(paths[index], "rb") as fh:
            fh.seek(within)
            part = fh.read(span - len(image))
        if not part:
            return False
        image += part
        offset += len(part)
    return bytes(image) == bytes(from_source)

"""What the logical containers (folder, tar, zip, iOS backup) share: names, times, problems, streams.

Member names in archives are data from the suspect's side: they may climb out of the archive
("../../etc/passwd"), be absolute ("/abs/path"), hold bytes that are not UTF-8, or repeat. The
trees never write anything, so such names are harmless here; they are *shown* in a normalised
display form (:func:`display_path`) and kept raw in each entry's ``locator``. ``..`` is never
resolved: "/../../etc/passwd" stays visible as what it is.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO

from evidence_intake.errors import EvidenceError, IntakeError
from evidence_intake.evidence.model import Problem
from evidence_intake.timeutil import from_epoch

CHUNK = 1024 * 1024
SPILL_IN_MEMORY = 8 * 1024 * 1024  # members up to this size are spilled to memory, larger ones to disk
MAX_PROBLEMS = 10_000  # per tree; further problems are counted in one summary problem


def printable(name: str) -> str:
    """``name`` with undecodable bytes (surrogate escapes) shown as ``\\xNN`` so it can be stored as text."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def display_path(raw: str) -> str:
    """The '/'-separated absolute form of a member name, for listings only.

    Empty and "." segments are dropped and a leading "/" added; ".." segments are kept as they
    are so that a member that climbs out of the archive stays visible ("/../../etc/passwd").
    Undecodable bytes are shown as ``\\xNN``.
    """
    segments = [s for s in printable(raw).split("/") if s not in ("", ".")]
    return "/" + "/".join(segments)


def entry_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def suspicious_name(raw: str) -> str | None:
    """Why a member name would escape an output folder if someone extracted it naively, or None."""
    if raw.startswith("/") or raw.startswith("\\"):
        return "is an absolute path"
    if len(raw) >= 2 and raw[1] == ":" and raw[0].isalpha():
        return "starts with a drive letter"
    if ".." in raw.replace("\\", "/").split("/"):
        return "climbs out of the archive ('..')"
    return None


def utc_from_unix(value: float | int | None) -> datetime | None:
    """A Unix time (seconds) as an aware UTC datetime; None for missing or out-of-range values."""
    if value is None:
        return None
    try:
        return from_epoch(float(value))
    except (TypeError, ValueError, OverflowError):
        return None


class ProblemLog:
    """Problems of one tree, each kept once however many times the tree is walked, up to a cap.

    Repeated walks (``lookup`` walks too) find the same damage again; keeping each problem once
    keeps ``tree.problems`` stable. Past ``MAX_PROBLEMS`` one summary problem counts the rest, so
    an archive of a million hostile names cannot grow the list without bound.
    """

    def __init__(self, target: list[Problem], where: str) -> None:
        self._target = target
        self._seen: set[Problem] = set(target)
        self._where = where
        self._dropped = 0

    def add(self, problem: Problem) -> None:
        if problem in self._seen:
            return
        if len(self._seen) >= MAX_PROBLEMS:
            self._dropped += 1
            summary = Problem(
                where=self._where,
                reason=f"{self._dropped} more problems were found and not listed (limit {MAX_PROBLEMS})",
                kind="truncated-list",
            )
            self._target[:] = [p for p in self._target if p.kind != "truncated-list"]
            self._target.append(summary)
            return
        self._seen.add(problem)
        self._target.append(problem)


class _ReadOnlyRaw(io.RawIOBase):
    """Read-only raw view of a readable, seekable binary stream; closing it closes what it owns.

    Whatever the container library raises while reading (a CRC mismatch, a cut-off compressed
    stream) reaches the caller as an :class:`EvidenceError` naming the member.
    """

    def __init__(self, inner: IO[bytes], owned: list[Callable[[], None]], label: str | None) -> None:
        super().__init__()
        self._inner = inner
        self._owned = owned
        self._label = label or "the entry"

    def _failed(self, exc: Exception) -> EvidenceError:
        return EvidenceError(
            f"reading {self._label} failed: {exc}",
            hint="the container is damaged at this entry; the entries before it can still be read",
        )

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._inner.seekable()

    def writable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        try:
            data = self._inner.read(len(view))
        except IntakeError:
            raise
        except Exception as exc:
            raise self._failed(exc) from exc
        n = len(data)
        view[:n] = data
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        try:
            return self._inner.seek(offset, whence)
        except IntakeError:
            raise
        except Exception as exc:
            raise self._failed(exc) from exc

    def tell(self) -> int:
        return self._inner.tell()

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._inner.close()
            for release in reversed(self._owned):
                release()
        finally:
            super().close()


def read_only(inner: IO[bytes], *owned: Callable[[], None], label: str | None = None) -> BinaryIO:
    """A buffered, read-only stream over ``inner`` (seekable when it is); ``owned`` callables run on close."""
    return io.BufferedReader(_ReadOnlyRaw(inner, list(owned), label), buffer_size=CHUNK)


def spill(source: IO[bytes], scratch: Path | None) -> BinaryIO:
    """Copy a forward-only stream into a temporary file and return it read-only and seekable.

    Used where a container cannot seek cheaply (a member of a compressed tar). Small members stay
    in memory; larger ones go to ``scratch`` (the case scratch folder when given, else the
    system's temporary folder) and are deleted when the stream is closed.
    """
    directory = None if scratch is None else str(scratch)
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    spool = tempfile.SpooledTemporaryFile(max_size=SPILL_IN_MEMORY, dir=directory)
    try:
        shutil.copyfileobj(source, spool, CHUNK)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return read_only(spool)


def open_no_atime(path: Path) -> BinaryIO:
    """Open a regular file read-only, never through a final symlink, sparing its access time when allowed.

    O_NONBLOCK keeps a FIFO swapped in after the listing from hanging the open; anything but a
    regular file is then refused.
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    noatime = getattr(os, "O_NOATIME", 0)
    try:
        fd = os.open(path, flags | noatime)
    except PermissionError:
        if not noatime:
            raise
        fd = os.open(path, flags)  # O_NOATIME needs ownership of the file
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")

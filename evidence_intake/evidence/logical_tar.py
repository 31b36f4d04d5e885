"""A tar archive (plain, gzip, bzip2 or xz; told by content, never by extension) as an evidence tree.

Phone extractions often arrive as one huge tar (or tar.gz) of the data partition. The walk reads
the archive once, front to back: one header at a time, member data skipped (by seeking in a plain
tar, so only the headers are read; a compressed tar must be decompressed through), nothing
unpacked, and no list of all members kept (tarfile would keep every ``TarInfo``; the walk clears
that list as it goes), so memory stays flat on an archive with a million members.

Damage does not stop the listing: members before a bad header, a cut-off member or a broken
compressed stream are listed, and a :class:`Problem` names the member or offset where reading
stopped. tarfile itself ends quietly at a bad header after the first; a recording ``TarInfo``
subclass tells us why it stopped.

Reading a member: in a plain tar the member is read in place (seekable, no copy). In a
compressed tar there is no random access: opening a member decompresses the archive from the
start up to it (cost proportional to the member's position) and copies the member to a temporary
spill (memory up to 8 MiB, the scratch folder beyond), deleted when the stream is closed.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Self

from evidence_intake.errors import EvidenceError, NotFoundError
from evidence_intake.evidence.logical_common import (
    ProblemLog,
    display_path,
    entry_name,
    printable,
    read_only,
    spill,
    suspicious_name,
    utc_from_unix,
)
from evidence_intake.evidence.logical_detect import (
    compression_of,
    unsupported_compression,
)
from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree, Problem, Volume

# What a damaged compressed stream raises while being read.
_STREAM_ERRORS: tuple[type[BaseException], ...] = (EOFError, zlib.error, lzma.LZMAError, OSError, ValueError)
TAR_ERRORS: tuple[type[BaseException], ...] = (tarfile.TarError, *_STREAM_ERRORS)


def decompressed(raw: BinaryIO, compression: str) -> BinaryIO:
    """A readable (and, emulated, seekable) stream of the archive's tar bytes."""
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "bzip2":
        return bz2.BZ2File(raw, "rb")  # type: ignore[return-value]
    if compression == "xz":
        return lzma.LZMAFile(raw, "rb")  # type: ignore[return-value]
    return raw


def _recording_tarinfo(errors: list[Exception]) -> type[tarfile.TarInfo]:
    """A TarInfo class that notes why a header could not be read before tarfile swallows the reason."""

    class Recording(tarfile.TarInfo):
        @classmethod
        def fromtarfile(cls, archive: tarfile.TarFile) -> Self:
            try:
                return super().fromtarfile(archive)
            except tarfile.HeaderError as exc:
                errors.append(exc)
                raise

    return Recording


def _pax_time(info: tarfile.TarInfo, key: str) -> Any:
    value = info.pax_headers.get(key)
    if value is None:
        return None
    try:
        return utc_from_unix(float(value))
    except ValueError:
        return None


class TarTree(EvidenceTree):
    """A tar archive as a read-only tree; ``scratch`` receives spilled members of compressed archives."""

    def __init__(self, path: Path, *, scratch: Path | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise NotFoundError(
                f"{self.path} does not exist or is not a file",
                path=self.path,
                hint="give the path of the tar archive (.tar, .tar.gz/.tgz, .tar.bz2, .tar.xz)",
            )
        with self.path.open("rb") as raw:
            head = raw.read(8)
        compression = compression_of(head)
        if compression is None:
            raise EvidenceError(
                f"{self.path} is compressed with {unsupported_compression(head)}, which cannot be read yet",
                path=self.path,
                hint="decompress it to a new file with the matching tool (zstd -d, uncompress, lz4 -d), "
                "hash both, keep the original, and give the decompressed tar",
            )
        self.compression = compression
        self.size = self.path.stat().st_size
        self.scratch = scratch
        self.problems: list[Problem] = []
        self._log = ProblemLog(self.problems, str(self.path))

    def volumes(self) -> list[Volume]:
        kind = f"tar archive ({self.compression})" if self.compression else "tar archive"
        return [Volume(name="", offset=0, size=self.size, description=kind, filesystem="tar")]

    def walk(self) -> Iterator[Entry]:
        for entry, _content in self._scan(content=False):
            yield entry

    def walk_contents(self) -> Iterator[tuple[Entry, BinaryIO | None]]:
        """Each entry with a stream of its content (files only; None otherwise), in ONE pass.

        Hashing every member of a compressed tar through ``open`` would decompress the archive
        again for each member; this reads it once. A stream is forward-only and can be read only
        until the next entry is taken. The manifest uses this when a tree offers it.
        """
        yield from self._scan(content=True)

    def _scan(self, *, content: bool) -> Iterator[tuple[Entry, BinaryIO | None]]:
        errors: list[Exception] = []
        with self.path.open("rb") as raw, decompressed(raw, self.compression) as stream:
            try:
                tar = tarfile.open(
                    fileobj=stream,
                    # a plain tar is seekable: member data is skipped by seeking, only headers are read;
                    # a compressed one is a stream that must be decompressed through anyway
                    mode="r|" if self.compression else "r:",
                    tarinfo=_recording_tarinfo(errors),
                    encoding="utf-8",
                    errors="surrogateescape",
                )
            except TAR_ERRORS as exc:
                self._log.add(
                    Problem(
                        where=str(self.path),
                        reason=f"the first member header cannot be read ({exc}): nothing could be listed",
                        kind="corrupt",
                    )
                )
                return
            index = 0
            previous: tarfile.TarInfo | None = None
            while True:
                try:
                    info = tar.next()
                except tarfile.ReadError as exc:
                    self._stopped(str(exc), tar.offset, previous, index)
                    return
                except _STREAM_ERRORS as exc:
                    self._stopped(f"the compressed stream is damaged ({exc})", tar.offset, previous, index)
                    return
                if info is None:
                    self._ended(errors, tar.offset)
                    return
                tar.members.clear()  # type: ignore[attr-defined]  # else tarfile keeps every header
                entry = self._entry(info, index)
                member = tar.extractfile(info) if content and entry.type is EntryType.FILE else None
                if member is None:
                    yield entry, None
                else:
                    label = f"{entry.path} (member #{index}) in {self.path}"
                    with read_only(member, label=label) as readable:
                        yield entry, readable
                previous = info
                index += 1

    def _stopped(self, why: str, offset: int, previous: tarfile.TarInfo | None, index: int) -> None:
        if previous is not None and "unexpected end of data" in why:
            reason = (
                f"member #{index - 1} {printable(previous.name)!r} is cut short: its data should run to "
                f"offset {previous.offset_data + previous.size} but the archive ends before; "
                "the archive is truncated and nothing after it can be listed"
            )
            where = display_path(previous.name)
        else:
            after = f" after member #{index - 1} {printable(previous.name)!r}" if previous else ""
            reason = f"reading stopped at tar offset {offset}{after}: {why}; nothing after it can be listed"
            where = f"{self.path}@{offset}"
        self._log.add(Problem(where=where, reason=reason, kind="corrupt"))

    def _ended(self, errors: list[Exception], offset: int) -> None:
        """The walk ended; say so when it was not at the end-of-archive marker."""
        last = errors[-1] if errors else None
        why = type(last).__name__  # tarfile's header errors other than HeaderError are private
        if last is None or why == "EOFHeaderError":
            return
        if why == "EmptyHeaderError":
            reason = (
                f"the archive ends at tar offset {offset} without its end-of-archive marker: "
                "it may have been cut at a member boundary"
            )
        elif why == "TruncatedHeaderError":
            reason = f"the member header at tar offset {offset} is cut short: the archive is truncated"
        else:
            reason = (
                f"the header at tar offset {offset} is not valid ({last}): the archive is damaged "
                "there and members after it are not listed"
            )
        self._log.add(Problem(where=f"{self.path}@{offset}", reason=reason, kind="corrupt"))

    def _entry(self, info: tarfile.TarInfo, index: int) -> Entry:
        path = display_path(info.name)
        why = suspicious_name(info.name)
        if why:
            self._log.add(
                Problem(
                    where=path,
                    reason=f"member #{index} name {printable(info.name)!r} {why}; "
                    "listed as is, never extracted",
                    kind="suspicious",
                )
            )
        link_target: str | None = None
        if info.isreg():
            kind, size = EntryType.FILE, info.size
        elif info.isdir():
            kind, size = EntryType.DIRECTORY, 0
        elif info.issym() or info.islnk():
            kind = EntryType.LINK
            # a symbolic link keeps its target as written; a hard link names an earlier member
            link_target = printable(info.linkname) if info.issym() else display_path(info.linkname)
            size = len(info.linkname.encode("utf-8", "surrogateescape"))
        else:
            kind, size = EntryType.OTHER, 0
        return Entry(
            path=path,
            name=entry_name(path),
            type=kind,
            size=size,
            filesystem="tar",
            inode=index,
            mtime=utc_from_unix(info.mtime),
            atime=_pax_time(info, "atime"),
            ctime=_pax_time(info, "ctime"),
            crtime=_pax_time(info, "LIBARCHIVE.creationtime"),
            link_target=link_target,
            mode=info.mode & 0o7777,
            uid=info.uid,
            gid=info.gid,
            locator=("tar", index, info.offset, info.name),
        )

    def open(self, entry: Entry) -> BinaryIO:
        if len(entry.locator) != 4 or entry.locator[0] != "tar":
            raise EvidenceError(f"{entry.path} was not listed from the tar {self.path}", path=self.path)
        _tag, index, offset, raw_name = entry.locator
        if entry.type is not EntryType.FILE:
            what = "a link (open its target instead)" if entry.type is EntryType.LINK else f"a {entry.type}"
            raise EvidenceError(f"{entry.path} in {self.path} is {what}, not a file", path=self.path)
        assert isinstance(offset, int)
        label = f"{entry.path} (member #{index}) in {self.path}"
        raw = self.path.open("rb")
        try:
            stream = decompressed(raw, self.compression)
            tar = tarfile.open(fileobj=stream, mode="r:", encoding="utf-8", errors="surrogateescape")
            stream.seek(offset)
            info = tar.tarinfo.fromtarfile(tar)
            if info.name != raw_name:
                raise EvidenceError(
                    f"{label}: the member at tar offset {offset} is now {printable(info.name)!r}",
                    path=self.path,
                    hint="the archive changed since it was listed; verify its hash against the acquisition",
                )
            member = tar.extractfile(info)
            if member is None:
                raise EvidenceError(f"{label} has no content to read", path=self.path)
            if not self.compression:
                return read_only(member, raw.close, label=label)
            try:
                return spill(member, self.scratch)
            finally:
                member.close()
                stream.close()
                raw.close()
        except EvidenceError:
            raw.close()
            raise
        except TAR_ERRORS as exc:
            raw.close()
            raise EvidenceError(
                f"cannot read {label}: {exc}",
                path=self.path,
                hint="the archive is damaged at or before this member; "
                "members listed before it may still be read",
            ) from exc

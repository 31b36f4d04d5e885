"""Logical sources as evidence trees: a folder, a tar or zip archive, an iTunes/Finder iOS backup.

A logical extraction of a phone (adb pull, a vendor tool's "file system" export, an iOS backup)
arrives as one of these containers rather than as a disk image. Each opens as an
:class:`EvidenceTree`, so the parsers walk it exactly as they walk a file system in an image.

:func:`detect_logical` tells the kind from the content (magic numbers, tar header checksum),
never from the file name: seized archives are often renamed. The trees themselves live in
``logical_tar`` and ``logical_zip`` (and ``iosbackup``) and are re-exported here, which is where
the opener looks for them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from evidence_intake.errors import EvidenceError, NotFoundError
from evidence_intake.evidence.iosbackup import IosBackupTree
from evidence_intake.evidence.logical_common import (
    ProblemLog,
    display_path,
    entry_name,
    open_no_atime,
    printable,
)
from evidence_intake.evidence.logical_detect import detect_logical
from evidence_intake.evidence.logical_tar import TarTree
from evidence_intake.evidence.logical_zip import ZipTree
from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree, Problem, Volume
from evidence_intake.timeutil import UNIX_EPOCH

__all__ = ["FolderTree", "IosBackupTree", "TarTree", "ZipTree", "detect_logical"]


def _utc_from_ns(value: int) -> datetime | None:
    try:
        return UNIX_EPOCH + timedelta(microseconds=value // 1000)
    except OverflowError:
        return None


class FolderTree(EvidenceTree):
    """A folder (an unpacked extraction, a mounted export) as a read-only tree.

    The walk never follows a symbolic link: links are listed as LINK entries with their target,
    so a link loop ends and a link pointing outside the folder is never entered. Entries come in
    name order, so two walks of the same folder give the same listing. Reading a file never
    follows a link either, and spares the file's access time where the operating system allows.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise NotFoundError(
                f"{self.root} does not exist or is not a folder",
                path=self.root,
                hint="give the folder that holds the logical extraction",
            )
        self.problems: list[Problem] = []
        self._log = ProblemLog(self.problems, str(self.root))

    def volumes(self) -> list[Volume]:
        return [Volume(name="", offset=0, size=0, description="folder", filesystem="folder")]

    def _listing(self, relative: str) -> list[os.DirEntry[str]]:
        folder = self.root / relative if relative else self.root
        try:
            with os.scandir(folder) as found:
                return sorted(found, key=lambda d: d.name)
        except OSError as exc:
            self._log.add(
                Problem(
                    where=display_path(relative),
                    reason=f"the folder cannot be listed ({exc.strerror or exc}); its content is missing",
                )
            )
            return []

    def walk(self) -> Iterator[Entry]:
        stack: list[tuple[str, Iterator[os.DirEntry[str]]]] = [("", iter(self._listing("")))]
        while stack:
            parent, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                continue
            relative = f"{parent}/{child.name}" if parent else child.name
            try:
                info = child.stat(follow_symlinks=False)
            except OSError as exc:
                self._log.add(Problem(where=display_path(relative), reason=f"cannot be read: {exc.strerror}"))
                continue
            entry = self._entry(relative, info)
            yield entry
            if entry.type is EntryType.DIRECTORY:
                stack.append((relative, iter(self._listing(relative))))

    def _entry(self, relative: str, info: os.stat_result) -> Entry:
        path = display_path(relative)
        link_target: str | None = None
        if stat.S_ISLNK(info.st_mode):
            kind = EntryType.LINK
            try:
                target = os.readlink(self.root / relative)
                link_target, size = printable(target), len(os.fsencode(target))
            except OSError as exc:
                self._log.add(Problem(where=path, reason=f"the link target cannot be read: {exc.strerror}"))
                size = info.st_size
        elif stat.S_ISDIR(info.st_mode):
            kind, size = EntryType.DIRECTORY, 0
        elif stat.S_ISREG(info.st_mode):
            kind, size = EntryType.FILE, info.st_size
        else:
            kind, size = EntryType.OTHER, 0
        return Entry(
            path=path,
            name=entry_name(path),
            type=kind,
            size=size,
            filesystem="folder",
            inode=info.st_ino,
            mtime=_utc_from_ns(info.st_mtime_ns),
            atime=_utc_from_ns(info.st_atime_ns),
            ctime=_utc_from_ns(info.st_ctime_ns),
            link_target=link_target,
            mode=stat.S_IMODE(info.st_mode),
            uid=info.st_uid,
            gid=info.st_gid,
            locator=("folder", relative),
        )

    def lookup(self, location: str) -> Entry | None:
        """Straight to the entry, without a walk, unless a link lies on the way (then the walk decides)."""
        relative = location.strip("/")
        if not relative or "\\" in relative or any(s in ("", ".", "..") for s in relative.split("/")):
            return super().lookup(location)
        parts = relative.split("/")
        for depth in range(1, len(parts)):
            if (self.root / "/".join(parts[:depth])).is_symlink():
                return None  # the walk never enters a link, so nothing lies below one
        try:
            info = os.lstat(self.root / relative)
        except OSError:
            return None
        return self._entry(relative, info)

    def open(self, entry: Entry) -> BinaryIO:
        if len(entry.locator) != 2 or entry.locator[0] != "folder":
            raise EvidenceError(f"{entry.path} was not listed from the folder {self.root}", path=self.root)
        relative = entry.locator[1]
        assert isinstance(relative, str)
        if entry.type is not EntryType.FILE:
            what = "a link (open its target instead)" if entry.type is EntryType.LINK else f"a {entry.type}"
            raise EvidenceError(f"{entry.path} in {self.root} is {what}, not a file", path=self.root)
        full = self.root / relative
        try:
            return open_no_atime(full)
        except FileNotFoundError as exc:
            raise NotFoundError(
                f"{full} is no longer there",
                path=full,
                hint="the folder changed since it was listed; check it against its manifest",
            ) from exc
        except OSError as exc:
            raise EvidenceError(
                f"cannot read {full}: {exc.strerror or exc}",
                path=full,
                hint="check the permissions; a link or special file is never opened",
            ) from exc

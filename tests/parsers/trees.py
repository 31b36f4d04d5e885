"""Small evidence trees for tests, so parser tests need no image and no opener.

``FolderTree`` shows a real folder as an exhibit's file system ("/data/data/..." under ``root``),
opened read-only like real evidence; ``MemoryTree`` holds files given as bytes.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree, Problem, Volume


class FolderTree(EvidenceTree):
    """A folder seen as one file system; paths are '/'-rooted at the folder."""

    def __init__(self, root: Path, *, volume: str = "", filesystem: str = "folder") -> None:
        self.root = root
        self.volume = volume
        self.filesystem = filesystem
        self.problems: list[Problem] = []
        self.opened: list[str] = []

    def volumes(self) -> list[Volume]:
        return [Volume(name=self.volume, offset=0, size=0, filesystem=self.filesystem)]

    def walk(self) -> Iterator[Entry]:
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for name in sorted(filenames):
                full = Path(dirpath) / name
                rel = "/" + full.relative_to(self.root).as_posix()
                st = full.lstat()
                yield Entry(
                    path=rel,
                    name=name,
                    type=EntryType.FILE,
                    size=st.st_size,
                    volume=self.volume,
                    filesystem=self.filesystem,
                    inode=st.st_ino,
                    locator=(str(full),),
                )

    def open(self, entry: Entry) -> BinaryIO:
        self.opened.append(entry.path)
        return open(str(entry.locator[0]), "rb")


class MemoryTree(EvidenceTree):
    """Files given as {path: bytes}; ``deleted`` paths are marked deleted."""

    def __init__(
        self, files: Mapping[str, bytes], *, volume: str = "", deleted: set[str] | None = None
    ) -> None:
        self.files = dict(files)
        self.volume = volume
        self.deleted = deleted or set()
        self.problems: list[Problem] = []

    def volumes(self) -> list[Volume]:
        return [Volume(name=self.volume, offset=0, size=0, filesystem="memory")]

    def walk(self) -> Iterator[Entry]:
        for path in sorted(self.files):
            yield Entry(
                path=path,
                name=path.rsplit("/", 1)[-1],
                type=EntryType.FILE,
                size=len(self.files[path]),
                volume=self.volume,
                filesystem="memory",
                deleted=path in self.deleted,
            )

    def open(self, entry: Entry) -> BinaryIO:
        return io.BytesIO(self.files[entry.path])

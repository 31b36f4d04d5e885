"""What every opened piece of evidence looks like from above: a read-only tree of entries.

Parsers and commands see only these types; whether an entry lives in an ext4 partition of an E01,
in a tar from a phone extraction or in an iOS backup is told by its ``volume`` and ``filesystem``
fields, never by its class.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO


class EntryType(StrEnum):
    FILE = "file"
    DIRECTORY = "directory"
    LINK = "link"
    OTHER = "other"  # devices, sockets, fifos, virtual TSK entries


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One file, folder or link inside the evidence.

    ``path`` is absolute inside its file system ("/data/data/com.whatsapp/databases/msgstore.db"),
    '/'-separated whatever the source. ``volume`` names the partition ("p2") or is "" when the
    evidence holds a single file system or a logical container. Together with ``filesystem`` it
    makes the entry's place in the evidence (``location``), which is what provenance records.
    ``locator`` is whatever the opener needs to read the entry again (inode, member index…).
    """

    path: str
    name: str
    type: EntryType
    size: int
    volume: str = ""
    filesystem: str = ""
    inode: int | str | None = None
    deleted: bool = False
    mtime: datetime | None = None
    atime: datetime | None = None
    ctime: datetime | None = None
    crtime: datetime | None = None
    link_target: str | None = None
    stream: str | None = None  # NTFS alternate data stream name, None for the default stream
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    locator: tuple[object, ...] = field(default=(), compare=False, repr=False)

    @property
    def location(self) -> str:
        """ "p2:/data/…" style path that is unique in an exhibit and readable by people."""
        base = f"{self.volume}:{self.path}" if self.volume else self.path
        return f"{base}:{self.stream}" if self.stream else base


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """Something in the evidence that could not be read, with the reason; never a crash."""

    where: str  # "p3", "p1:/some/dir", "image.E02"
    reason: str
    kind: str = "unreadable"  # unreadable, encrypted, unsupported, corrupt


@dataclass(frozen=True, slots=True, kw_only=True)
class Volume:
    """A partition or the whole image, as found by the volume system (or the lack of one)."""

    name: str  # "p1", "p2"… or "" for an image holding one file system
    offset: int
    size: int
    description: str = ""
    filesystem: str | None = None  # None when no file system could be opened
    problem: Problem | None = None


class EvidenceTree(abc.ABC):
    """A read-only view of one exhibit's evidence.

    Implementations open everything read-only. ``walk`` streams entries (memory stays bounded on a
    file system with millions of files); a broken directory or partition yields a ``Problem`` in
    ``problems`` and the walk goes on.
    """

    problems: list[Problem]

    @abc.abstractmethod
    def volumes(self) -> list[Volume]: ...

    @abc.abstractmethod
    def walk(self) -> Iterator[Entry]: ...

    @abc.abstractmethod
    def open(self, entry: Entry) -> BinaryIO:
        """A read-only, seekable binary stream of the entry's content."""

    def lookup(self, location: str) -> Entry | None:
        """The entry at ``location`` ("p2:/a/b" or "/a/b"), or None. Subclasses may index this."""
        for entry in self.walk():
            if entry.location == location or (not entry.volume and entry.path == location):
                return entry
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release images and handles."""

    def __enter__(self) -> EvidenceTree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageReader(abc.ABC):
    """Random read access to the media data of an image (raw, split raw, E01), read-only.

    ``read_at`` returns fewer bytes only at the end of the media. Corrupt data (an E01 chunk whose
    checksum fails) is reported through ``problems`` by the implementation, never silently.
    """

    format: str  # "raw", "split-raw", "e01"
    paths: list[Path]  # every segment file, in order
    size: int

    @abc.abstractmethod
    def read_at(self, offset: int, size: int) -> bytes: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release file handles."""

    def __enter__(self) -> ImageReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

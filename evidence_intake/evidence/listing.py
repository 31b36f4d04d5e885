"""List an exhibit's files, filtered by path, deletion and content type: the library behind ``files``.

The listing is a stream: entries are filtered as the walk produces them, so a file system with a
million entries is listed in bounded memory. The content type is read (first 64 KiB) only for
entries that passed the other filters, and only when a type filter was given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evidence_intake.errors import IntakeError, UsageError
from evidence_intake.evidence.bodyfile import bodyfile_lines
from evidence_intake.evidence.filetype import matches, mime_of_stream
from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree, Problem, Volume
from evidence_intake.evidence.opener import open_acquisition
from evidence_intake.pathglob import translate
from evidence_intake.timeutil import iso_utc

if TYPE_CHECKING:
    from evidence_intake.case import Case
    from evidence_intake.register import Acquisition


def compile_glob(pattern: str) -> Callable[[Entry], bool]:
    """A matcher for ``--path``: ``*`` and ``?`` stay inside one folder, ``**`` crosses folders.

    A pattern with no "/" matches the entry's name at any depth ("*.db"); one with "/" matches the
    whole path ("/data/data/*/databases/*.db", "**/msgstore.db*"); a "p2:" prefix limits it to a
    volume. Matching is case-sensitive, as ext4 and APFS are; FAT and NTFS names keep their case.
    """
    text = pattern.strip()
    if not text:
        raise UsageError(
            "the --path pattern is empty", hint="for example --path '*.db' or --path '/Users/**'"
        )
    volume: str | None = None
    head, sep, rest = text.partition(":")
    if sep and "/" not in head and (rest.startswith("/") or not rest):
        volume, text = head, rest or "/**"
    if "/" not in text:
        regex = re.compile(translate(text))
        return lambda e: (volume is None or e.volume == volume) and regex.fullmatch(e.name) is not None
    if not text.startswith("/"):
        text = "/" + text
    regex = re.compile(translate(text))
    return lambda e: (volume is None or e.volume == volume) and regex.fullmatch(e.path) is not None


_RECORD_FIELDS = (
    "location",
    "volume",
    "filesystem",
    "path",
    "name",
    "stream",
    "type",
    "size",
    "inode",
    "deleted",
    "mtime",
    "atime",
    "ctime",
    "crtime",
    "mode",
    "uid",
    "gid",
    "link_target",
    "mime",
)


def entry_record(entry: Entry | None, mime: str | None) -> dict[str, Any]:
    """A flat, JSON- and CSV-ready record of an entry; times in ISO 8601 UTC (None gives the field names)."""
    if entry is None:
        return dict.fromkeys(_RECORD_FIELDS)
    return {
        "location": entry.location,
        "volume": entry.volume,
        "filesystem": entry.filesystem,
        "path": entry.path,
        "name": entry.name,
        "stream": entry.stream,
        "type": entry.type.value,
        "size": entry.size,
        "inode": entry.inode,
        "deleted": entry.deleted,
        "mtime": iso_utc(entry.mtime) if entry.mtime else None,
        "atime": iso_utc(entry.atime) if entry.atime else None,
        "ctime": iso_utc(entry.ctime) if entry.ctime else None,
        "crtime": iso_utc(entry.crtime) if entry.crtime else None,
        "mode": None if entry.mode is None else f"{entry.mode:04o}",
        "uid": entry.uid,
        "gid": entry.gid,
        "link_target": entry.link_target,
        "mime": mime,
    }


@dataclass(frozen=True, slots=True)
class Listed:
    entry: Entry
    mime: str | None = None


@dataclass
class Listing:
    """An open exhibit and the filters to apply; iterate ``entries()`` once, then read ``problems``."""

    exhibit: str
    acquisition: Acquisition
    tree: EvidenceTree
    path_glob: str | None = None
    deleted_only: bool = False
    mime: str | None = None
    _extra_problems: list[Problem] = field(default_factory=list)

    @property
    def volumes(self) -> list[Volume]:
        return self.tree.volumes()

    @property
    def problems(self) -> list[Problem]:
        return [*self.tree.problems, *self._extra_problems]

    def entries(self) -> Iterator[Listed]:
        match = compile_glob(self.path_glob) if self.path_glob else None
        for entry in self.tree.walk():
            if self.deleted_only and not entry.deleted:
                continue
            if match is not None and not match(entry):
                continue
            if self.mime is None:
                yield Listed(entry)
                continue
            mime = self._mime(entry)
            if mime is not None and matches(mime, self.mime):
                yield Listed(entry, mime)

    def _mime(self, entry: Entry) -> str | None:
        if entry.type is EntryType.DIRECTORY and entry.stream is None:
            return "inode/directory"
        if entry.type is EntryType.LINK:
            return "inode/symlink"
        try:
            with self.tree.open(entry) as stream:
                return mime_of_stream(stream)
        except (IntakeError, OSError) as exc:
            reason = exc.message if isinstance(exc, IntakeError) else str(exc)
            self._extra_problems.append(
                Problem(where=entry.location, reason=f"content type unknown: {reason}", kind="unreadable")
            )
            return None

    def bodyfile_lines(self, entry: Entry) -> list[str]:
        return bodyfile_lines(self.tree, entry)

    def close(self) -> None:
        self.tree.close()

    def __enter__(self) -> Listing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def list_files(
    case: Case,
    exhibit_id: str,
    *,
    path_glob: str | None = None,
    deleted_only: bool = False,
    mime: str | None = None,
    keys: Mapping[str, str] | None = None,
) -> Listing:
    """Open the newest completed acquisition of an exhibit for listing (close the Listing after use)."""
    if path_glob is not None:
        compile_glob(path_glob)  # a bad pattern is refused before the evidence is opened
    acquisition, tree = open_acquisition(case, exhibit_id, keys=keys)
    return Listing(
        exhibit=exhibit_id,
        acquisition=acquisition,
        tree=tree,
        path_glob=path_glob,
        deleted_only=deleted_only,
        mime=mime,
    )

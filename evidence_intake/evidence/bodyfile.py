"""Entries as The Sleuth Kit prints them: the bodyfile that mactime reads, and fls's listing lines.

The bodyfile is TSK 3.x's ``MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime``
exactly as ``fls -r -m MOUNT`` writes it (MD5 "0", control characters in names as "^", " -> target"
for links, " (deleted)" / " (deleted-realloc)" for deleted names, one extra " ($FILE_NAME)" line per
NTFS $FILE_NAME attribute, so that timelines show both NTFS time sets). Names are prefixed with
the volume ("p2:/Users/…") when the exhibit has partitions; a bare file system gives "/…" as
``fls -m /`` does. Times are whole Unix seconds; a time outside 1970–2106, which fls would wrap
around 32 bits, is printed as its true value.

Entries from logical containers (folders, tar, zip) have no TSK details; their type letters come
from the entry type and their permissions from ``mode``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_CONTROL = re.compile(r"[\x00-\x1f]")
_TYPE_CHARS = {EntryType.FILE: "r", EntryType.DIRECTORY: "d", EntryType.LINK: "l", EntryType.OTHER: "-"}


def _sanitize(text: str) -> str:
    return _CONTROL.sub("^", text)


def unix_seconds(value: datetime | None) -> int:
    if value is None:
        return 0
    return (value - _EPOCH) // _SECOND


def mode_string(type_char: str, mode: int | None) -> str:
    """``ls``-style permissions as TSK's tsk_fs_meta_make_ls writes them ("drwxr-xr-x")."""
    bits = mode or 0
    chars = [type_char, "-", "-", "-", "-", "-", "-", "-", "-", "-"]
    for index, (read, write, execute, special, on, off) in enumerate(
        (
            (0o400, 0o200, 0o100, 0o4000, "s", "S"),
            (0o40, 0o20, 0o10, 0o2000, "s", "S"),
            (0o4, 0o2, 0o1, 0o1000, "t", "T"),
        )
    ):
        base = 1 + 3 * index
        if bits & read:
            chars[base] = "r"
        if bits & write:
            chars[base + 1] = "w"
        if bits & special:
            chars[base + 2] = on if bits & execute else off
        elif bits & execute:
            chars[base + 2] = "x"
    return "".join(chars)


def _display_name(entry: Entry) -> str:
    base = f"{entry.volume}:{entry.path}" if entry.volume else entry.path
    return _sanitize(base) + (":" + _sanitize(entry.stream) if entry.stream else "")


def bodyfile_lines(tree: EvidenceTree, entry: Entry) -> list[str]:
    """The bodyfile line(s) of one entry (more than one for an NTFS file with $FILE_NAME times)."""
    from evidence_intake.evidence.tsk import TskTree

    detail = tree.detail(entry) if isinstance(tree, TskTree) else None
    name = _display_name(entry)
    if detail is None:
        type_char = _TYPE_CHARS[entry.type]
        link = f" -> {entry.link_target}" if entry.type is EntryType.LINK and entry.link_target else ""
        deleted = " (deleted)" if entry.deleted else ""
        fields = [
            "0",
            f"{name}{link}{deleted}",
            str(entry.inode if entry.inode is not None else 0),
            f"{type_char}/{mode_string(type_char, entry.mode)}",
            str(entry.uid or 0),
            str(entry.gid or 0),
            str(entry.size),
            *(str(unix_seconds(t)) for t in (entry.atime, entry.mtime, entry.ctime, entry.crtime)),
        ]
        return ["|".join(fields)]
    name_deleted = detail.name_deleted
    suffix = (" (deleted-realloc)" if detail.realloc else " (deleted)") if name_deleted else ""
    link = f" -> {entry.link_target}" if entry.link_target else ""
    lines: list[str] = []
    if detail.meta_type is None:
        lines.append(f"0|{name}{suffix}|{entry.inode}|{detail.name_type}/----------|0|0|0|0|0|0|0")
        return lines
    mode = f"{detail.name_type}/{mode_string(detail.meta_type, entry.mode)}"
    owner = f"{entry.uid or 0}|{entry.gid or 0}"
    if detail.filename_attrs:
        plain = entry.path if not entry.volume else f"{entry.volume}:{entry.path}"
        for attr_id, size in detail.filename_attrs:
            times = tree.filename_times(entry, attr_id) or (0, 0, 0, 0)  # type: ignore[attr-defined]
            inode = f"{entry.locator[1]}-48-{attr_id}"
            lines.append(
                f"0|{_sanitize(plain)} ($FILE_NAME){link}{suffix}|{inode}|{mode}|{owner}|{size}|"
                + "|".join(str(t) for t in times)
            )
    times = "|".join(str(unix_seconds(t)) for t in (entry.atime, entry.mtime, entry.ctime, entry.crtime))
    lines.append(f"0|{name}{link}{suffix}|{entry.inode}|{mode}|{owner}|{entry.size}|{times}")
    return lines


def fls_line(tree: EvidenceTree, entry: Entry) -> str:
    """The line ``fls -r -p`` prints for the entry ("r/r * 13:\ta_directory/a_file")."""
    from evidence_intake.evidence.tsk import TskTree

    detail = tree.detail(entry) if isinstance(tree, TskTree) else None
    path = _sanitize(entry.path.lstrip("/")) + (":" + _sanitize(entry.stream) if entry.stream else "")
    if detail is None:
        char = _TYPE_CHARS[entry.type]
        return f"{char}/{char} {'* ' if entry.deleted else ''}{entry.inode}:\t{path}"
    meta = detail.meta_type or "-"
    if entry.stream is not None and meta == "d" and entry.type is EntryType.FILE:
        meta = "r"  # fls shows a folder's data stream as a file
    star = "* " if detail.name_deleted else ""
    realloc = "(realloc)" if detail.realloc else ""
    return f"{detail.name_type}/{meta} {star}{entry.inode}{realloc}:\t{path}"

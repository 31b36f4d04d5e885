"""Deterministic tar.gz and zip writers: fixed order, times, owners, modes and compression settings."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Member:
    path: str  # relative, "/"-separated, as on the device
    data: bytes
    mtime: int  # Unix seconds
    uid: int = 0


def _folders(members: list[Member]) -> list[str]:
    seen: set[str] = set()
    for member in members:
        parts = member.path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            seen.add("/".join(parts[:depth]))
    return sorted(seen)


def write_tar_gz(out: Path, members: list[Member]) -> None:
    """A pax tar of the members and their folders, sorted by path; gzip level 9 with no name or time."""
    ordered = sorted(members, key=lambda m: m.path)
    newest = max(m.mtime for m in ordered)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        entries: list[tuple[str, Member | None]] = [(f, None) for f in _folders(ordered)]
        entries += [(m.path, m) for m in ordered]
        for path, member in sorted(entries, key=lambda e: e[0]):
            info = tarfile.TarInfo(path)
            info.mtime = member.mtime if member else newest
            info.uid = info.gid = member.uid if member else 1000
            info.uname = info.gname = ""
            if member is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o771
                tar.addfile(info)
            else:
                info.size = len(member.data)
                info.mode = 0o660
                tar.addfile(info, io.BytesIO(member.data))
    out.parent.mkdir(parents=True, exist_ok=True)
    with (
        out.open("wb") as handle,
        gzip.GzipFile(filename="", mode="wb", fileobj=handle, compresslevel=9, mtime=0) as gz,
    ):
        gz.write(raw.getvalue())


def write_zip(out: Path, members: list[Member]) -> None:
    """A zip as iOS extraction tools write it: deflated members, Unix modes, extended timestamps (UTC)."""
    ordered = sorted(members, key=lambda m: m.path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        folders = _folders(ordered)
        newest = max(m.mtime for m in ordered)
        entries: list[tuple[str, Member | None]] = [(f + "/", None) for f in folders]
        entries += [(m.path, m) for m in ordered]
        for path, member in sorted(entries, key=lambda e: e[0]):
            mtime = member.mtime if member else newest
            stamp = datetime.fromtimestamp(mtime, UTC)
            info = zipfile.ZipInfo(path, date_time=stamp.timetuple()[:6])
            info.create_system = 3  # Unix
            info.extra = struct.pack("<HHBI", 0x5455, 5, 1, mtime)  # extended timestamp: mtime, UTC
            if member is None:
                info.external_attr = (0o40755 << 16) | 0x10
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, member.data, compresslevel=9)

"""A zip archive as an evidence tree, read in place: nothing is unpacked, a member is read as a stream.

The listing comes from the central directory, which zipfile holds in memory (about half a
kilobyte per member: half a gigabyte for a million members; that is the nature of the format, whose
index sits at the end). A zip cut short has lost that index: the members are then listed from their
local headers, front to back, as far as they are intact, and a Problem says where the damage is.

Safety: sizes come from the headers; reading a member never yields more than its declared size
(zipfile stops there and checks the CRC), and the manifest flags a member that yields less.
Members whose data overlap (the construction of the "overlapping" zip bombs) are listed but not
read. Member times: the extended-timestamp (0x5455) and NTFS (0x000a) extra fields are UTC and are
preferred; a bare DOS time has no zone and is taken as UTC (docs/logical-sources.md).
"""

from __future__ import annotations

import itertools
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from evidence_intake.errors import EvidenceError, NotFoundError
from evidence_intake.evidence.logical_common import (
    CHUNK,
    ProblemLog,
    display_path,
    entry_name,
    printable,
    read_only,
    suspicious_name,
    utc_from_unix,
)
from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree, Problem, Volume
from evidence_intake.timeutil import WEBKIT_EPOCH

_LOCAL = b"PK\x03\x04"
_CENTRAL_SIGNATURES = (b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07")
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_SUPPORTED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_BOMB_RATIO = 1000
_BOMB_SIZE = 256 * 1024 * 1024
_LINK_TARGET_MAX = 4096
_ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    zlib.error,
    struct.error,
    ValueError,
)


def extra_fields(extra: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag, body) of each well-formed extra field; stops at the first malformed one."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        if len(body) < size:
            return
        yield tag, body
        pos += 4 + size


def member_times(info: zipfile.ZipInfo) -> dict[str, datetime | None]:
    """mtime/atime/crtime in UTC from the extra fields, else the DOS time taken as UTC."""
    times: dict[str, datetime | None] = {}
    for tag, body in extra_fields(info.extra):
        if tag == 0x5455 and body:  # extended timestamp: Unix seconds, UTC
            flags, pos = body[0], 1
            for bit, key in ((1, "mtime"), (2, "atime"), (4, "crtime")):
                if flags & bit and pos + 4 <= len(body):
                    times.setdefault(key, utc_from_unix(struct.unpack_from("<i", body, pos)[0]))
                    pos += 4
        elif tag == 0x000A and len(body) >= 4:  # NTFS: FILETIME (100 ns since 1601), UTC
            for sub, sub_body in extra_fields(body[4:]):
                if sub == 1 and len(sub_body) >= 24:
                    mtime, atime, crtime = struct.unpack_from("<QQQ", sub_body)
                    for key, value in (("mtime", mtime), ("atime", atime), ("crtime", crtime)):
                        if value:
                            times[key] = _filetime(value)
        elif tag == 0x5855 and len(body) >= 8:  # old Info-ZIP Unix: atime, mtime
            atime, mtime = struct.unpack_from("<ii", body)
            times.setdefault("atime", utc_from_unix(atime))
            times.setdefault("mtime", utc_from_unix(mtime))
    if times.get("mtime") is None:
        try:
            times["mtime"] = datetime(*info.date_time, tzinfo=UTC)
        except (TypeError, ValueError):
            times["mtime"] = None
    return times


def _filetime(value: int) -> datetime | None:
    """A Windows FILETIME (100 ns since 1601, UTC), exact to the microsecond."""
    try:
        return WEBKIT_EPOCH + timedelta(microseconds=value // 10)
    except OverflowError:
        return None


def member_owner(info: zipfile.ZipInfo) -> tuple[int | None, int | None]:
    """uid and gid from the Info-ZIP Unix extra field (0x7875), when present."""
    for tag, body in extra_fields(info.extra):
        if tag == 0x7875 and len(body) >= 3 and body[0] == 1:
            uid_size = body[1]
            uid = int.from_bytes(body[2 : 2 + uid_size], "little")
            pos = 2 + uid_size
            if pos < len(body):
                gid_size = body[pos]
                gid = int.from_bytes(body[pos + 1 : pos + 1 + gid_size], "little")
                return uid, gid
            return uid, None
    return None, None


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its maker meant it.

    The UTF-8 flag, or an Info-ZIP Unicode Path field (0x7075) whose CRC matches the stored name,
    gives UTF-8. Without either the format says code page 437, but many tools (macOS, Linux, Android)
    write UTF-8 without the flag: a name that is valid UTF-8 is read as UTF-8. Anything else stays as
    code page 437 decodes it (a Chinese Windows zip in GBK then shows wrong characters; the raw
    name is kept in the locator).
    """
    if info.flag_bits & 0x800:
        return info.orig_filename
    try:
        raw = info.orig_filename.encode("cp437")
    except UnicodeEncodeError:
        return info.orig_filename
    for tag, body in extra_fields(info.extra):
        if tag == 0x7075 and len(body) >= 5 and body[0] == 1:
            if struct.unpack_from("<L", body, 1)[0] == zlib.crc32(raw):
                try:
                    return body[5:].decode("utf-8")
                except UnicodeDecodeError:
                    break
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return info.orig_filename


class _LocalHeaderZip(zipfile.ZipFile):
    """A zip whose central directory is lost, indexed from its local headers, front to back.

    zipfile builds its index in ``_RealGetContents``; this subclass builds it by walking the local
    headers instead, so that ``open`` works as usual on every member found. The walk stops at the
    central directory, at the end of the file, or at the first damaged header (recorded in
    ``scan_problems``).
    """

    scan_problems: list[Problem]

    def _RealGetContents(self) -> None:
        self.scan_problems = []
        fp: Any = self.fp
        fp.seek(0, 2)
        end = fp.tell()
        offset = 0
        while offset + _LOCAL_HEADER.size <= end:
            fp.seek(offset)
            header = fp.read(_LOCAL_HEADER.size)
            if header[:4] in _CENTRAL_SIGNATURES:
                break
            if header[:4] != _LOCAL:
                self._problem(offset, "no member header where one was expected: the archive is damaged here")
                return
            _sig, version, flags, method, dos_time, dos_date, crc, csize, usize, name_len, extra_len = (
                _LOCAL_HEADER.unpack(header)
            )
            raw_name = fp.read(name_len)
            extra = fp.read(extra_len)
            if len(raw_name) < name_len or len(extra) < extra_len:
                self._problem(offset, "the member header is cut short: the archive is truncated")
                return
            name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
            info = zipfile.ZipInfo(name)
            info.extra, info.flag_bits, info.compress_type = extra, flags, method
            info.CRC, info.compress_size, info.file_size = crc, csize, usize
            info.extract_version, info.create_system, info.external_attr = version, 0, 0
            info.header_offset = offset
            info._raw_time = dos_time  # type: ignore[attr-defined]
            info.date_time = (
                (dos_date >> 9) + 1980,
                (dos_date >> 5) & 0xF,
                dos_date & 0x1F,
                dos_time >> 11,
                (dos_time >> 5) & 0x3F,
                (dos_time & 0x1F) * 2,
            )
            try:
                info._decodeExtra()  # type: ignore[attr-defined]
            except zipfile.BadZipFile as exc:
                self._problem(offset, f"member {printable(name)!r}: {exc}")
            data_start = offset + _LOCAL_HEADER.size + name_len + extra_len
            descriptor = 0
            if flags & 0x08:  # sizes and CRC follow the data, in a data descriptor
                found = self._data_end(data_start, method, end)
                if found is None:
                    self._problem(offset, f"member {printable(name)!r}: the end of its data cannot be found")
                    self._append(info)
                    return
                info.compress_size = found
                zip64 = any(tag == 0x0001 for tag, _ in extra_fields(extra))
                descriptor = self._read_descriptor(info, data_start + found, zip64)
            if data_start + info.compress_size > end:
                present = max(0, end - data_start)
                self._problem(
                    offset,
                    f"member {printable(name)!r} is cut short: {present} of its {info.compress_size} "
                    "compressed bytes are present; the archive is truncated",
                )
                self._append(info)
                return
            self._append(info)
            offset = data_start + info.compress_size + descriptor

    def _append(self, info: zipfile.ZipInfo) -> None:
        self.filelist.append(info)
        self.NameToInfo[info.filename] = info

    def _problem(self, offset: int, reason: str) -> None:
        name = getattr(self, "filename", None) or "the zip archive"
        self.scan_problems.append(Problem(where=f"{name}@{offset}", reason=reason, kind="corrupt"))

    def _read_descriptor(self, info: zipfile.ZipInfo, position: int, zip64: bool) -> int:
        """Take CRC and uncompressed size from the data descriptor at ``position``; its length."""
        fp: Any = self.fp
        fp.seek(position)
        size_format = "<LQQ" if zip64 else "<LLL"
        length = struct.calcsize(size_format)
        head = fp.read(4 + length)
        signature = 4 if head[:4] == b"PK\x07\x08" else 0
        body = head[signature : signature + length]
        if len(body) == length:
            info.CRC, _compressed, info.file_size = struct.unpack(size_format, body)
        return signature + length

    def _data_end(self, start: int, method: int, end: int) -> int | None:
        """The compressed size of a member whose sizes trail its data."""
        fp: Any = self.fp
        if method == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            fp.seek(start)
            consumed = 0
            while not inflater.eof:
                chunk = fp.read(CHUNK)
                if not chunk:
                    return None
                try:
                    pending = chunk
                    while pending and not inflater.eof:
                        inflater.decompress(pending, CHUNK)  # output discarded; memory stays bounded
                        pending = inflater.unconsumed_tail
                except zlib.error:
                    return None
                consumed += len(chunk) - len(inflater.unused_data) if inflater.eof else len(chunk)
            size = consumed
        else:  # stored or other: find a descriptor whose size field matches the distance
            size = -1
            position = start
            while position < end:
                fp.seek(position)
                window = fp.read(CHUNK + 16)
                hit = window.find(b"PK\x07\x08")
                while hit >= 0:
                    candidate = position + hit - start
                    fp.seek(position + hit + 8)
                    fields = fp.read(4)
                    if len(fields) == 4 and struct.unpack("<L", fields)[0] == candidate:
                        size = candidate
                        break
                    hit = window.find(b"PK\x07\x08", hit + 1)
                if size >= 0 or len(window) <= 16:
                    break
                position += CHUNK
            if size < 0:
                return None
        return size


class ZipTree(EvidenceTree):
    """A zip archive as a read-only tree; members are read as streams, never unpacked to disk."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise NotFoundError(
                f"{self.path} does not exist or is not a file",
                path=self.path,
                hint="give the path of the zip archive",
            )
        self.size = self.path.stat().st_size
        self.problems: list[Problem] = []
        self._log = ProblemLog(self.problems, str(self.path))
        self._file = self.path.open("rb")
        self.recovered = False
        try:
            self._zip: zipfile.ZipFile = zipfile.ZipFile(self._file)
        except _ZIP_ERRORS as exc:
            try:
                self._zip = _LocalHeaderZip(self._file)
            except _ZIP_ERRORS as again:
                self._file.close()
                raise EvidenceError(
                    f"{self.path} cannot be read as a zip archive ({again})",
                    path=self.path,
                    hint="check that the file is readable and is a zip; detect_logical tells the kind",
                ) from again
            self.recovered = True
            self._log.add(
                Problem(
                    where=str(self.path),
                    reason=f"the central directory cannot be read ({exc}): the members are listed from their "
                    "own headers as far as they are intact (a truncated or damaged zip)",
                    kind="corrupt",
                )
            )
            for problem in getattr(self._zip, "scan_problems", []):
                self._log.add(problem)
        self._overlapping = self._find_overlaps()

    def _find_overlaps(self) -> set[int]:
        """Indexes of members whose data run into the next member's header."""
        infos = self._zip.filelist
        order = sorted(range(len(infos)), key=lambda i: infos[i].header_offset)
        overlapping: set[int] = set()
        for a, b in itertools.pairwise(order):
            first, second = infos[a], infos[b]
            if second.header_offset < first.header_offset + _LOCAL_HEADER.size + first.compress_size:
                overlapping.update((a, b))
        return overlapping

    def volumes(self) -> list[Volume]:
        return [Volume(name="", offset=0, size=self.size, description="zip archive", filesystem="zip")]

    def walk(self) -> Iterator[Entry]:
        for index, info in enumerate(self._zip.filelist):
            yield self._entry(index, info)

    def _entry(self, index: int, info: zipfile.ZipInfo) -> Entry:
        name = member_name(info)
        path = display_path(name)
        self._check(index, info, name, path)
        st_mode = (info.external_attr >> 16) if info.create_system == 3 else 0
        link_target: str | None = None
        if st_mode and stat.S_ISLNK(st_mode):
            kind = EntryType.LINK
            link_target, size = self._link_target(index, info, path)
        elif info.orig_filename.endswith("/") or stat.S_ISDIR(st_mode) or info.external_attr & 0x10:
            kind, size = EntryType.DIRECTORY, 0
        elif stat.S_IFMT(st_mode) not in (0, stat.S_IFREG):  # fifo, device; no type bits: a file
            kind, size = EntryType.OTHER, 0
        else:
            kind, size = EntryType.FILE, info.file_size
        times = member_times(info)
        uid, gid = member_owner(info)
        return Entry(
            path=path,
            name=entry_name(path),
            type=kind,
            size=size,
            filesystem="zip",
            inode=index,
            mtime=times.get("mtime"),
            atime=times.get("atime"),
            crtime=times.get("crtime"),
            link_target=link_target,
            mode=(st_mode & 0o7777) if st_mode else None,
            uid=uid,
            gid=gid,
            locator=("zip", index, info.header_offset, info.orig_filename),
        )

    def _check(self, index: int, info: zipfile.ZipInfo, name: str, path: str) -> None:
        why = suspicious_name(name)
        if why:
            self._log.add(
                Problem(
                    where=path,
                    reason=f"member #{index} name {printable(name)!r} {why}; listed as is, never extracted",
                    kind="suspicious",
                )
            )
        if info.flag_bits & 0x1:
            self._log.add(
                Problem(
                    where=path,
                    reason=f"member #{index} is encrypted: listed, but its content needs the zip password, "
                    "which is not supported yet",
                    kind="encrypted",
                )
            )
        if info.compress_type not in _SUPPORTED_METHODS:
            self._log.add(
                Problem(
                    where=path,
                    reason=f"member #{index} uses compression method {info.compress_type}, which cannot be "
                    "read (stored, deflate, bzip2 and lzma can)",
                    kind="unsupported",
                )
            )
        if index in self._overlapping:
            self._log.add(
                Problem(
                    where=path,
                    reason=f"member #{index} shares its data with another member (an overlapping zip bomb "
                    "construction): listed, never read",
                    kind="suspicious",
                )
            )
        compressed = max(info.compress_size, 1)
        if info.file_size >= _BOMB_SIZE and info.file_size // compressed >= _BOMB_RATIO:
            self._log.add(
                Problem(
                    where=path,
                    reason=f"member #{index} declares {info.file_size} bytes from {info.compress_size} "
                    f"compressed bytes (ratio {info.file_size // compressed}:1), possibly a zip bomb; "
                    "it is only ever read as a stream",
                    kind="suspicious",
                )
            )

    def _link_target(self, index: int, info: zipfile.ZipInfo, path: str) -> tuple[str | None, int]:
        """A symbolic link member stores its target as its content."""
        try:
            with self._zip.open(info) as member:
                target = member.read(_LINK_TARGET_MAX + 1)
        except _ZIP_ERRORS as exc:
            reason = f"member #{index}: the link target cannot be read ({exc})"
            self._log.add(Problem(where=path, reason=reason))
            return None, info.file_size
        if len(target) > _LINK_TARGET_MAX:
            self._log.add(Problem(where=path, reason=f"member #{index}: link target longer than 4 KiB"))
            return None, info.file_size
        return printable(target.decode("utf-8", "surrogateescape")), len(target)

    def open(self, entry: Entry) -> BinaryIO:
        if len(entry.locator) != 4 or entry.locator[0] != "zip":
            raise EvidenceError(f"{entry.path} was not listed from the zip {self.path}", path=self.path)
        _tag, index, offset, raw_name = entry.locator
        assert isinstance(index, int)
        label = f"{entry.path} (member #{index}) in {self.path}"
        infos = self._zip.filelist
        if not 0 <= index < len(infos) or infos[index].header_offset != offset:
            raise EvidenceError(f"{label} is not in the archive as listed", path=self.path)
        info = infos[index]
        if info.orig_filename != raw_name:
            raise EvidenceError(f"{label}: member #{index} now has another name", path=self.path)
        if entry.type is not EntryType.FILE:
            what = "a link (open its target instead)" if entry.type is EntryType.LINK else f"a {entry.type}"
            raise EvidenceError(f"{entry.path} in {self.path} is {what}, not a file", path=self.path)
        if index in self._overlapping:
            raise EvidenceError(
                f"{label} shares its data with another member (a zip bomb construction) and is not read",
                path=self.path,
                hint="examine the archive's structure by hand before trusting any of its content",
            )
        if info.flag_bits & 0x1:
            raise EvidenceError(
                f"{label} is encrypted", path=self.path, hint="zip passwords are not supported yet"
            )
        try:
            member = self._zip.open(info)
        except _ZIP_ERRORS as exc:
            raise EvidenceError(
                f"cannot read {label}: {exc}",
                path=self.path,
                hint="the archive is damaged at this member or uses a method that cannot be read",
            ) from exc
        return read_only(member, label=label)

    def close(self) -> None:
        self._zip.close()
        self._file.close()

"""Walk and read the file systems of an image through The Sleuth Kit (pytsk3), read-only.

``TskTree`` opens every readable file system of every partition (or the whole image) and streams
its entries the way ``fls -r -p`` lists them: the same names, inodes (for NTFS "addr-type-id",
one entry per data stream, so alternate data streams are entries of their own), deleted names
and the $OrphanFiles virtual folder. Directories are walked with an explicit stack and a set of
visited directory inodes, so a corrupt file system whose directories form a loop still ends,
and memory grows with the number of pending directories, never with the number of files.

A directory that cannot be read becomes a Problem and the walk goes on with the rest.
FAT keeps local wall-clock times without a zone; The Sleuth Kit converts them with the process
time zone, which is pinned to UTC here so that the same image always gives the same times (they
are the device's local times, labelled UTC).

The walk of ext2/3/4, FAT, ISO 9660 and UFS runs in C (``_tskwalk``, over the system's libtsk)
where that module was built at install time: the same entries in the same order, about five times
faster than through pytsk3's objects, with folders the image failed under, or that libtsk finds
empty, listed through pytsk3 (NATIVE_WALK_FILESYSTEMS says why those file systems). Without it, with
EVIDENCE_INTAKE_NATIVE_WALK=0, for other file systems, or where libtsk does not open a file system as
pytsk3 did, the walk below in Python runs. Reading a file's content always goes through pytsk3.
"""

from __future__ import annotations

import dataclasses
import io
import os
import posixpath
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, NamedTuple

import pytsk3

from evidence_intake.errors import EvidenceError, UsageError
from evidence_intake.evidence.images import TskImage
from evidence_intake.evidence.libyal import ApfsContainer, ApfsFileSystem, LibyalFileSystem, XfsFileSystem
from evidence_intake.evidence.lvm import LvmPhysicalVolume, LvmVolumeGroup
from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree, ImageReader, Problem, Volume
from evidence_intake.evidence.streams import OffsetStream
from evidence_intake.evidence.volumes import (
    Partition,
    inspect,
    no_filesystem_reason,
    partitions,
    volume_record,
)

_tskwalk: Any
try:
    from evidence_intake.evidence import _tskwalk
except ImportError:  # not built: the walk runs through pytsk3
    _tskwalk = None

FS_NAMES = {
    pytsk3.TSK_FS_TYPE_NTFS: "ntfs",
    pytsk3.TSK_FS_TYPE_FAT12: "fat12",
    pytsk3.TSK_FS_TYPE_FAT16: "fat16",
    pytsk3.TSK_FS_TYPE_FAT32: "fat32",
    pytsk3.TSK_FS_TYPE_EXFAT: "exfat",
    pytsk3.TSK_FS_TYPE_EXT2: "ext2",
    pytsk3.TSK_FS_TYPE_EXT3: "ext3",
    pytsk3.TSK_FS_TYPE_EXT4: "ext4",
    pytsk3.TSK_FS_TYPE_HFS: "hfs+",
    pytsk3.TSK_FS_TYPE_ISO9660: "iso9660",
    pytsk3.TSK_FS_TYPE_FFS1: "ufs1",
    pytsk3.TSK_FS_TYPE_FFS1B: "ufs1",
    pytsk3.TSK_FS_TYPE_FFS2: "ufs2",
    pytsk3.TSK_FS_TYPE_YAFFS2: "yaffs2",
    pytsk3.TSK_FS_TYPE_APFS: "apfs",
    pytsk3.TSK_FS_TYPE_SWAP: "swap",
    pytsk3.TSK_FS_TYPE_RAW: "raw",
}

# Single letters The Sleuth Kit prints for name and metadata types ("r/r", "d/d", "V/V"…).
NAME_TYPE_CHARS = "-pcdbrlshwvV"
META_TYPE_CHARS = "-rdpcblhswvV"

_NAME_UNALLOC = pytsk3.TSK_FS_NAME_FLAG_UNALLOC
_META_UNALLOC = pytsk3.TSK_FS_META_FLAG_UNALLOC
_META_ALLOC = pytsk3.TSK_FS_META_FLAG_ALLOC
_DIR_META_CHARS = ("d", "V")
_DIR_NAME_CHARS = ("d", "-", "V")
_ATTR_DATA = pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA
_ATTR_IDXROOT = pytsk3.TSK_FS_ATTR_TYPE_NTFS_IDXROOT
_ATTR_FNAME = pytsk3.TSK_FS_ATTR_TYPE_NTFS_FNAME
_ATTR_DEFAULT = pytsk3.TSK_FS_ATTR_TYPE_DEFAULT
_TYPES = {
    pytsk3.TSK_FS_META_TYPE_REG: EntryType.FILE,
    pytsk3.TSK_FS_META_TYPE_DIR: EntryType.DIRECTORY,
    pytsk3.TSK_FS_META_TYPE_LNK: EntryType.LINK,
}
_NAME_TYPES = {
    pytsk3.TSK_FS_NAME_TYPE_REG: EntryType.FILE,
    pytsk3.TSK_FS_NAME_TYPE_DIR: EntryType.DIRECTORY,
    pytsk3.TSK_FS_NAME_TYPE_LNK: EntryType.LINK,
}
_OTHER = EntryType.OTHER
_FILE = EntryType.FILE
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_timedelta = timedelta
# A physical volume waiting for its volume group: its volume record's index, itself, and the depth and
# physical volumes it was found inside.
_Member = tuple[int, LvmPhysicalVolume, int, frozenset[str]]
_MAX_VOLUMES = 1024  # partitions and logical volumes: far more than any real disk holds
_VOLUME_NAME = re.compile(r"[A-Za-z0-9+_.-]+")  # what LVM allows in a name, and what a location can carry
_MAX_LVM_DEPTH = 3  # volumes inside volumes (LVM in LUKS, LVM in LVM), as deep as anyone stacks them
_NTFS_EPOCH_DELTA = 116444736000000000  # 100 ns intervals between 1601-01-01 and 1970-01-01
NATIVE_WALK_SWITCH = "EVIDENCE_INTAKE_NATIVE_WALK"  # "0": walk through pytsk3 even where C is built
# File systems the C walk lists. It runs over the system's libtsk (Debian 12: 4.11.1), pytsk3 carries
# a newer TSK (4.15), and releases between them changed how some file systems read: libtsk 4.11 turns
# an NTFS time that is not set into 2076-11-29. These are the ones whose every entry the tests find
# equal in both walks (tests/evidence/test_tsk_walk_c.py); the others are walked through pytsk3
# (exFAT too: libtsk 4.11 drops the 10 ms field of its times, so odd seconds come out one less).
NATIVE_WALK_FILESYSTEMS = frozenset(
    {"ext2", "ext3", "ext4", "fat12", "fat16", "fat32", "iso9660", "ufs1", "ufs2"}
)


class TskDetail(NamedTuple):
    """What ``fls -m`` prints beside an entry and the model does not hold (for bodyfile output).

    A named tuple rather than a dataclass: one is made per entry, and the walk's speed is the
    sum of such small costs.
    """

    name_type: str  # "r", "d", "V"… as in "r/r"
    meta_type: str | None  # None when the name has no metadata left
    name_deleted: bool  # the name itself is unallocated (fls's "*")
    realloc: bool  # the name is deleted but its inode now belongs to another file
    filename_attrs: tuple[tuple[int, int], ...]  # NTFS $FILE_NAME attributes (id, size) of the file


if _tskwalk is not None:
    _tskwalk.configure(Entry, TskDetail, EntryType.FILE, EntryType.DIRECTORY, EntryType.LINK, EntryType.OTHER)


def native_walk() -> str | None:
    """The libtsk release the C walk is built against, or None when the walk runs through pytsk3."""
    if _tskwalk is None or os.environ.get(NATIVE_WALK_SWITCH) == "0":
        return None
    return str(_tskwalk.TSK_VERSION)


def _pin_timezone() -> None:
    if os.environ.get("TZ") != "UTC":
        os.environ["TZ"] = "UTC"
        time.tzset()


def _time(seconds: int, nanoseconds: int) -> datetime | None:
    """Seconds and nanoseconds since 1970 as an aware UTC datetime (microseconds kept); None if unset."""
    if not seconds:
        return None
    try:
        return _EPOCH + _timedelta(0, seconds, nanoseconds // 1000)
    except OverflowError:
        return None


def _decode(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    return raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw


class TskFileSystem:
    """One file system opened by The Sleuth Kit, named by its partition ("p1", or "" for a bare one)."""

    def __init__(self, name: str, fs_info: Any, image: TskImage, offset: int = 0) -> None:
        self.name = name
        self._fs = fs_info
        self._image = image  # keeps the TskImage alive as long as the file system
        self._offset = offset
        self.label = FS_NAMES.get(int(fs_info.info.ftype), f"tsk-{int(fs_info.info.ftype):#x}")
        self._ntfs = self.label == "ntfs"
        self._native: Any = None  # the same file system opened by _tskwalk, on the first walk
        self.native_refused: str | None = None  # why the C walk is not used here, once tried

    # -- walking -------------------------------------------------------------------------------------

    def walk(self, report: Callable[[Problem], None]) -> Iterator[Entry]:
        native = self._native_filesystem()
        if native is not None:

            def problem(where: str, reason: str) -> None:
                report(Problem(where=where, reason=" ".join(reason.split())))

            yield from native.walk(
                self.name, self.label, self._ntfs, problem, self._recheck(report), self._relist(report)
            )
            return
        yield from self._walk_python(report)

    def _native_filesystem(self) -> Any:
        """The file system opened through libtsk by the C walk, or None where the C walk is not used."""
        if self._native is not None or self.native_refused is not None:
            return self._native
        if _tskwalk is None:
            self.native_refused = "the C walk is not built (no libtsk headers or compiler at install time)"
        elif os.environ.get(NATIVE_WALK_SWITCH) == "0":
            self.native_refused = f"{NATIVE_WALK_SWITCH}=0"
        elif self.label not in NATIVE_WALK_FILESYSTEMS:
            self.native_refused = (
                f"{self.label} is walked through pytsk3: the C walk's libtsk {_tskwalk.TSK_VERSION} is not "
                f"checked against pytsk3's TSK {pytsk3.TSK_VERSION_STR} on it"
            )
        else:
            reader = self._image.reader
            ftype = int(self._fs.info.ftype)
            try:
                native = _tskwalk.FileSystem(reader.read_at, reader.size, self._offset, ftype)
            except OSError as exc:
                self.native_refused = f"libtsk {_tskwalk.TSK_VERSION} does not open it: {exc}"
                return None
            if native.ftype != ftype:
                self.native_refused = f"libtsk {_tskwalk.TSK_VERSION} reads it as type {native.ftype:#x}"
                native.close()
                return None
            self._native = native
        return self._native

    def _recheck(self, report: Callable[[Problem], None]) -> Callable[[int, str], None]:
        """For the C walk: a folder where libtsk listed nothing but The Sleuth Kit's own virtual entries
        ($OrphanFiles, FAT's $MBR…), asked of pytsk3 (its entries were listed already, so it is not
        listed again): a problem pytsk3 has with it is reported as the pytsk3 walk reports it, and
        entries pytsk3 finds there are not passed over in silence.
        """

        def recheck(inum: int, where: str) -> None:
            try:
                found = sum(
                    1
                    for item in self._fs.open_dir(inode=inum)
                    if item.info.name.name not in (b".", b"..")
                    and item.info.name.type
                    not in (pytsk3.TSK_FS_NAME_TYPE_VIRT, pytsk3.TSK_FS_NAME_TYPE_VIRT_DIR)
                )
            except (OSError, RuntimeError) as exc:
                report(Problem(where=where, reason=f"directory cannot be read: {self._failure(exc)}"))
                return
            if found:
                report(
                    Problem(
                        where=where,
                        reason=f"libtsk {_tskwalk.TSK_VERSION} lists this folder as empty, pytsk3's TSK "
                        f"{pytsk3.TSK_VERSION_STR} finds {found} entries in it: list it with "
                        f"{NATIVE_WALK_SWITCH}=0",
                    )
                )

        return recheck

    def _walk_python(self, report: Callable[[Problem], None]) -> Iterator[Entry]:
        root = int(self._fs.info.root_inum)
        stack: list[tuple[int, str]] = [(root, "/")]
        seen = {root}
        orphans = [-1]  # the inode of TSK's $OrphanFiles, once listed
        while stack:
            inum, parent = stack.pop()
            below: list[tuple[int, str]] = []
            yield from self._list_folder(inum, parent, report, orphans, below)
            for addr, path in below:
                if addr not in seen:
                    seen.add(addr)
                    stack.append((addr, path))

    def _list_folder(
        self,
        inum: int,
        parent: str,
        report: Callable[[Problem], None],
        orphans: list[int],
        below: list[tuple[int, str]],
    ) -> Iterator[Entry]:
        """The entries of one folder ("/dir/") through pytsk3; the folders to descend into go to ``below``."""
        fs = self._fs
        volume, label, ntfs = self.name, self.label, self._ntfs
        where = f"{volume}:" if volume else ""
        in_orphans = inum == orphans[0]
        try:
            directory = fs.open_dir(inode=inum)
        except (OSError, RuntimeError) as exc:  # RuntimeError: the image reader failed
            reason = f"directory cannot be read: {self._failure(exc)}"
            report(Problem(where=f"{where}{parent}", reason=reason))
            return
        try:
            for item in directory:
                info = item.info
                name = info.name
                raw = name.name
                if raw == b"." or raw == b"..":
                    continue
                meta = info.meta
                if meta is None and in_orphans:
                    meta = self._orphan_meta(int(name.meta_addr))
                elif raw == b"$OrphanFiles" and name.type == pytsk3.TSK_FS_NAME_TYPE_VIRT_DIR:
                    orphans[0] = int(name.meta_addr)
                text = raw.decode("utf-8", "backslashreplace")
                path = parent + text
                if ntfs and meta is not None:
                    streams = list(self._ntfs_entries(item, name, meta, text, path))
                    yield from streams
                    first = streams[0]
                else:
                    first = self._entry(name, meta, text, path, volume, label)
                    yield first
                # Recurse as TSK's own directory walk does: a folder by name and by metadata, whose
                # name is allocated, or deleted together with its metadata (not reallocated).
                locator = first.locator
                detail: TskDetail = locator[4]  # type: ignore[assignment]
                if (
                    detail.meta_type in _DIR_META_CHARS
                    and detail.name_type in _DIR_NAME_CHARS
                    and not detail.realloc
                ):
                    below.append((locator[1], path + "/"))  # type: ignore[arg-type]
        except (OSError, RuntimeError) as exc:
            reason = f"directory listing stops early: {self._failure(exc)}"
            report(Problem(where=f"{where}{parent}", reason=reason))

    def _relist(
        self, report: Callable[[Problem], None]
    ) -> Callable[[int, str, int], tuple[list[Entry], list[tuple[int, str]], int]]:
        """For the C walk: one folder listed through pytsk3 instead, where the image could not be read
        while libtsk opened it (libtsk 4.11 and pytsk3's TSK 4.15 recover from a failed read
        differently) or where libtsk found nothing in it at all (on a damaged file system 4.11 can take
        a folder it cannot make sense of for an empty one, where 4.15 says it cannot be read). Gives
        the folder's entries, the folders to descend into and the inode of $OrphanFiles (-1 if unknown).
        """

        def relist(inum: int, parent: str, orphans: int) -> tuple[list[Entry], list[tuple[int, str]], int]:
            state = [orphans]
            below: list[tuple[int, str]] = []
            entries = list(self._list_folder(inum, parent, report, state, below))
            return entries, below, state[0]

        return relist

    def _failure(self, exc: BaseException) -> str:
        """Why TSK failed: the image reader's own error where it was one (pytsk3 passes that on only as
        a RuntimeError), else TSK's words. A Ctrl-C inside the reader is raised again here."""
        image = self._image
        interrupted, image.interrupted = image.interrupted, None
        if interrupted is not None:
            raise interrupted
        failure, image.failure = image.failure, None
        return str(failure) if failure is not None else _tsk_message(exc)

    def _orphan_meta(self, addr: int) -> Any:
        """Metadata of an orphan file: its name was made by TSK from this very inode, so it is its own."""
        if not addr:
            return None
        try:
            return self._fs.open_meta(inode=addr).info.meta
        except OSError:
            return None

    @staticmethod
    def _entry(name: Any, meta: Any, text: str, path: str, volume: str, label: str) -> Entry:
        name_type = name.type
        addr = name.meta_addr
        deleted = bool(name.flags & _NAME_UNALLOC)
        if meta is None:
            return Entry(
                path=path,
                name=text,
                type=_NAME_TYPES.get(name_type, _OTHER),
                size=0,
                volume=volume,
                filesystem=label,
                inode=addr,
                deleted=deleted,
                locator=(
                    volume,
                    addr,
                    -1,
                    -1,
                    TskDetail(NAME_TYPE_CHARS[name_type], None, deleted, False, ()),
                ),
            )
        meta_type = meta.type
        meta_flags = meta.flags
        # Inline for speed, since this runs once per entry. A file's four times are often equal (written
        # once, never read since), and a datetime costs more than comparing two integers, so equal
        # times share one object. _time handles the rare value out of datetime's range.
        mt, at, ct, crt = meta.mtime, meta.atime, meta.ctime, meta.crtime
        mtn = meta.mtime_nano if mt else 0
        atn = meta.atime_nano if at else 0
        ctn = meta.ctime_nano if ct else 0
        crn = meta.crtime_nano if crt else 0
        try:
            mtime = _EPOCH + _timedelta(0, mt, mtn // 1000) if mt else None
            if at == mt and atn == mtn:
                atime = mtime
            else:
                atime = _EPOCH + _timedelta(0, at, atn // 1000) if at else None
            if ct == mt and ctn == mtn:
                ctime = mtime
            else:
                ctime = _EPOCH + _timedelta(0, ct, ctn // 1000) if ct else None
            if crt == mt and crn == mtn:
                crtime = mtime
            elif crt == ct and crn == ctn:
                crtime = ctime
            else:
                crtime = _EPOCH + _timedelta(0, crt, crn // 1000) if crt else None
        except OverflowError:
            mtime, atime, ctime, crtime = _time(mt, mtn), _time(at, atn), _time(ct, ctn), _time(crt, crn)
        return Entry(
            path=path,
            name=text,
            type=_TYPES.get(meta_type, _OTHER),
            size=meta.size,
            volume=volume,
            filesystem=label,
            inode=addr,
            deleted=deleted or bool(meta_flags & _META_UNALLOC),
            mtime=mtime,
            atime=atime,
            ctime=ctime,
            crtime=crtime,
            link_target=_decode(meta.link)
            if meta_type == pytsk3.TSK_FS_META_TYPE_LNK and meta.link
            else None,
            mode=meta.mode,
            uid=meta.uid,
            gid=meta.gid,
            locator=(
                volume,
                addr,
                -1,
                -1,
                TskDetail(
                    NAME_TYPE_CHARS[name_type] if name_type < len(NAME_TYPE_CHARS) else "-",
                    META_TYPE_CHARS[meta_type] if meta_type < len(META_TYPE_CHARS) else "-",
                    deleted,
                    deleted and bool(meta_flags & _META_ALLOC),
                    (),
                ),
            ),
        )

    def _ntfs_entries(self, item: Any, name: Any, meta: Any, text: str, path: str) -> Iterator[Entry]:
        """One entry per $DATA stream and per index root other than a folder's $I30, as fls prints them."""
        base = self._entry(name, meta, text, path, self.name, self.label)
        detail: TskDetail = base.locator[4]  # type: ignore[assignment]
        streams: list[tuple[int, int, str | None, int]] = []
        fnames: list[tuple[int, int]] = []
        try:
            for attr in item:
                ainfo = attr.info
                atype = int(ainfo.type)
                if atype == _ATTR_DATA or atype == _ATTR_IDXROOT:
                    aname = _decode(ainfo.name) or None
                    if atype == _ATTR_IDXROOT and aname == "$I30":
                        aname = None
                    streams.append((atype, int(ainfo.id), aname, int(ainfo.size)))
                elif atype == _ATTR_FNAME:
                    fnames.append((int(ainfo.id), int(ainfo.size)))
        except OSError:
            pass  # attributes that cannot be listed leave the entry as TSK knows it from its name
        if not streams:
            yield _replace_locator(base, (self.name, base.locator[1], -1, -1, _with_fnames(detail, fnames)))
            return
        addr = base.locator[1]
        for index, (atype, aid, aname, asize) in enumerate(streams):
            yield Entry(
                path=base.path,
                name=base.name,
                type=_FILE if aname is not None and atype == _ATTR_DATA else base.type,
                size=asize,
                volume=base.volume,
                filesystem=base.filesystem,
                inode=f"{addr}-{atype}-{aid}",
                deleted=base.deleted,
                mtime=base.mtime,
                atime=base.atime,
                ctime=base.ctime,
                crtime=base.crtime,
                link_target=base.link_target,
                stream=aname,
                mode=base.mode,
                uid=base.uid,
                gid=base.gid,
                locator=(self.name, addr, atype, aid, _with_fnames(detail, fnames) if index == 0 else detail),
            )

    def close(self) -> None:
        if self._native is not None:
            self._native.close()  # a walk still running ends with ValueError, never reads freed memory
            self._native = None

    # -- reading -------------------------------------------------------------------------------------

    def open(self, entry: Entry) -> BinaryIO:
        if entry.type is EntryType.DIRECTORY and entry.stream is None:
            raise UsageError(f"{entry.location} is a folder, not a file", hint="give the path of a file")
        _, addr, atype, aid = entry.locator[:4]
        try:
            handle = self._fs.open_meta(inode=addr)
        except OSError as exc:
            raise EvidenceError(
                f"cannot open {entry.location} (inode {entry.inode}): {_tsk_message(exc)}",
                hint="its metadata is gone or damaged; the content cannot be recovered from the file system",
            ) from exc
        stream = _TskStream(handle, entry.size, int(atype), int(aid), entry.location)  # type: ignore[call-overload]
        return io.BufferedReader(stream, buffer_size=1 << 16)

    def filename_times(self, entry: Entry, attr_id: int) -> tuple[int, int, int, int] | None:
        """(atime, mtime, ctime, crtime) in Unix seconds from one NTFS $FILE_NAME attribute."""
        try:
            handle = self._fs.open_meta(inode=entry.locator[1])
            data = handle.read_random(0, 66, _ATTR_FNAME, attr_id)
        except OSError:
            return None
        if len(data) < 40:
            return None
        crt, mt, ct, at = (int.from_bytes(data[o : o + 8], "little") for o in (8, 16, 24, 32))
        return tuple(  # type: ignore[return-value]
            0 if v < _NTFS_EPOCH_DELTA else (v - _NTFS_EPOCH_DELTA) // 10_000_000 for v in (at, mt, ct, crt)
        )

    def find(self, path: str, stream: str | None) -> Entry | None:
        """The allocated entry at ``path`` (and NTFS ``stream``), straight from TSK's path lookup."""
        try:
            item = self._fs.open(path)
        except OSError:
            return None
        info = item.info
        if info.name is None:
            return None
        parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
        text = _decode(info.name.name)
        if path.rstrip("/") == "" or text in (".", ""):
            return None
        entries: list[Entry]
        if self._ntfs and info.meta is not None:
            entries = list(self._ntfs_entries(item, info.name, info.meta, text, parent + text))
        else:
            entries = [self._entry(info.name, info.meta, text, parent + text, self.name, self.label)]
        for entry in entries:
            if entry.stream == stream:
                return entry
        return None


def _with_fnames(detail: TskDetail, fnames: list[tuple[int, int]]) -> TskDetail:
    if not fnames:
        return detail
    return TskDetail(detail.name_type, detail.meta_type, detail.name_deleted, detail.realloc, tuple(fnames))


def _replace_locator(entry: Entry, locator: tuple[object, ...]) -> Entry:
    from dataclasses import replace

    return replace(entry, locator=locator)


# pytsk3's "Class: (tsk3.cpp:123)" and its "Unable to open directory: ", which the reason says already
_PYTSK_PREFIX = re.compile(r"^\w+: \(tsk3\.cpp:\d+\) (Unable to open directory: )?")


def _tsk_message(exc: BaseException) -> str:
    """The Sleuth Kit's own words, without pytsk3's "Class: (tsk3.cpp:123)" prefix."""
    text = _PYTSK_PREFIX.sub("", " ".join(str(exc).split()))
    return text or type(exc).__name__


class _TskStream(OffsetStream):
    """Read-only, seekable stream of one file (or NTFS stream) through TSK's read_random."""

    def __init__(self, handle: Any, size: int, attr_type: int, attr_id: int, where: str) -> None:
        super().__init__(size)
        self._handle = handle
        self._type = attr_type if attr_type >= 0 else _ATTR_DEFAULT
        self._id = attr_id
        self._where = where

    def _read_at(self, offset: int, size: int) -> bytes:
        try:
            data: bytes = self._handle.read_random(offset, size, self._type, self._id)
        except OSError as exc:
            raise EvidenceError(
                f"cannot read {self._where} at byte {offset}: {_tsk_message(exc)}",
                hint="the file's clusters are damaged or reused (deleted file); what was read is incomplete",
            ) from exc
        return data

    def _ended(self, position: int) -> bytes:
        raise EvidenceError(
            f"{self._where} ends at byte {position}, before its recorded size {self._size}",
            hint="the file's content is incomplete in the image (deleted or damaged)",
        )


class TskTree(EvidenceTree):
    """Every readable file system of an image: partitions through TSK, APFS through libfsapfs.

    ``keys`` maps a volume name ("p2", "p3.v1", or "*" for any) to a BitLocker or FileVault
    password or recovery password; keys are used to open the volume and then dropped.
    The tree owns ``reader`` and closes it with itself.
    """

    def __init__(self, reader: ImageReader, *, keys: Mapping[str, str] | None = None) -> None:
        _pin_timezone()
        self.reader = reader
        self.problems = []
        self._seen_problems: set[Problem] = set()
        self._volumes: list[Volume] = []
        self._filesystems: dict[str, TskFileSystem | LibyalFileSystem] = {}
        self._closers: list[Any] = []
        self._image = TskImage(reader)
        self.scheme, parts = partitions(self._image, reader.size)
        for problem in getattr(reader, "problems", []):
            self._problem(problem)
        # Physical volumes wait here, by volume group, until every partition has been looked at: a
        # logical volume may run across several of them.
        self._groups: dict[str, list[_Member]] = {}
        for part in parts:
            self._open_partition(part, keys)
        while self._groups:
            members = self._groups.pop(next(iter(self._groups)))
            for group in self._split_copies(members):
                self._open_volume_group(group, keys)

    def _open_partition(
        self,
        part: Partition,
        keys: Mapping[str, str] | None,
        reader: ImageReader | None = None,
        depth: int = 0,
        inside: frozenset[str] = frozenset(),
    ) -> None:
        """Open what ``part`` of ``reader`` holds (the image, or a logical volume ``depth`` LVM levels in)."""
        content = inspect(reader or self.reader, part, keys)
        if content.kind == "problem":
            assert content.problem is not None
            self._unreadable(part, content.problem)
            return
        if content.kind == "apfs":
            try:
                container = ApfsContainer(content.reader, content.offset, content.size, part.name, keys)
            except EvidenceError as exc:
                problem = Problem(where=part.name or "image", reason=exc.message, kind="corrupt")
                self._unreadable(part, problem, content.note)
                return
            self._closers.append(container)
            for problem in container.problems:
                self._problem(problem)
            for name, volume in container.volumes:
                self._filesystems[name] = ApfsFileSystem(name, volume)
            note = f"APFS container with volumes {container.describe_volumes() or 'none readable'}"
            self._volumes.append(volume_record(part, "apfs", None, note))
            return
        if content.kind == "lvm":
            if depth >= _MAX_LVM_DEPTH:  # a crafted volume that maps onto its own label would never end
                problem = Problem(
                    where=part.name,
                    reason="an LVM physical volume nested this deep is not followed",
                    kind="corrupt",
                )
                self._unreadable(part, problem)
                return
            self._open_lvm(part, content.reader, content.offset, content.size, keys, depth, inside)
            return
        source = reader or self.reader
        if content.reader is not source and content.kind == "filesystem" and depth < _MAX_LVM_DEPTH:
            # an encrypted volume opened with its key: look at what it holds as at a partition (Ubuntu's
            # full-disk encryption keeps LVM inside LUKS)
            self._closers.append(content.reader)
            description = "; ".join(d for d in (part.description, content.note) if d)
            inner = Partition(part.name, content.offset, content.size, description)
            first = len(self._volumes)
            self._open_partition(inner, keys, content.reader, depth + 1, inside)
            for index in range(first, len(self._volumes)):  # the volume itself stays where it is on disk
                if self._volumes[index].name == part.name:
                    self._volumes[index] = dataclasses.replace(
                        self._volumes[index], offset=part.offset, size=part.size
                    )
            return
        if content.kind == "xfs":
            try:
                xfs = XfsFileSystem(part.name, content.reader, content.offset, content.size)
            except EvidenceError as exc:
                problem = Problem(where=part.name or "image", reason=exc.message, kind="corrupt")
                self._unreadable(part, problem, content.note)
                return
            self._closers.append(xfs)
            self._filesystems[part.name] = xfs
            self._volumes.append(volume_record(part, "xfs", None, content.note))
            return
        image = self._image if content.reader is self.reader else TskImage(content.reader)
        if content.reader is not self.reader:
            self._closers.append(content.reader)
        try:
            fs_info = pytsk3.FS_Info(image, offset=content.offset)
        except OSError as exc:
            problem = no_filesystem_reason(
                content.reader, Partition(part.name, content.offset, content.size, ""), _tsk_message(exc)
            )
            self._unreadable(part, problem, content.note)
            return
        fs = TskFileSystem(part.name, fs_info, image, content.offset)
        self._filesystems[part.name] = fs
        self._volumes.append(volume_record(part, fs.label, None, content.note))

    def _open_lvm(
        self,
        part: Partition,
        reader: ImageReader,
        offset: int,
        size: int,
        keys: Mapping[str, str] | None,
        depth: int,
        inside: frozenset[str],
    ) -> None:
        """An LVM2 physical volume: each logical volume is opened like a partition of its own.

        ``inside`` holds the physical volumes this one lies in: metadata that maps a logical volume
        onto its own physical volume (crafted, or damaged) is refused, not followed round and round.
        """
        where = part.name or "image"
        try:
            pv = LvmPhysicalVolume(reader, offset, size, part.name)
        except EvidenceError as exc:
            problem = Problem(where=where, reason=exc.message, kind="corrupt")
            self._unreadable(part, problem)
            return
        if pv.pv_id in inside:
            problem = Problem(
                where=where,
                reason=f"a logical volume that holds the LVM physical volume {pv.pv_id} it lies on "
                "(damaged or crafted metadata): not followed",
                kind="corrupt",
            )
            self._unreadable(part, problem)
            return
        note = f"LVM physical volume {pv.pv_name} of volume group {pv.vg_name}" if pv.vg_name else ""
        self._volumes.append(
            volume_record(part, "lvm", None, note or "LVM physical volume in no volume group")
        )
        lv_names = {pv.volume_name(lv) for lv in pv.logical_volumes}
        for problem in pv.problems:
            if problem.where not in lv_names:  # the volume group judges its logical volumes, below
                self._problem(problem)
        if pv.vg_name:
            entry = (len(self._volumes) - 1, pv, depth, inside)
            self._groups.setdefault(pv.vg_id or pv.pv_id, []).append(entry)

    def _split_copies(self, members: list[_Member]) -> list[list[_Member]]:
        """The same physical volume found twice (an image holding two copies of a partition) is read as
        two groups, each copy on its own, and said; one copy never silently takes the other's place."""
        groups: list[list[_Member]] = [[]]
        seen: dict[str, str] = {}
        for member in members:
            _, pv, _, _ = member
            where = pv.where or "image"
            if pv.pv_id in seen:
                self._problem(
                    Problem(
                        where=where,
                        reason=f"LVM physical volume {pv.pv_id} is also in {seen[pv.pv_id]} (a copy?): each "
                        "copy is read on its own",
                        kind="corrupt",
                    )
                )
                groups.append([member])
            else:
                seen[pv.pv_id] = where
                groups[0].append(member)
        return groups

    def _open_volume_group(
        self,
        members: list[_Member],
        keys: Mapping[str, str] | None,
    ) -> None:
        """The logical volumes of one volume group, mapped across all its physical volumes found here."""
        pvs = [pv for _, pv, _, _ in members]
        try:
            group = LvmVolumeGroup(pvs)
        except EvidenceError as exc:
            for index, _pv, _, _ in members:
                self._problem(
                    Problem(where=self._volumes[index].name or "image", reason=exc.message, kind="corrupt")
                )
            return
        depth = max(depth for _, _, depth, _ in members)
        inside = frozenset().union(*(inside for _, _, _, inside in members)) | {pv.pv_id for pv in pvs}
        readable = [lv for lv in group.logical_volumes if lv.readable]
        listed = ", ".join(group.volume_name(lv) for lv in readable) or "none readable"
        for index, _pv, _, _ in members:
            self._volumes[index] = dataclasses.replace(
                self._volumes[index],
                description=f"{self._volumes[index].description}, logical volumes {listed}",
            )
        for problem in group.problems:
            self._problem(problem)
        for lv in readable:
            name = group.volume_name(lv)
            what = f"LVM logical volume {group.name}/{lv.name}"
            refused = self._refuse_volume(name, what)
            if refused is not None:
                self._problem(refused)
                continue
            self._open_partition(Partition(name, 0, lv.size, what), keys, group.open(lv), depth + 1, inside)

    def _refuse_volume(self, name: str, what: str) -> Problem | None:
        """Why a volume found inside another is not opened: a name that is taken or that a location
        could not name, or more volumes than any real disk holds (a crafted image multiplying them)."""
        if not _VOLUME_NAME.fullmatch(name):
            return Problem(
                where=name, reason=f"{what} has a name no location can carry: not opened", kind="corrupt"
            )
        if any(v.name == name for v in self._volumes):
            return Problem(
                where=name,
                reason=f"{what} has the name of another volume of this image: not opened",
                kind="corrupt",
            )
        if len(self._volumes) >= _MAX_VOLUMES:
            return Problem(
                where=name,
                reason=f"{what} not opened: {_MAX_VOLUMES} volumes were found already (damaged or crafted)",
                kind="corrupt",
            )
        return None

    def _unreadable(self, part: Partition, problem: Problem, note: str = "") -> None:
        """A partition (or volume) listed with the reason nothing in it can be read."""
        self._volumes.append(volume_record(part, None, problem, note))
        self._problem(problem)

    def _problem(self, problem: Problem) -> None:
        if problem not in self._seen_problems:
            self._seen_problems.add(problem)
            self.problems.append(problem)

    def volumes(self) -> list[Volume]:
        return list(self._volumes)

    def walk(self) -> Iterator[Entry]:
        for fs in list(self._filesystems.values()):
            yield from fs.walk(self._problem)
        self.collect_reader_problems()

    def collect_reader_problems(self) -> list[Problem]:
        """Problems the image reader found while being read (E01 chunks failing their checksum)."""
        found = list(getattr(self.reader, "problems", []))
        for problem in found:
            self._problem(problem)
        return found

    def open(self, entry: Entry) -> BinaryIO:
        fs = self._filesystems.get(entry.volume)
        if fs is None or not entry.locator:
            raise UsageError(
                f"{entry.location} does not come from this image",
                hint="look the entry up again in the exhibit it belongs to",
            )
        return fs.open(entry)

    def detail(self, entry: Entry) -> TskDetail | None:
        """fls's extra columns for an entry of this tree (None for APFS entries)."""
        found = entry.locator[4] if len(entry.locator) >= 5 else None
        return found if isinstance(found, TskDetail) else None

    def filename_times(self, entry: Entry, attr_id: int) -> tuple[int, int, int, int] | None:
        fs = self._filesystems.get(entry.volume)
        return fs.filename_times(entry, attr_id) if isinstance(fs, TskFileSystem) else None

    def lookup(self, location: str) -> Entry | None:
        volume, path = _split_location(location, self._filesystems)
        fs = self._filesystems.get(volume)
        if fs is None:
            return None
        stream: str | None = None
        if isinstance(fs, TskFileSystem) and fs.label == "ntfs" and ":" in path.rsplit("/", 1)[-1]:
            path, stream = path.rsplit(":", 1)
        found = fs.find(path, stream) if isinstance(fs, TskFileSystem) else fs.find(path)
        if found is not None:
            return found
        want = f"{volume}:{path}" if volume else path
        if stream:
            want = f"{want}:{stream}"
        for entry in fs.walk(self._problem):
            if entry.location == want:
                return entry
        return None

    def close(self) -> None:
        for fs in self._filesystems.values():
            if isinstance(fs, TskFileSystem):
                fs.close()
        self._filesystems.clear()
        for closer in self._closers:
            try:
                closer.close()
            except (OSError, ValueError):
                pass
        self._closers = []
        self.reader.close()


def _split_location(location: str, filesystems: Mapping[str, object]) -> tuple[str, str]:
    head, sep, rest = location.partition(":")
    if sep and head in filesystems and head:
        volume, path = head, rest
    else:
        volume, path = (
            ("" if "" in filesystems or len(filesystems) != 1 else next(iter(filesystems))),
            location,
        )
    # ".." is resolved inside the file system, never above its root
    return volume, posixpath.normpath("/" + path.lstrip("/")).replace("//", "/")

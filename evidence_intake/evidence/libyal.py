"""What The Sleuth Kit does not read, through the libyal bindings: virtual disks, APFS, XFS, BitLocker.

* VHD/VHDX (pyvhdi), VMDK (pyvmdk) and QCOW2 (pyqcow) from seized servers become ImageReaders;
  a differencing disk finds its parent beside it.
* Encrypted volumes are recognised by their signatures (BitLocker "-FVE-FS-" and BitLocker To Go,
  LUKS "LUKS\\xba\\xbe") and reported as such; BitLocker opens with a password or recovery password
  given by the user. Keys live only in memory for the time of the call: never stored, never logged.
* An APFS container ("NXSB") is opened with pyfsapfs and each of its volumes walked as a file
  system; FileVault-encrypted APFS volumes are reported as encrypted unless a key opens them.
* An XFS file system ("XFSB"), which the bundled Sleuth Kit does not read, is walked with pyfsxfs.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, BinaryIO

from evidence_intake.errors import EvidenceError
from evidence_intake.evidence.model import Entry, EntryType, ImageReader, Problem
from evidence_intake.evidence.streams import OffsetStream

BITLOCKER_SIGNATURE = b"-FVE-FS-"
LUKS_SIGNATURE = b"LUKS\xba\xbe"
APFS_CONTAINER_SIGNATURE = b"NXSB"
XFS_SIGNATURE = b"XFSB"
# BitLocker To Go keeps a FAT boot sector and points to its metadata with this GUID at 0x1A8.
_BITLOCKER_TO_GO_GUID = bytes.fromhex("3bd66749292ed84a8399f6a339e3d001")
_RECOVERY_PASSWORD = re.compile(r"^\d{6}(-\d{6}){7}$")
_MAX_PARENT_CHAIN = 32


def detect_container(head: bytes) -> str | None:
    """ "bitlocker", "luks", "apfs" or "xfs" when the first bytes of a volume say so, else None."""
    if head[3:11] == BITLOCKER_SIGNATURE or head[0x1A8:0x1B8] == _BITLOCKER_TO_GO_GUID:
        return "bitlocker"
    if head[:6] == LUKS_SIGNATURE:
        return "luks"
    if head[32:36] == APFS_CONTAINER_SIGNATURE:
        return "apfs"
    if head[:4] == XFS_SIGNATURE:
        return "xfs"
    return None


def luks_description(head: bytes) -> str:
    version = int.from_bytes(head[6:8], "big") if len(head) >= 8 else 0
    cipher = ""
    if version == 1 and len(head) >= 72:
        cipher = " " + b"-".join(p.rstrip(b"\0") for p in (head[8:40], head[40:72]) if p.strip(b"\0")).decode(
            "ascii", "replace"
        )
    return f"LUKS{version or ''}{cipher}".strip()


class ImageSlice(OffsetStream):
    """A read-only file object over a byte range of an image, for libraries that want one."""

    def __init__(self, reader: ImageReader, offset: int, size: int) -> None:
        super().__init__(size)
        self._reader = reader
        self._offset = offset

    def _read_at(self, offset: int, size: int) -> bytes:
        return self._reader.read_at(self._offset + offset, size)


class LibyalReader(ImageReader):
    """An ImageReader over a libyal handle that has read_buffer_at_offset (virtual disks, BitLocker)."""

    def __init__(self, handle: Any, *, fmt: str, paths: list[Path], size: int, keep: list[Any]) -> None:
        self._handle = handle
        self._keep = keep  # parents and file objects that must live as long as the handle
        self.format = fmt
        self.paths = paths
        self.size = size
        self.problems: list[Problem] = []

    def read_at(self, offset: int, size: int) -> bytes:
        size = min(size, self.size - offset)
        if size <= 0:
            return b""
        try:
            data: bytes = self._handle.read_buffer_at_offset(size, offset)
        except (OSError, ValueError) as exc:
            where = self.paths[0] if self.paths else self.format
            raise EvidenceError(
                f"cannot read bytes {offset}-{offset + size - 1} of {self.format} {where}: "
                f"{_first_line(exc)}",
                path=self.paths[0] if self.paths else None,
                hint="the image is damaged or incomplete; verify it against its recorded hash",
            ) from exc
        return data

    def close(self) -> None:
        for handle in [self._handle, *self._keep]:
            close = getattr(handle, "close", None)
            if close is not None:
                try:
                    close()
                except (OSError, ValueError):
                    pass


def open_virtual_disk(path: Path, kind: str) -> ImageReader:
    """A VHD, VHDX, VMDK or QCOW2 disk (kind from images.sniff_format), parents included."""
    keep: list[Any] = []
    handle = _open_disk(path, kind, keep, depth=0)
    try:
        size = int(handle.get_media_size())
    except (OSError, ValueError) as exc:
        raise EvidenceError(
            f"cannot read the size of virtual disk {path}: {_first_line(exc)}",
            path=path,
            hint="the disk is damaged",
        ) from exc
    paths = [path, *(p for p in keep if isinstance(p, Path))]
    return LibyalReader(
        handle, fmt=kind, paths=paths, size=size, keep=[k for k in keep if not isinstance(k, Path)]
    )


def _open_disk(path: Path, kind: str, keep: list[Any], *, depth: int) -> Any:
    if depth > _MAX_PARENT_CHAIN:
        raise EvidenceError(
            f"virtual disk {path} has more than {_MAX_PARENT_CHAIN} parents (a loop?)",
            path=path,
            hint="check the parent names stored in the differencing disks",
        )
    label = {"vhd": "VHD", "vhdx": "VHDX", "vmdk": "VMDK", "qcow2": "QCOW2"}[kind]
    try:
        if kind in ("vhd", "vhdx"):
            import pyvhdi

            handle = pyvhdi.file()
            handle.open(str(path), "r")
            parent_name = (
                handle.parent_filename if handle.disk_type == pyvhdi.disk_types.DIFFERENTIAL else None
            )
        elif kind == "vmdk":
            import pyvmdk

            handle = pyvmdk.handle()
            handle.open(str(path), "r")
            handle.open_extent_data_files()
            parent_name = handle.parent_filename
        else:
            import pyqcow

            handle = pyqcow.file()
            handle.open(str(path), "r")
            if handle.is_locked():
                raise EvidenceError(
                    f"QCOW2 disk {path} is encrypted",
                    path=path,
                    hint="decrypt it with qemu-img convert on the source system and acquire the result",
                )
            parent_name = handle.backing_filename
    except EvidenceError:
        raise
    except (OSError, ValueError) as exc:
        raise EvidenceError(
            f"cannot open {label} disk {path}: {_first_line(exc)}",
            path=path,
            hint="the virtual disk is damaged or incomplete (for VMDK: keep the extent files beside it)",
        ) from exc
    if parent_name:
        parent_path = _find_parent(path, str(parent_name))
        keep.append(parent_path)
        from evidence_intake.evidence.images import sniff_format

        parent = _open_disk(parent_path, sniff_format(parent_path), keep, depth=depth + 1)
        keep.append(parent)
        try:
            handle.set_parent(parent)
        except (OSError, ValueError) as exc:
            raise EvidenceError(
                f"{parent_path} is not the parent of differencing disk {path}: {_first_line(exc)}",
                path=parent_path,
                hint="copy the right parent disk beside the differencing disk",
            ) from exc
    return handle


def _find_parent(child: Path, stored_name: str) -> Path:
    """The parent of a differencing disk, looked up by its file name beside the child."""
    name = PureWindowsPath(stored_name).name if "\\" in stored_name else PurePosixPath(stored_name).name
    candidate = child.parent / name
    if candidate.is_file():
        return candidate
    raise EvidenceError(
        f"virtual disk {child} is a differencing disk whose parent {name} is not beside it",
        path=candidate,
        hint=f"copy the parent disk {stored_name} into {child.parent}",
    )


def key_for(keys: Any, volume: str) -> str | None:
    if not keys:
        return None
    secret = keys.get(volume)
    if secret is None:
        secret = keys.get("*")
    return None if secret is None else str(secret)


def unlock_bitlocker(reader: ImageReader, offset: int, size: int, secret: str) -> ImageReader | None:
    """The decrypted BitLocker volume, or None when the key does not open it."""
    import pybde

    volume = pybde.volume()
    if _RECOVERY_PASSWORD.match(secret.strip()):
        volume.set_recovery_password(secret.strip())
    else:
        volume.set_password(secret)
    source = ImageSlice(reader, offset, size)
    try:
        volume.open_file_object(source, "r")
    except (OSError, ValueError):
        return None
    if volume.is_locked():
        try:
            volume.close()
        except (OSError, ValueError):
            pass
        return None
    return LibyalReader(
        volume, fmt="bitlocker", paths=list(reader.paths), size=int(volume.get_size()), keep=[]
    )


# --- APFS ---------------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_S_IFMT = 0o170000
_S_IFDIR = 0o040000
_S_IFREG = 0o100000
_S_IFLNK = 0o120000


class ApfsContainer:
    """The volumes of one APFS container, each walked as its own file system.

    Volume names are the partition's name with ".v1", ".v2"… ("p2.v1"); a locked (FileVault)
    volume that no key opens becomes a Problem of kind "encrypted" and is left out of the walk.
    """

    def __init__(self, reader: ImageReader, offset: int, size: int, partition: str, keys: Any) -> None:
        import pyfsapfs

        self.partition = partition
        self.problems: list[Problem] = []
        self._source = ImageSlice(reader, offset, size)
        self._container = pyfsapfs.container()
        try:
            self._container.open_file_object(self._source, "r")
        except (OSError, ValueError) as exc:
            raise EvidenceError(
                f"APFS container in {partition or 'the image'} cannot be opened: {_first_line(exc)}",
                hint="the container is damaged; list what TSK can see with mmls/fsstat",
            ) from exc
        self.volumes: list[tuple[str, Any]] = []
        for index in range(int(self._container.number_of_volumes)):
            name = f"{partition}.v{index + 1}" if partition else f"v{index + 1}"
            try:
                volume = self._container.get_volume(index)
                if volume.is_locked():
                    secret = key_for(keys, name) or key_for(keys, partition)
                    if secret is None or not _unlock_apfs(volume, secret):
                        reason = f"APFS volume {volume.name!r} is encrypted (FileVault)" + (
                            "; the key given did not open it"
                            if secret
                            else "; give a password or recovery key"
                        )
                        self.problems.append(Problem(where=name, reason=reason, kind="encrypted"))
                        continue
                self.volumes.append((name, volume))
            except (OSError, ValueError) as exc:
                self.problems.append(
                    Problem(
                        where=name, reason=f"APFS volume cannot be read: {_first_line(exc)}", kind="corrupt"
                    )
                )

    def describe_volumes(self) -> str:
        """The readable volumes with their own names: 'p2.v1 "Macintosh HD - Data", p2.v2 "Preboot"'."""
        return ", ".join(f'{name} "{_volume_name(volume)}"' for name, volume in self.volumes)

    def close(self) -> None:
        try:
            self._container.close()
        except (OSError, ValueError):
            pass


def _volume_name(volume: Any) -> str:
    """An APFS volume's own name, printable, or "" when it cannot be read."""
    try:
        name = str(volume.name or "")
    except (OSError, ValueError):
        return ""
    return "".join(c if c.isprintable() else "?" for c in name)


def _unlock_apfs(volume: Any, secret: str) -> bool:
    try:
        if re.match(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){5}$", secret.strip()):
            volume.set_recovery_password(secret.strip())
        else:
            volume.set_password(secret)
        return bool(volume.unlock())
    except (OSError, ValueError):
        return False


class LibyalFileSystem:
    """Walk and read one file system opened by a libyal library (an APFS volume, an XFS file system).

    The libraries share one file-entry interface: names, POSIX modes and times in nanoseconds since
    1970, sub-entries by index, content by offset. They list allocated entries only, so nothing is
    reported as deleted here. Entries carry the volume's name as ``volume`` and ``label`` as file system.
    """

    label = ""

    def __init__(self, name: str, volume: Any) -> None:
        self.name = name
        self._volume = volume

    def _inode(self, item: Any) -> int:
        raise NotImplementedError

    def _by_inode(self, inode: int) -> Any:
        raise NotImplementedError

    def walk(self, report: Callable[[Problem], None]) -> Iterator[Entry]:
        try:
            root = self._volume.get_root_directory()
            root_inode = self._inode(root)
        except (OSError, ValueError) as exc:
            report(Problem(where=f"{self.name}:/", reason=_first_line(exc), kind="corrupt"))
            return
        stack: list[tuple[Any, str]] = [(root, "/")]
        seen = {root_inode}
        while stack:
            directory, path = stack.pop()
            try:
                count = int(directory.number_of_sub_file_entries)
            except (OSError, ValueError) as exc:
                report(Problem(where=f"{self.name}:{path}", reason=_first_line(exc), kind="corrupt"))
                continue
            for index in range(count):
                try:
                    item = directory.get_sub_file_entry(index)
                    entry = self._entry(item, path)
                except (OSError, ValueError) as exc:
                    report(
                        Problem(
                            where=f"{self.name}:{path}",
                            reason=f"entry {index}: {_first_line(exc)}",
                            kind="corrupt",
                        )
                    )
                    continue
                yield entry
                inode = entry.locator[1]
                if entry.type is EntryType.DIRECTORY and inode not in seen:
                    seen.add(inode)  # type: ignore[arg-type]
                    stack.append((item, entry.path + "/"))

    def _entry(self, item: Any, parent: str) -> Entry:
        name = "" if item.name is None else str(item.name)  # the root directory has no name
        mode = int(item.file_mode or 0)
        fmt = mode & _S_IFMT
        kind = {_S_IFDIR: EntryType.DIRECTORY, _S_IFREG: EntryType.FILE, _S_IFLNK: EntryType.LINK}.get(
            fmt, EntryType.OTHER
        )
        inode = self._inode(item)
        return Entry(
            path=parent + name if name else "/",
            name=name,
            type=kind,
            size=int(item.size or 0) if kind is not EntryType.DIRECTORY else 0,
            volume=self.name,
            filesystem=self.label,
            inode=inode,
            mtime=_ns_time(item.get_modification_time_as_integer()),
            atime=_ns_time(item.get_access_time_as_integer()),
            ctime=_ns_time(item.get_inode_change_time_as_integer()),
            crtime=_ns_time(item.get_creation_time_as_integer()),
            link_target=str(item.symbolic_link_target) if kind is EntryType.LINK else None,
            mode=mode & 0o7777,
            uid=item.owner_identifier,
            gid=item.group_identifier,
            locator=(self.name, inode),
        )

    def open(self, entry: Entry) -> BinaryIO:
        try:
            item = self._by_inode(int(entry.locator[1]))  # type: ignore[call-overload]
        except (OSError, ValueError) as exc:
            raise EvidenceError(f"cannot open {entry.location}: {_first_line(exc)}") from exc
        return io.BufferedReader(_LibyalStream(item, int(item.size or 0), entry.location))

    def find(self, path: str) -> Entry | None:
        try:
            item = self._volume.get_file_entry_by_path(path)
        except (OSError, ValueError):
            return None
        if item is None:
            return None
        parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
        return self._entry(item, parent)


class ApfsFileSystem(LibyalFileSystem):
    """One APFS volume of a container (pyfsapfs); entries are numbered by their APFS identifier."""

    label = "apfs"

    def _inode(self, item: Any) -> int:
        return int(item.identifier)

    def _by_inode(self, inode: int) -> Any:
        return self._volume.get_file_entry_by_identifier(inode)


class XfsFileSystem(LibyalFileSystem):
    """An XFS file system (Linux servers: the default of Red Hat and its kin), through pyfsxfs.

    The Sleuth Kit that pytsk3 carries does not read XFS. Opened over a slice of the image, read-only.
    """

    label = "xfs"

    def __init__(self, name: str, reader: ImageReader, offset: int, size: int) -> None:
        import pyfsxfs

        self._source = ImageSlice(reader, offset, size)
        volume = pyfsxfs.volume()
        try:
            volume.open_file_object(self._source)
        except (OSError, ValueError) as exc:
            where = name or "the image"
            head = reader.read_at(offset, 16)
            needed = int.from_bytes(head[8:16], "big") * int.from_bytes(head[4:8], "big")
            if needed > size:  # libfsxfs reads every allocation group's superblock when it opens
                raise EvidenceError(
                    f"XFS file system in {where} cannot be opened: the image holds {size} of its "
                    f"{needed} bytes",
                    hint="the image or the partition is cut short: acquire the whole medium again, "
                    "or read what is there with a tool that tolerates a truncated XFS",
                ) from exc
            raise EvidenceError(
                f"XFS file system in {where} cannot be opened: {_all_lines(exc)}",
                hint="its superblock or an allocation group's is damaged (libfsxfs reads them all); "
                "check a copy with xfs_repair -n, which can rebuild from the others",
            ) from exc
        super().__init__(name, volume)

    def _inode(self, item: Any) -> int:
        return int(item.inode_number)

    def _by_inode(self, inode: int) -> Any:
        return self._volume.get_file_entry_by_inode(inode)

    def close(self) -> None:
        try:
            self._volume.close()
        except (OSError, ValueError):
            pass


def _ns_time(value: int | None) -> datetime | None:
    """Nanoseconds since 1970 (APFS, XFS) as an aware UTC datetime; None when unset or out of range."""
    if not value:
        return None
    try:
        return _EPOCH + timedelta(microseconds=value // 1000)
    except OverflowError:
        return None


class _LibyalStream(OffsetStream):
    """Read-only stream over a libyal object with read_buffer_at_offset (an APFS file entry)."""

    def __init__(self, item: Any, size: int, where: str) -> None:
        super().__init__(size)
        self._item = item
        self._where = where

    def _read_at(self, offset: int, size: int) -> bytes:
        try:
            data: bytes = self._item.read_buffer_at_offset(size, offset)
        except (OSError, ValueError) as exc:
            raise EvidenceError(f"cannot read {self._where} at byte {offset}: {_first_line(exc)}") from exc
        return data


def _all_lines(exc: BaseException) -> str:
    """A libyal error with every step of its chain, on one line ("…: unable to read superblock: 2…")."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.split(". ")[0] if text else type(exc).__name__

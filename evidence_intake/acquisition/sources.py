"""Sources of a physical acquisition: block devices, regular files and existing images.

Every source is opened read-only. A block device is also set read-only in the kernel before it is
read (BLKROSET, as ``blockdev --setro`` does) where the system allows it, and whether that worked
is recorded. The identity of the source (size, model, serial from sysfs) is recorded so that a
resumed acquisition can prove it is reading the same medium.
"""

from __future__ import annotations

import abc
import errno
import fcntl
import os
import stat
import struct
from pathlib import Path
from typing import Any

from evidence_intake.errors import EvidenceError, NotFoundError, UsageError

BLKROSET = 0x125D
BLKROGET = 0x125E
BLKSSZGET = 0x1268
BLKGETSIZE64 = 0x80081272


class Source(abc.ABC):
    """Random-access, read-only media data of known size."""

    kind: str  # "block-device", "file", "image"
    path: Path
    size: int
    sector_size: int = 512

    @abc.abstractmethod
    def readinto(self, offset: int, buffer: memoryview) -> int:
        """Read up to len(buffer) bytes at ``offset``; OSError on a media error."""

    @abc.abstractmethod
    def identity(self) -> dict[str, Any]:
        """What identifies this medium (recorded in the ledger, compared on resume)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the source."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileSource(Source):
    """A regular file (a raw image or any file) read with pread, never written."""

    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        flags = os.O_RDONLY | getattr(os, "O_NOATIME", 0)
        try:
            self.fd = os.open(path, flags)
        except PermissionError:
            self.fd = os.open(path, os.O_RDONLY)  # O_NOATIME needs ownership; fall back
        st = os.fstat(self.fd)
        self.size = st.st_size
        self._stat = st

    def readinto(self, offset: int, buffer: memoryview) -> int:
        return os.preadv(self.fd, [buffer], offset)

    def identity(self) -> dict[str, Any]:
        st = self._stat
        return {
            "kind": self.kind,
            "path": str(self.path.resolve()),
            "size": self.size,
            "device": f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}",
            "inode": st.st_ino,
            "mtime_ns": str(st.st_mtime_ns),  # beyond 2**53: kept exact as text
        }

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class BlockDeviceSource(FileSource):
    """A disk, memory card or partition. Set read-only in the kernel before reading where allowed."""

    kind = "block-device"

    def __init__(self, path: Path, *, set_readonly: bool = True) -> None:
        self.path = path
        self.readonly_result = "not attempted"
        fd = os.open(path, os.O_RDONLY)
        self.fd = fd
        self._stat = os.fstat(fd)
        buf = fcntl.ioctl(fd, BLKGETSIZE64, b"\0" * 8)
        self.size = struct.unpack("Q", buf)[0]
        try:
            self.sector_size = struct.unpack("i", fcntl.ioctl(fd, BLKSSZGET, b"\0" * 4))[0]
        except OSError:
            self.sector_size = 512
        self.was_readonly = self._get_ro()
        self.mounts: list[dict[str, Any]] = []  # file systems mounted from it while imaged (--allow-mounted)
        if set_readonly:
            self.readonly_result = self._set_ro()

    @property
    def rdev(self) -> int:
        """The device number (major, minor) of the opened device."""
        return self._stat.st_rdev

    def _get_ro(self) -> bool | None:
        try:
            return bool(struct.unpack("i", fcntl.ioctl(self.fd, BLKROGET, b"\0" * 4))[0])
        except OSError:
            return None

    def _set_ro(self) -> str:
        if self.was_readonly:
            return "already read-only"
        try:
            fcntl.ioctl(self.fd, BLKROSET, struct.pack("i", 1))
        except OSError as exc:
            return f"could not set read-only: {os.strerror(exc.errno or errno.EPERM)}"
        return "set read-only (BLKROSET)" if self._get_ro() else "BLKROSET accepted but not in effect"

    def identity(self) -> dict[str, Any]:
        rdev = self._stat.st_rdev
        info: dict[str, Any] = {
            "kind": self.kind,
            "path": str(self.path),
            "size": self.size,
            "sector_size": self.sector_size,
            "major_minor": f"{os.major(rdev)}:{os.minor(rdev)}",
            "read_only_before": self.was_readonly,
            "read_only": self.readonly_result,
        }
        info.update(sysfs_identity(rdev))
        if self.mounts:
            info["mounted"] = self.mounts
        return info


def sysfs_identity(rdev: int) -> dict[str, Any]:
    """Model, serial, vendor and removable flag from sysfs (the whole disk's, for a partition)."""
    base = Path(f"/sys/dev/block/{os.major(rdev)}:{os.minor(rdev)}")
    out: dict[str, Any] = {}
    try:
        real = base.resolve(strict=True)
    except OSError:
        return out
    disk = real.parent if (real / "partition").exists() else real
    out["kernel_name"] = real.name
    if disk != real:
        out["disk"] = disk.name
        try:
            out["partition_start_sector"] = int((real / "start").read_text())
        except (OSError, ValueError):
            pass
    for key, rel in (
        ("model", "device/model"),
        ("vendor", "device/vendor"),
        ("serial", "device/serial"),
        ("wwid", "device/wwid"),
        ("removable", "removable"),
        ("rotational", "queue/rotational"),
    ):
        try:
            out[key] = (disk / rel).read_text(errors="replace").strip()
        except OSError:
            continue
    if "serial" not in out:  # NVMe and MMC keep the serial elsewhere
        for rel in ("serial", "device/cid", "device/device/serial"):
            try:
                out["serial"] = (disk / rel).read_text(errors="replace").strip()
                break
            except OSError:
                continue
    return out


class ImageSource(Source):
    """An existing image (raw, split raw, E01) re-acquired through its reader, media data only."""

    kind = "image"

    def __init__(self, path: Path) -> None:
        from evidence_intake.evidence.images import open_image

        self.path = path
        self.reader = open_image([path])
        self.size = self.reader.size

    def readinto(self, offset: int, buffer: memoryview) -> int:
        data = self.reader.read_at(offset, len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": str(self.path.resolve()),
            "format": self.reader.format,
            "segments": [str(p) for p in self.reader.paths],
            "size": self.size,
        }

    def stored_hashes(self) -> dict[str, str]:
        stored = getattr(self.reader, "stored_hashes", None)
        return dict(stored()) if callable(stored) else {}

    def close(self) -> None:
        self.reader.close()


def _is_image_set(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix in (".e01", ".000", ".001") or (suffix[1:].isdigit() and len(suffix) == 4)


def open_source(path: Path) -> Source:
    """Open ``path`` as a physical source; errors name the path before anything is written."""
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise NotFoundError(
            f"source {path} does not exist", path=path, hint="check the device name with lsblk"
        ) from exc
    except PermissionError as exc:
        raise EvidenceError(
            f"source {path} cannot be read: permission denied", path=path, hint="run as root to read devices"
        ) from exc
    try:
        if stat.S_ISBLK(st.st_mode):
            return BlockDeviceSource(path)
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(
                f"{path} is a folder where a device or image file was expected",
                hint="leave out --format to acquire the folder as a logical source",
            )
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(f"{path} is neither a block device nor a regular file")
        if _is_image_set(path):
            return ImageSource(path)
        return FileSource(path)
    except PermissionError as exc:
        raise EvidenceError(
            f"source {path} cannot be opened: permission denied",
            path=path,
            hint="run as root to read devices",
        ) from exc
    except OSError as exc:
        raise EvidenceError(f"source {path} cannot be opened: {exc.strerror or exc}", path=path) from exc

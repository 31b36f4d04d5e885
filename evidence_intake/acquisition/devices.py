"""Which devices and disks a block device or a folder rests on: the check that an image is never
written to the media it is taken from.

Writing anywhere on a seized disk changes it (its free space, its file-system journal), so the
destination of an image must not rest on any disk the source rests on. Devices stack, and the kernel
shows how in sysfs (``/sys/dev/block/MAJOR:MINOR``):

* a partition (``sdb2``) rests on its whole disk (``sdb``);
* a device-mapper, RAID or bcache device (LVM, dm-crypt/LUKS, ``md0``) rests on the devices listed
  in its ``slaves/`` folder, which may be partitions or stacked devices themselves;
* a loop device rests on the file system that holds its backing file (``loop/backing_file``).

The source is followed through partitions and slaves: the disks that hold its data. The destination
is followed through loop backing files too, since a file system inside an image file that lives on
the seized disk writes to that disk. The destination folder's device is the one ``stat`` reports and,
for file systems that report a device number of their own (btrfs, some network and FUSE ones), the
device named as the mount's source in ``/proc/self/mountinfo``.

Where the kernel says nothing (no sysfs, a tmpfs or network destination) the answer is empty: the
check cannot refuse what it cannot see, and the acquisition goes on.

``mounts_on`` lists the file systems mounted from a source device (from any of its partitions or a
volume stacked on it): a file system mounted read-write may be written by the running system while it
is imaged (journal replays, access times, a desktop's thumbnail caches), and the image would then
match no later reading of the medium.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

SYS = Path("/sys")
MOUNTINFO = Path("/proc/self/mountinfo")


def devices_under(dev: int, *, follow_loop: bool = False, sys_root: Path = SYS) -> set[str]:
    """Kernel names of the whole devices that block device number ``dev`` stores its data through.

    The device itself (its whole disk, for a partition) and every device below it, down to the disks:
    ``{"dm-1", "dm-0", "sdb"}`` for LUKS over LVM over ``sdb2``. ``follow_loop`` also follows a loop
    device to the devices that hold its backing file. Empty when sysfs does not know the device.
    """
    found: set[str] = set()
    seen: set[Path] = set()
    pending: list[Path] = [sys_root / "dev" / "block" / f"{os.major(dev)}:{os.minor(dev)}"]
    while pending:
        try:
            node = pending.pop().resolve(strict=True)
        except OSError:
            continue
        if node in seen:
            continue
        seen.add(node)
        whole = node.parent if (node / "partition").exists() else node
        lower = [*_entries(whole / "slaves"), *_entries(node / "slaves")]
        if follow_loop and (whole / "loop").is_dir():
            backing = _read(whole / "loop" / "backing_file")
            if backing:
                try:
                    host = os.stat(backing.removesuffix(" (deleted)")).st_dev
                except OSError:
                    host = None
                if host is not None:
                    lower.append(sys_root / "dev" / "block" / f"{os.major(host)}:{os.minor(host)}")
        pending.extend(lower)
        found.add(whole.name)
    return found


def folder_devices(folder: Path, *, mountinfo: Path = MOUNTINFO) -> set[int]:
    """Device numbers that writing into ``folder`` may write to: its own, and its mount's source.

    A folder that does not exist yet is judged by its nearest existing parent, where it would be made:
    the check runs before anything, even a folder, is created.
    """
    folder = _existing(folder)
    devices = {folder.stat().st_dev}
    source = _mount_source(folder.resolve(), mountinfo)
    if source is not None and source.startswith("/"):  # not "tmpfs", "overlay", "server:/export"
        try:
            st = os.stat(source)
        except OSError:
            st = None
        if st is not None and stat.S_ISBLK(st.st_mode):
            devices.add(st.st_rdev)
    return devices


def shared_devices(
    source_dev: int, folder: Path, *, sys_root: Path = SYS, mountinfo: Path = MOUNTINFO
) -> set[str]:
    """The devices that both the source device and the destination folder rest on (empty: none known)."""
    source = devices_under(source_dev, sys_root=sys_root)
    if not source:
        return set()
    destination: set[str] = set()
    for dev in folder_devices(folder, mountinfo=mountinfo):
        destination |= devices_under(dev, follow_loop=True, sys_root=sys_root)
    return source & destination


@dataclass(frozen=True, slots=True)
class Mount:
    point: str  # where it is mounted
    source: str  # what mountinfo names as its source ("/dev/sdb1")
    read_only: bool


def mounts_on(dev: int, *, sys_root: Path = SYS, mountinfo: Path = MOUNTINFO) -> list[Mount]:
    """The file systems mounted from device ``dev`` or from anything resting on it."""
    if not devices_under(dev, sys_root=sys_root):
        return []
    try:
        lines = mountinfo.read_text(errors="surrogateescape").splitlines()
    except OSError:
        return []
    found: list[Mount] = []
    for line in lines:
        fields = line.split(" ")
        if "-" not in fields or len(fields) < 6:
            continue
        after = fields[fields.index("-") + 1 :]
        source = _unescape(after[1]) if len(after) >= 2 else ""
        numbers = set()
        major, _, minor = fields[2].partition(":")
        if major.isdigit() and minor.isdigit():
            numbers.add(os.makedev(int(major), int(minor)))
        if source.startswith("/"):
            try:
                st = os.stat(source)
            except OSError:
                st = None
            if st is not None and stat.S_ISBLK(st.st_mode):
                numbers.add(st.st_rdev)
        # The device itself, or a partition or volume above it; never what lies below it.
        if any(dev in devices_under_numbers(n, sys_root) or n == dev for n in numbers):
            options = set(fields[5].split(",")) | set(after[2].split(",") if len(after) >= 3 else ())
            found.append(Mount(point=_unescape(fields[4]), source=source, read_only="ro" in options))
    return found


def devices_under_numbers(dev: int, sys_root: Path = SYS) -> set[int]:
    """Device numbers of ``dev`` and of every device it rests on (partitions' disks, slaves)."""
    numbers: set[int] = set()
    seen: set[Path] = set()
    pending: list[Path] = [sys_root / "dev" / "block" / f"{os.major(dev)}:{os.minor(dev)}"]
    while pending:
        try:
            node = pending.pop().resolve(strict=True)
        except OSError:
            continue
        if node in seen:
            continue
        seen.add(node)
        for candidate in (node, node.parent if (node / "partition").exists() else node):
            number = _read(candidate / "dev")
            major, _, minor = number.partition(":")
            if major.isdigit() and minor.isdigit():
                numbers.add(os.makedev(int(major), int(minor)))
        whole = node.parent if (node / "partition").exists() else node
        pending.extend([*_entries(whole / "slaves"), *_entries(node / "slaves")])
    return numbers


def _existing(folder: Path) -> Path:
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="surrogateescape").strip()
    except OSError:
        return ""


def _mount_source(path: Path, mountinfo: Path) -> str | None:
    """The source field of the mount holding ``path`` (the longest mount point above it)."""
    try:
        lines = mountinfo.read_text(errors="surrogateescape").splitlines()
    except OSError:
        return None
    best: tuple[int, str] | None = None
    target = str(path)
    for line in lines:
        fields = line.split(" ")
        if "-" not in fields or len(fields) < 5:
            continue
        point = _unescape(fields[4])
        if not (target == point or target.startswith(point.rstrip("/") + "/")):
            continue
        after = fields[fields.index("-") + 1 :]
        if len(after) >= 2 and (best is None or len(point) >= best[0]):
            best = (len(point), _unescape(after[1]))
    return best[1] if best else None


def _unescape(text: str) -> str:
    """mountinfo writes space, tab, newline and backslash in octal (``\\040``)."""
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        digits = text[i + 1 : i + 4]
        if text[i] == "\\" and len(digits) == 3 and all(c in "01234567" for c in digits):
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)

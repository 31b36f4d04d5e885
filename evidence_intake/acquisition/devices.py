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


def _stack(dev: int, *, follow_loop: bool, sys_root: Path) -> list[tuple[Path, Path]]:
    """(node, whole device) of ``dev`` and of every device below it, as sysfs shows them.

    For a partition the node is the partition and the whole device its disk. Below a device lie its
    ``slaves`` and, with ``follow_loop``, the device holding a loop device's backing file.
    """
    visited: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    pending: list[Path] = [_sys_node(dev, sys_root)]
    while pending:
        try:
            node = pending.pop().resolve(strict=True)
        except OSError:
            continue
        if node in seen:
            continue
        seen.add(node)
        whole = node.parent if (node / "partition").exists() else node
        visited.append((node, whole))
        pending += [*_entries(whole / "slaves"), *_entries(node / "slaves")]
        if follow_loop and (whole / "loop").is_dir():
            backing = _read(whole / "loop" / "backing_file")
            if backing:
                try:
                    pending.append(_sys_node(os.stat(backing.removesuffix(" (deleted)")).st_dev, sys_root))
                except OSError:
                    pass
    return visited


def devices_under(dev: int, *, follow_loop: bool = False, sys_root: Path = SYS) -> set[str]:
    """Kernel names of the whole devices that block device number ``dev`` stores its data through.

    The device itself (its whole disk, for a partition) and every device below it, down to the disks:
    ``{"dm-1", "dm-0", "sdb"}`` for LUKS over LVM over ``sdb2``. ``follow_loop`` also follows a loop
    device to the devices that hold its backing file. Empty when sysfs does not know the device.
    """
    return {whole.name for _node, whole in _stack(dev, follow_loop=follow_loop, sys_root=sys_root)}


def folder_devices(folder: Path, *, mountinfo: Path = MOUNTINFO) -> set[int]:
    """Device numbers that writing into ``folder`` may write to: its own, and its mount's source.

    A folder that does not exist yet is judged by its nearest existing parent, where it would be made:
    the check runs before anything, even a folder, is created.
    """
    folder = _existing(folder)
    devices = {folder.stat().st_dev}
    target = str(folder.resolve())
    holding = [
        m for m in _mounts(mountinfo) if target == m.point or target.startswith(m.point.rstrip("/") + "/")
    ]
    if holding:  # the longest mount point above the folder; the last mounted of equal ones
        mount = max(reversed(holding), key=lambda m: len(m.point))
        source = _block_number(mount.source)
        if source is not None:
            devices.add(source)
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
    device: int | None = None  # the device number mountinfo gives (anonymous for btrfs)


def mounts_on(dev: int, *, sys_root: Path = SYS, mountinfo: Path = MOUNTINFO) -> list[Mount]:
    """The file systems mounted from device ``dev`` or from anything resting on it."""
    if not devices_under(dev, sys_root=sys_root):
        return []
    found: list[Mount] = []
    for mount in _mounts(mountinfo):
        numbers = {n for n in (mount.device, _block_number(mount.source)) if n is not None}
        # The device itself, or a partition or volume above it; never what lies below it.
        if any(n == dev or dev in _numbers_under(n, sys_root) for n in numbers):
            found.append(mount)
    return found


def _numbers_under(dev: int, sys_root: Path) -> set[int]:
    """Device numbers of ``dev`` and of every device it rests on (partitions' disks, slaves)."""
    numbers: set[int] = set()
    for node, whole in _stack(dev, follow_loop=False, sys_root=sys_root):
        for path in {node, whole}:
            number = _parse_number(_read(path / "dev"))
            if number is not None:
                numbers.add(number)
    return numbers


def _mounts(mountinfo: Path) -> list[Mount]:
    """Every mount of ``/proc/self/mountinfo`` (or a file written like it), in its order."""
    try:
        lines = mountinfo.read_text(errors="surrogateescape").splitlines()
    except OSError:
        return []
    mounts: list[Mount] = []
    for line in lines:
        fields = line.split(" ")
        if "-" not in fields or len(fields) < 6:
            continue
        after = fields[fields.index("-") + 1 :]
        if len(after) < 2:
            continue
        options = set(fields[5].split(",")) | set(after[2].split(",") if len(after) >= 3 else ())
        mounts.append(
            Mount(
                point=_unescape(fields[4]),
                source=_unescape(after[1]),
                read_only="ro" in options,
                device=_parse_number(fields[2]),
            )
        )
    return mounts


def _block_number(path: str) -> int | None:
    """The device number of a block device node named by path ("/dev/sdb1"); None for anything else."""
    if not path.startswith("/"):  # "tmpfs", "overlay", "server:/export"
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_rdev if stat.S_ISBLK(st.st_mode) else None


def _parse_number(text: str) -> int | None:
    major, _, minor = text.partition(":")
    return os.makedev(int(major), int(minor)) if major.isdigit() and minor.isdigit() else None


def _sys_node(dev: int, sys_root: Path) -> Path:
    return sys_root / "dev" / "block" / f"{os.major(dev)}:{os.minor(dev)}"


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

"""Fixtures for the evidence tests: the reference tools each kind of image needs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

PACKAGES = {
    "mkfs.vfat": "dosfstools",
    "mmd": "mtools",
    "mcopy": "mtools",
    "mdel": "mtools",
    "mkfs.ext4": "e2fsprogs",
    "debugfs": "e2fsprogs",
    "sfdisk": "fdisk",
    "fls": "sleuthkit",
    "mkfs.exfat": "exfatprogs",
    "mkntfs": "ntfs-3g",
    "ntfscp": "ntfs-3g",
    "qemu-img": "qemu-utils",
    "ewfacquire": "ewf-tools",
    "makefs": "makefs",
    "parted": "parted",
    "mkapfs": "apfsprogs",
    "mkfs.xfs": "xfsprogs",
    "mkfs.f2fs": "f2fs-tools",
    "mkfs.btrfs": "btrfs-progs",
    "mkswap": "util-linux",
    "img2simg": "android-sdk-libsparse-utils",
    "cryptsetup": "cryptsetup-bin",
    "losetup": "mount",
    "pvcreate": "lvm2",
    "vgcreate": "lvm2",
    "vgcfgbackup": "lvm2",
    "vgcfgrestore": "lvm2",
}


@pytest.fixture
def tools(require_tool: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """``tools("mkfs.vfat", "mcopy")`` gives their paths, or skips (fails in CI) when one is missing."""

    def lookup(*names: str) -> dict[str, str]:
        return {name: require_tool(name, PACKAGES.get(name, name)) for name in names}

    return lookup

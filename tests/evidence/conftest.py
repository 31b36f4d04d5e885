"""Fixtures for the evidence tests: the reference tools each kind of image needs."""

from __future__ import annotations

import os
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
    "fsstat": "sleuthkit",
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


def _require_c_walk() -> None:
    from evidence_intake.evidence.tsk import native_walk

    if native_walk() is None:
        reason = (
            "the C file-system walk is not built (Debian package libtsk-dev and a C compiler, then reinstall)"
        )
        if os.environ.get("EVIDENCE_INTAKE_REQUIRE_TOOLS", "") not in ("", "0"):
            pytest.fail(reason + " and EVIDENCE_INTAKE_REQUIRE_TOOLS=1 is set")
        pytest.skip(reason)


@pytest.fixture(params=["c", "pytsk3"])
def walker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once with the file-system walk in C and once through pytsk3's objects.

    The C walk is built at install time where libtsk's headers are (libtsk-dev); where it is not,
    its half skips, and fails in CI (EVIDENCE_INTAKE_REQUIRE_TOOLS=1), which installs them.
    """
    from evidence_intake.evidence.tsk import NATIVE_WALK_SWITCH

    if request.param == "pytsk3":
        monkeypatch.setenv(NATIVE_WALK_SWITCH, "0")
        return "pytsk3"
    monkeypatch.delenv(NATIVE_WALK_SWITCH, raising=False)
    _require_c_walk()
    return "c"


@pytest.fixture
def c_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The C walk, which the test compares with the walk through pytsk3 itself."""
    from evidence_intake.evidence.tsk import NATIVE_WALK_SWITCH

    monkeypatch.delenv(NATIVE_WALK_SWITCH, raising=False)
    _require_c_walk()

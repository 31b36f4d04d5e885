"""Build small evidence images inside tests with the real tools (mkfs, mtools, sfdisk, mkntfs, qemu-img).

Every function takes the path of the tool it runs (from the ``require_tool`` fixture), so that a
missing tool skips the test with its reason (and fails in CI) instead of being silently ignored.
"""

from __future__ import annotations

import os
import struct
import subprocess
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

SECTOR = 512


def run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, check=False)
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, args))} failed ({done.returncode}): {done.stderr or done.stdout}"
        )
    return done.stdout


def make_fat(
    tools: Mapping[str, str],
    path: Path,
    *,
    size_kib: int = 4096,
    files: Mapping[str, bytes],
    folders: Sequence[str] = (),
    deleted: Sequence[str] = (),
    fat_bits: int | None = None,
) -> Path:
    """A FAT image with ``folders`` and ``files`` ("DIR/a.txt"); ``deleted`` are removed again."""
    args = [tools["mkfs.vfat"], "-C", str(path), str(size_kib)]
    if fat_bits:
        args[1:1] = ["-F", str(fat_bits)]
    path.unlink(missing_ok=True)
    run(*args)
    for folder in folders:
        run(tools["mmd"], "-i", path, f"::/{folder}")
    staging = path.with_suffix(".staging")
    staging.mkdir(exist_ok=True)
    for index, (name, data) in enumerate(files.items()):
        local = staging / f"f{index}"
        local.write_bytes(data)
        run(tools["mcopy"], "-i", path, local, f"::/{name}")
    for name in deleted:
        run(tools["mdel"], "-i", path, f"::/{name}")
    return path


def make_ext4(tools: Mapping[str, str], path: Path, folder: Path, *, size: str = "8M") -> Path:
    path.unlink(missing_ok=True)
    run(tools["mkfs.ext4"], "-q", "-F", "-d", folder, "-E", "root_owner=0:0", path, size)
    return path


def make_ntfs(
    tools: Mapping[str, str],
    path: Path,
    files: Mapping[str, bytes],
    *,
    streams: Mapping[str, bytes] = {},
    size_mib: int = 8,
) -> Path:
    """An NTFS image made by mkntfs holding ``files`` ("/wallet.txt") and alternate data streams of
    them (``streams``: "/wallet.txt:hidden"), written with ntfscp."""
    with path.open("wb") as fh:
        fh.truncate(size_mib << 20)
    run(tools["mkntfs"], "-F", "-q", "-Q", path)
    source = path.with_name(path.name + ".content")
    for target, data in [*files.items(), *streams.items()]:
        source.write_bytes(data)
        name, _, stream = target.partition(":")
        run(tools["ntfscp"], "-f", *(("-N", stream) if stream else ()), path, source, name)
    source.unlink()
    return path


def make_ufs1(tools: Mapping[str, str], path: Path, folder: Path, *, size: str = "4m") -> Path:
    """A UFS1 (FreeBSD FFS) file system holding ``folder``, made by NetBSD's makefs.

    UFS1 only: the UFS2 that makefs 20190105 writes is not recognised by The Sleuth Kit 4.11.
    """
    path.unlink(missing_ok=True)
    run(tools["makefs"], "-t", "ffs", "-s", size, "-o", "version=1", path, folder)
    return path


def fill_folder(root: Path, files: Mapping[str, bytes]) -> Path:
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def make_disk(
    tools: Mapping[str, str],
    path: Path,
    label: str,
    partitions: Sequence[tuple[int, int, str]],
    *,
    sectors: int,
) -> Path:
    """A disk image of ``sectors`` with a partition table ("dos" or "gpt") of (start, size, type) sectors."""
    with path.open("wb") as fh:
        fh.truncate(sectors * SECTOR)
    lines = [f"label: {label}", "unit: sectors", ""]
    lines += [f"start={start}, size={size}, type={kind}" for start, size, kind in partitions]
    done = subprocess.run(
        [tools["sfdisk"], "--no-reread", "--no-tell-kernel", "-q", str(path)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"sfdisk failed: {done.stderr}")
    return path


def make_mac_disk(
    tools: Mapping[str, str], path: Path, partitions: Sequence[tuple[int, int]], *, sectors: int
) -> Path:
    """A disk image with an Apple partition map (parted's "mac" label) of (start, end) sectors."""
    with path.open("wb") as fh:
        fh.truncate(sectors * SECTOR)
    args: list[str | Path] = [tools["parted"], "-s", path, "mklabel", "mac"]
    for n, (start, end) in enumerate(partitions, 1):
        args += ["mkpart", f"part{n}", f"{start}s", f"{end}s"]
    run(*args)
    return path


def make_apfs(tools: Mapping[str, str], path: Path, *, label: str, size_mib: int = 128) -> Path:
    """An APFS container with one empty volume named ``label``, by mkapfs (Debian package apfsprogs).

    mkapfs formats but cannot add files (that needs the kernel's apfs module), and refuses
    containers smaller than 128 MiB. The file is sparse: a few hundred KiB on disk.
    """
    path.unlink(missing_ok=True)
    with path.open("wb") as fh:
        fh.truncate(size_mib * 1024 * 1024)
    run(tools["mkapfs"], "-L", label, path)
    return path


def place_sparse(disk: Path, image: Path, start_sector: int) -> None:
    """``place`` for a large, mostly empty image: only its non-zero MiB are copied."""
    chunk = 1 << 20
    zero = bytes(chunk)
    with image.open("rb") as src, disk.open("r+b") as dst:
        offset = 0
        while data := src.read(chunk):
            if data != zero[: len(data)]:
                dst.seek(start_sector * SECTOR + offset)
                dst.write(data)
            offset += len(data)


def place(disk: Path, image: Path | bytes, start_sector: int) -> None:
    """Write a file-system image (or raw bytes) into the disk at a sector, as dd conv=notrunc would."""
    data = image if isinstance(image, bytes) else image.read_bytes()
    with disk.open("r+b") as fh:
        fh.seek(start_sector * SECTOR)
        fh.write(data)


def fls(tool: str, image: Path, *args: str) -> list[str]:
    """``fls -r -p`` (or the given options) of an image, as sorted lines."""
    return sorted(run(tool, *args, image).splitlines())


def luks1_header(uuid: str = "6c4f6e37-d2b3-4c2a-9d7e-6a1b2c3d4e5f") -> bytes:
    """A LUKS1 header as cryptsetup writes it (key material random; enough to be recognised)."""
    header = bytearray(4096)
    header[0:6] = b"LUKS\xba\xbe"
    header[6:8] = struct.pack(">H", 1)
    header[8:13] = b"aes\0\0"
    header[40:55] = b"xts-plain64\0\0\0\0"
    header[72:78] = b"sha256"
    struct.pack_into(">I", header, 104, 4096)  # payload offset in sectors
    struct.pack_into(">I", header, 108, 64)  # key bytes
    header[112:132] = os.urandom(20)  # master key digest
    header[132:164] = os.urandom(32)  # salt
    struct.pack_into(">I", header, 164, 1000)
    header[168 : 168 + len(uuid)] = uuid.encode()
    return bytes(header)


def fixed_vhd(raw: bytes) -> bytes:
    """A fixed VHD: the raw disk followed by its 512-byte footer (Microsoft VHD specification)."""
    size = len(raw)
    cylinders, heads, sectors = _chs(size // SECTOR)
    footer = bytearray(512)
    footer[0:8] = b"conectix"
    struct.pack_into(">I", footer, 8, 2)  # features: reserved bit
    struct.pack_into(">I", footer, 12, 0x00010000)  # format version 1.0
    struct.pack_into(">Q", footer, 16, 0xFFFFFFFFFFFFFFFF)  # data offset: none for a fixed disk
    struct.pack_into(">I", footer, 24, 0)  # time stamp
    footer[28:32] = b"test"
    struct.pack_into(">I", footer, 32, 0x00010000)
    footer[36:40] = b"Wi2k"
    struct.pack_into(">Q", footer, 40, size)
    struct.pack_into(">Q", footer, 48, size)
    struct.pack_into(">HBB", footer, 56, cylinders, heads, sectors)
    struct.pack_into(">I", footer, 60, 2)  # disk type: fixed
    footer[68:84] = bytes(range(16))  # unique id
    checksum = (~sum(footer)) & 0xFFFFFFFF
    struct.pack_into(">I", footer, 64, checksum)
    return raw + bytes(footer)


def _chs(total: int) -> tuple[int, int, int]:
    total = min(total, 65535 * 16 * 255)
    if total >= 65535 * 16 * 63:
        spt, heads = 255, 16
        cth = total // spt
    else:
        spt = 17
        cth = total // spt
        heads = max(4, (cth + 1023) // 1024)
        if cth >= heads * 1024 or heads > 16:
            spt, heads = 31, 16
            cth = total // spt
        if cth >= heads * 1024:
            spt, heads = 63, 16
            cth = total // spt
    return cth // heads, heads, spt


def crc(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF

"""Find the partitions of an image and what each one holds, before any file system is opened.

The Sleuth Kit reads the volume system (DOS/MBR with extended partitions, GPT, Apple partition
map, BSD, Sun). Allocated partitions are named "p1", "p2"… in the order The Sleuth Kit lists them
(mmls order: logical partitions inside an extended one follow the primaries), which is also the
order of their start sectors on a sane disk. An image without a volume system is taken as one
file system, named "". Before a file system is looked for, the first bytes of each partition are
checked for what TSK does not open: BitLocker and LUKS (reported as encrypted unless a key opens
them), APFS (opened with libfsapfs), XFS (libfsxfs) and LVM2 physical volumes, whose logical
volumes are looked into in turn (evidence/lvm.py). Where no file system opens, the bytes
are checked for kinds nobody here reads (F2FS, Btrfs, ReFS, swap, Android sparse images), so that
the examiner is told what the partition holds and how to get at it.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import pytsk3

from evidence_intake.errors import EvidenceError
from evidence_intake.evidence.libyal import detect_container, key_for, luks_description, unlock_bitlocker
from evidence_intake.evidence.lvm import is_lvm_physical_volume
from evidence_intake.evidence.model import ImageReader, Problem, Volume

SCHEMES = {
    pytsk3.TSK_VS_TYPE_DOS: "dos",
    pytsk3.TSK_VS_TYPE_GPT: "gpt",
    pytsk3.TSK_VS_TYPE_MAC: "mac",
    pytsk3.TSK_VS_TYPE_BSD: "bsd",
    pytsk3.TSK_VS_TYPE_SUN: "sun",
}
_HEAD = 4096


@dataclass(frozen=True, slots=True)
class Partition:
    """An allocated partition (or the whole image): where a file system may be."""

    name: str
    offset: int
    size: int
    description: str


@dataclass(slots=True)
class Content:
    """What a partition turned out to hold, and how to read it.

    ``kind`` is "filesystem" (try The Sleuth Kit on ``reader`` at ``offset``), "apfs" (open the
    container with libfsapfs) or "problem" (``problem`` says why nothing can be read).
    """

    kind: str
    reader: ImageReader
    offset: int
    size: int
    note: str = ""
    problem: Problem | None = None


def partitions(image: pytsk3.Img_Info, image_size: int) -> tuple[str | None, list[Partition]]:
    """The volume-system scheme ("dos", "gpt"…, None for none) and its allocated partitions."""
    try:
        volume_system = pytsk3.Volume_Info(image)
    except OSError:
        return None, [Partition(name="", offset=0, size=image_size, description="whole image")]
    except RuntimeError as exc:  # the image reader failed (a truncated segment, a read error)
        failure = getattr(image, "failure", None)
        if failure is not None:
            raise failure from exc
        raise EvidenceError(
            f"the image cannot be read where its partition table is: {exc}",
            hint="check the image with `evidence-intake image info` and its verify command",
        ) from exc
    block = int(volume_system.info.block_size) or 512
    scheme = SCHEMES.get(int(volume_system.info.vstype), "other")
    found: list[Partition] = []
    for part in volume_system:
        if not int(part.flags) & pytsk3.TSK_VS_PART_FLAG_ALLOC:
            continue
        description = part.desc.decode("utf-8", "replace") if isinstance(part.desc, bytes) else str(part.desc)
        start, length = int(part.start), int(part.len)
        found.append(
            Partition(
                name=f"p{len(found) + 1}",
                offset=start * block,
                size=length * block,
                description=f"{description} (sectors {start}-{start + length - 1}, {block}-byte sectors)",
            )
        )
    if not found:
        return scheme, [
            Partition(name="", offset=0, size=image_size, description=f"{scheme} table without partitions")
        ]
    return scheme, found


def inspect(reader: ImageReader, part: Partition, keys: Mapping[str, str] | None) -> Content:
    """Look at the first bytes of a partition: encrypted container, APFS, or a file system to try."""
    head = reader.read_at(part.offset, min(_HEAD, part.size))
    where = part.name or "image"
    container = detect_container(head)
    if container == "bitlocker":
        secret = key_for(keys, part.name)
        if secret is None:
            return _problem(
                reader,
                part,
                f"BitLocker-encrypted volume in {where}; give its recovery password or password to open it",
            )
        unlocked = unlock_bitlocker(reader, part.offset, part.size, secret)
        if unlocked is None:
            return _problem(reader, part, f"BitLocker volume in {where}: the key given does not open it")
        return Content("filesystem", unlocked, 0, unlocked.size, note="BitLocker, opened with the key given")
    if container == "luks":
        return _open_luks(reader, part, head, key_for(keys, part.name))
    if container == "apfs":
        return Content("apfs", reader, part.offset, part.size, note="APFS container")
    if container == "xfs":
        return Content("xfs", reader, part.offset, part.size)
    if is_lvm_physical_volume(head):
        return Content("lvm", reader, part.offset, part.size)
    return Content("filesystem", reader, part.offset, part.size)


def _open_luks(reader: ImageReader, part: Partition, head: bytes, secret: str | None) -> Content:
    """A LUKS volume opened with the passphrase given (evidence/luks.py), or why it stays closed."""
    from evidence_intake.evidence.luks import LuksError, LuksVolume, WrongPassphrase

    where = part.name or "image"
    flag = part.name or "'*'"  # a key for an image without partitions is given for any volume
    name = luks_description(head)
    if secret is None:
        return _problem(
            reader,
            part,
            f"{name}-encrypted volume in {where}; give its passphrase to open it (--key {flag})",
        )
    try:
        plain = LuksVolume(reader, part.offset, part.size).unlock(secret)
    except WrongPassphrase:
        return _problem(reader, part, f"{name} volume in {where}: the passphrase given does not open it")
    except LuksError as exc:
        return _problem(reader, part, f"{name} volume in {where} cannot be opened: {exc}")
    return Content(
        "filesystem", plain, 0, plain.size, note=f"{name.split(' ')[0]}, opened with the key given"
    )


def _problem(reader: ImageReader, part: Partition, reason: str) -> Content:
    return Content(
        "problem",
        reader,
        part.offset,
        part.size,
        problem=Problem(where=part.name or "image", reason=reason, kind="encrypted"),
    )


# What lies in a partition that The Sleuth Kit does not read, told by its signature: (offset, magic,
# name, what to do). Found, the examiner learns what the data is and how to get at it, instead of
# "cannot determine file system type".
_MOUNT_A_COPY = (
    "mount a copy of the image read-only on Linux (mount -o ro,loop) and acquire the mounted folder as a "
    "logical source"
)
_FOREIGN: tuple[tuple[int, bytes, str, str], ...] = (
    (
        0x400,
        b"\x10\x20\xf5\xf2",
        "an F2FS file system (Android's userdata partition on many phones)",
        _MOUNT_A_COPY,
    ),
    (0x10040, b"_BHRfS_M", "a Btrfs file system", _MOUNT_A_COPY),
    (0, b"XFSB", "an XFS file system", _MOUNT_A_COPY),
    (
        3,
        b"ReFS\0\0\0\0",
        "a ReFS file system (Windows Server)",
        "mount a copy read-only on Windows and acquire the folder as a logical source",
    ),
    (
        0,
        b"\x3a\xff\x26\xed",
        "an Android sparse image, not a raw one",
        "expand it into a raw image with simg2img (android-sdk-libsparse-utils) and acquire that",
    ),
    (
        4086,
        b"SWAPSPACE2",
        "Linux swap space: it holds no files",
        "it may still hold pieces of memory (messages, keys, passwords): search it with a carving tool",
    ),
    (
        8192 + 1372,
        b"\x19\x01\x54\x19",
        "a UFS2 file system whose superblock is not where The Sleuth Kit looks",
        "",
    ),
    (65536 + 1372, b"\x19\x01\x54\x19", "a UFS2 file system", ""),
    (8192 + 1372, b"\x54\x19\x01\x00", "a UFS1 file system", ""),
)
_SCAN = 0x10048  # far enough for every signature above
_ZEROS_CHECKED = 1 << 20


# Signatures of file systems The Sleuth Kit reads: found in a partition it could not open, they say
# the file system is damaged; they outrank leftovers of an older file system further in (a quick
# format keeps a Btrfs superblock at 64 KiB under a new NTFS).
_NATIVE: tuple[tuple[int, bytes, str], ...] = (
    (3, b"NTFS    ", "NTFS"),
    (3, b"EXFAT   ", "exFAT"),
    (54, b"FAT", "FAT"),
    (82, b"FAT32   ", "FAT32"),
    (0x438, b"\x53\xef", "ext2/3/4"),
    (0x400, b"H+", "HFS+"),
    (0x400, b"HX", "HFSX"),
    (0x8001, b"CD001", "ISO 9660"),
)


def no_filesystem_reason(reader: ImageReader, part: Partition, tsk_message: str) -> Problem:
    """Why no file system was found, with a guess from the bytes when they say something."""
    where = part.name or "image"
    start = reader.read_at(part.offset, min(_SCAN, part.size))
    for offset, magic, name in _NATIVE:
        if start[offset : offset + len(magic)] == magic and (name != "ext2/3/4" or _ext_revision(start)):
            return Problem(
                where=where,
                reason=f"a damaged {name} file system, which The Sleuth Kit cannot read: {tsk_message}",
                kind="corrupt",
            )
    for offset, magic, name, advice in _FOREIGN:
        if start[offset : offset + len(magic)] == magic:
            if not advice:  # a kind The Sleuth Kit reads, but not this instance of it
                return Problem(where=where, reason=f"{name} that The Sleuth Kit cannot read: {tsk_message}")
            return Problem(
                where=where,
                reason=f"{name}, which The Sleuth Kit does not read: {advice}",
                kind="unsupported",
            )
    head = start[:_HEAD]
    if not head.strip(b"\0"):
        zeros = min(_ZEROS_CHECKED, part.size)
        if not reader.read_at(part.offset, zeros).strip(b"\0"):
            span = "1 MiB" if zeros == _ZEROS_CHECKED else f"{zeros} bytes"
            return Problem(where=where, reason=f"no file system: the first {span} are zeros (empty or wiped)")
        return Problem(
            where=where,
            reason=f"no file system The Sleuth Kit can read; the first 4 KiB are zeros but data follows: "
            f"{tsk_message}",
        )
    if _looks_random(head):
        return Problem(
            where=where,
            reason="no known file system and the data looks random: an encrypted volume without a header "
            "(VeraCrypt/TrueCrypt), or wiped with random data",
            kind="encrypted",
        )
    return Problem(
        where=where, reason=f"no file system The Sleuth Kit can read: {tsk_message}", kind="unreadable"
    )


def _ext_revision(start: bytes) -> bool:
    """Two bytes of magic are met by chance in random data; an ext superblock's revision is 0 or 1."""
    return len(start) >= 0x450 and int.from_bytes(start[0x44C:0x450], "little") <= 1


def _looks_random(data: bytes) -> bool:
    """Random (or encrypted) bytes neither repeat nor compress; a pattern or a structure does."""
    return len(data) >= 1024 and len(zlib.compress(data, 6)) >= len(data)


def volume_record(part: Partition, filesystem: str | None, problem: Problem | None, note: str = "") -> Volume:
    description = f"{part.description}; {note}" if note else part.description
    return Volume(
        name=part.name,
        offset=part.offset,
        size=part.size,
        description=description,
        filesystem=filesystem,
        problem=problem,
    )

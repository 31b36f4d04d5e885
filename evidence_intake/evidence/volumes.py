"""Find the partitions of an image and what each one holds, before any file system is opened.

The Sleuth Kit reads the volume system (DOS/MBR with extended partitions, GPT, Apple partition
map, BSD, Sun). Allocated partitions are named "p1", "p2"… in the order The Sleuth Kit lists them
(mmls order: logical partitions inside an extended one follow the primaries), which is also the
order of their start sectors on a sane disk. An image without a volume system is taken as one
file system, named "". Before a file system is looked for, the first bytes of each partition are
checked for containers that TSK does not open: BitLocker, LUKS (reported as encrypted unless a
BitLocker key is given) and APFS (opened with libfsapfs).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import pytsk3

from evidence_intake.errors import EvidenceError
from evidence_intake.evidence.libyal import detect_container, key_for, luks_description, unlock_bitlocker
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
        return _problem(
            reader,
            part,
            f"{luks_description(head)}-encrypted volume in {where}; opening LUKS is not supported: "
            "open it with cryptsetup on a copy and acquire the opened device",
        )
    if container == "apfs":
        return Content("apfs", reader, part.offset, part.size, note="APFS container")
    return Content("filesystem", reader, part.offset, part.size)


def _problem(reader: ImageReader, part: Partition, reason: str) -> Content:
    return Content(
        "problem",
        reader,
        part.offset,
        part.size,
        problem=Problem(where=part.name or "image", reason=reason, kind="encrypted"),
    )


def no_filesystem_reason(reader: ImageReader, part: Partition, tsk_message: str) -> Problem:
    """Why no file system was found, with a guess from the bytes when they say something."""
    head = reader.read_at(part.offset, min(_HEAD, part.size))
    where = part.name or "image"
    if not head.strip(b"\0"):
        return Problem(where=where, reason="no file system: the first 4 KiB are zeros (empty or wiped)")
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

"""Copy one entry out of an exhibit, hashed while copying, with a ledger entry: behind ``export-file``.

The copy lands under the output folder at the entry's own place ("OUT/p2/Users/x/file.db"), each
part of the path cleaned so that nothing ("..", "/", a drive letter, a character FAT refuses)
can lead outside the folder or fail on the USB drive handed to a prosecutor. The content is
written to a temporary name first and linked to its final name only when complete, so that an
existing file is never overwritten and an interrupted copy never looks finished. The copy is
made read-only. Only then is the ledger entry written; if that fails, the copy is removed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_intake.errors import ConflictError, EvidenceError, IntegrityError, NotFoundError, UsageError
from evidence_intake.evidence.model import Entry, EntryType, EvidenceTree
from evidence_intake.evidence.opener import open_acquisition

if TYPE_CHECKING:
    from evidence_intake.case import Case

_CHUNK = 1 << 20
_UNSAFE = re.compile(r'[\x00-\x1f<>:"|?*\\]')


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportResult:
    exhibit: str
    acquisition: str
    location: str
    inode: int | str | None
    size: int
    sha256: str
    destination: Path

    def to_dict(self) -> dict[str, Any]:
        return {
            "exhibit": self.exhibit,
            "acquisition": self.acquisition,
            "location": self.location,
            "inode": self.inode,
            "size": self.size,
            "sha256": self.sha256,
            "destination": str(self.destination),
        }


def safe_part(part: str) -> str | None:
    """One path part made safe to create anywhere; None for parts that must be dropped ("", ".", "..")."""
    if part in ("", ".", ".."):
        return None
    cleaned = _UNSAFE.sub("_", part).rstrip(" .")
    if cleaned in ("", ".", ".."):
        cleaned = "_" * max(1, len(part))
    return cleaned[:240]


def destination_for(entry: Entry, out_dir: Path) -> Path:
    """Where ``entry`` goes under ``out_dir``; never outside it, whatever the entry's path holds."""
    parts = [p for p in (safe_part(x) for x in entry.path.replace("\\", "/").split("/")) if p is not None]
    if not parts:
        raise UsageError(f"{entry.location} has no file name to export under", hint="give a file's path")
    if entry.stream:
        parts[-1] = f"{parts[-1]}_{safe_part(entry.stream) or 'stream'}"
    volume = safe_part(entry.volume) if entry.volume else None
    target = out_dir.joinpath(*([volume] if volume else []), *parts)
    root = out_dir.resolve()
    if not target.resolve().is_relative_to(root):
        raise UsageError(f"{entry.location} would be written outside {out_dir}", hint="choose another --out")
    return target


def copy_entry(tree: EvidenceTree, entry: Entry, out_dir: Path) -> tuple[Path, int, str]:
    """Copy the entry's content to its place under ``out_dir``: (destination, size, SHA-256)."""
    if entry.type is EntryType.DIRECTORY and entry.stream is None:
        raise UsageError(f"{entry.location} is a folder", hint="export files one at a time")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = destination_for(entry, out_dir)
    if target.exists() or target.is_symlink():
        raise ConflictError(
            f"{target} already exists; an export never overwrites a file",
            path=target,
            hint="choose another --out folder or move the earlier export away",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.parent.resolve().is_relative_to(out_dir.resolve()):  # a symlinked folder inside --out
        raise UsageError(
            f"{target.parent} leads outside {out_dir}", hint="choose an --out folder without links"
        )
    partial = target.with_name(f".{target.name[:200]}.partial-{uuid.uuid4().hex[:8]}")
    digest = hashlib.sha256()
    size = 0
    try:
        with tree.open(entry) as source, open(partial, "xb") as sink:
            while True:
                block = source.read(_CHUNK)
                if not block:
                    break
                digest.update(block)
                sink.write(block)
                size += len(block)
            sink.flush()
            os.fsync(sink.fileno())
        if size != entry.size:
            raise EvidenceError(
                f"{entry.location}: read {size} bytes, but the entry's size is {entry.size}",
                hint="the content is incomplete in the image (deleted or damaged); nothing was exported",
            )
        os.chmod(partial, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        try:
            os.link(partial, target)
        except FileExistsError as exc:
            raise ConflictError(
                f"{target} appeared while copying; it is left as it is",
                path=target,
                hint="export again elsewhere",
            ) from exc
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
                raise
            if target.exists():  # a file system without hard links: no atomic no-overwrite rename
                raise ConflictError(f"{target} appeared while copying", path=target) from exc
            os.rename(partial, target)
    except OSError as exc:
        raise EvidenceError(
            f"cannot write {target}: {exc.strerror or exc}",
            path=target,
            hint="check the --out folder and free space",
        ) from exc
    finally:
        try:
            partial.unlink()
        except FileNotFoundError:
            pass
    return target, size, digest.hexdigest()


def export_file(
    case: Case,
    exhibit_id: str,
    location: str,
    out_dir: Path,
    *,
    examiner: str,
    inode: str | None = None,
    keys: Mapping[str, str] | None = None,
) -> ExportResult:
    """Export the entry at ``location`` ("p2:/a/b.db", "/a/b.db:stream") of an exhibit's newest acquisition.

    ``inode`` picks one entry when a path is shared (a deleted file beside a live one of the same name).
    """
    evidence = (case.root / "evidence").resolve()
    if out_dir.expanduser().resolve().is_relative_to(evidence):
        raise UsageError(
            f"{out_dir} is inside the case's evidence folder, which holds only acquired images",
            hint="export to a working folder, for example --out ./exports",
        )
    acquisition, tree = open_acquisition(case, exhibit_id, keys=keys)
    with tree:
        entry = _find(tree, location, inode)
        damaged_before = _damaged_reads(tree)
        target, size, sha256 = copy_entry(tree, entry, out_dir)
        if _damaged_reads(tree) > damaged_before:
            target.unlink(missing_ok=True)
            raise IntegrityError(
                f"{entry.location} lies on image chunks that fail their checksum; the copy was removed",
                hint="verify the acquisition (ewfverify) and export from a good copy of the image",
            )
        result = ExportResult(
            exhibit=exhibit_id,
            acquisition=acquisition.id,
            location=entry.location,
            inode=entry.inode,
            size=size,
            sha256=sha256,
            destination=target,
        )
        try:
            case.record(
                "exported",
                examiner=examiner,
                exhibit=exhibit_id,
                details={**result.to_dict(), "filesystem": entry.filesystem, "deleted": entry.deleted},
            )
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    return result


def _damaged_reads(tree: EvidenceTree) -> int:
    """Reads of damaged E01 chunks so far (0 for images that cannot tell)."""
    return int(getattr(getattr(tree, "reader", None), "damaged_reads", 0) or 0)


def _find(tree: EvidenceTree, location: str, inode: str | None) -> Entry:
    wanted = location.strip()
    if not wanted:
        raise UsageError("no path given", hint="give the entry's path as listed by: evidence-intake files")
    entry = tree.lookup(wanted) if inode is None else None
    if entry is None:
        candidates = [
            e
            for e in tree.walk()
            if (e.location == wanted or e.path == wanted or f"{e.path}:{e.stream}" == wanted)
            and (inode is None or str(e.inode) == inode)
        ]
        if len(candidates) > 1 and inode is None:
            raise UsageError(
                f"{wanted} names {len(candidates)} entries (inodes "
                + ", ".join(str(c.inode) for c in candidates)
                + ")",
                hint="pick one with --inode",
            )
        entry = candidates[0] if candidates else None
    if entry is None:
        raise NotFoundError(
            f"no entry {wanted}" + (f" with inode {inode}" if inode else "") + " in the exhibit",
            hint="list the exhibit's files with: evidence-intake files --exhibit ID --path GLOB",
        )
    return entry
